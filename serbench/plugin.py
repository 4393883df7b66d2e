"""Everything a serbench plugin imports, from one place; this docstring is the contract.

A codec plugin is a factory registered in the entry-point group `serbench.codecs`
(`tiny = "tinyplug:codec"`): called with no arguments, it returns a `Codec`. The entry-point
name is the codec's name (leave `name` empty, or give the same one). Only two fields are
required:

- `encode(obj)` returns bytes-like data: `bytes`, `bytearray`, a `memoryview`, or a list of them
  sent without joining;
- `decode(view)` receives a `memoryview` of the received frame (a reused buffer: a result that
  would keep a reference to it must copy) and returns the object.

What is left out is derived: `library` is the top-level package of `encode`'s module, `version`
that package's installed version (the Python version for the standard library, else
"unknown"), `call_path` the two callables' qualified names. The capability flags default to
the conservative side: `safe_for_untrusted_input=False`, `cross_language=False`,
`same_python_only=True`, `human_readable=False`. Import the codec's library inside the factory
with `require`, so a missing one makes the codec unavailable (with the pip command) instead of
breaking `serbench list`; a factory that cannot be imported or built is unavailable alone.

A payload plugin registers a `Payload` in the group `serbench.payloads`: a seeded, deterministic
`generate(size, seed)`, and optionally `shape(size)`, its structure (built from `Record`,
`Field`, `ListOf`, ...) for schema codecs and typed models. docs/plugins.md has both examples.
"""

from __future__ import annotations

from serbench.codecs import GROUP as CODECS_GROUP
from serbench.codecs.base import (
    Codec,
    CodecUnavailable,
    Encoded,
    dist_version,
    require,
)
from serbench.payloads import GROUP as PAYLOADS_GROUP
from serbench.payloads.payload import DEFAULT_SEED, Payload
from serbench.payloads.shapes.shape import (
    NEVER,
    Field,
    ListOf,
    MapOf,
    OptionalOf,
    Record,
    Scalar,
    Shape,
    ShapeUnsupported,
    UnionOf,
)

__all__ = [
    "CODECS_GROUP",
    "DEFAULT_SEED",
    "NEVER",
    "PAYLOADS_GROUP",
    "Codec",
    "CodecUnavailable",
    "Encoded",
    "Field",
    "ListOf",
    "MapOf",
    "OptionalOf",
    "Payload",
    "Record",
    "Scalar",
    "Shape",
    "ShapeUnsupported",
    "UnionOf",
    "dist_version",
    "require",
]
