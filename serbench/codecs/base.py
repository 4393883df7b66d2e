"""The codec record every scenario drives, and the helpers for its encoded form.

A codec is data plus two calls, like msgspec's benchmark contenders: scenarios never special-case
a codec, so every codec takes the same call path (`codec.encode(obj)`, `codec.decode(view)`).
Those two calls are what is timed, so a codec should make them the library's own callables
(a bound method of an encoder built once, a C function), not a Python wrapper around them.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from serbench.common.vocabulary import FAMILY_GENERAL
from serbench.payloads.shapes.shape import Shape, ShapeUnsupported

#: What a codec plugin builds on: the record, its encoded form and the factory helpers.
__all__ = [
    "Codec",
    "CodecUnavailable",
    "Encoded",
    "ShapeUnsupported",
    "dist_version",
    "encoded_size",
    "joined",
    "parts",
    "require",
]

#: What `encode` returns: one bytes-like object, or a list of them that the transport sends
#: with scatter/gather I/O (`sendmsg`) without joining them (pickle's out-of-band buffers).
Encoded = bytes | bytearray | memoryview | Sequence[bytes | bytearray | memoryview]


class CodecUnavailable(Exception):
    """A codec cannot be built here (its library is missing); the message says why."""


@dataclass(frozen=True)
class Codec:
    """A named serializer: what the scenarios time and the report names.

    `decode` accepts a `memoryview` of the received frame; a decoder whose result would keep a
    reference to that (reused) receive buffer copies first and says so in `call_path`.
    """

    name: str
    library: str
    version: str
    options: str
    encode: Callable[[Any], Encoded]
    decode: Callable[[memoryview], Any]
    call_path: str
    safe_for_untrusted_input: bool
    cross_language: bool
    same_python_only: bool
    human_readable: bool
    #: Turns a payload into what `encode` is given; only the `null` codec needs it (it ships a
    #: pre-encoded blob). Runs outside every timed region.
    prepare: Callable[[Any], Any] | None = None
    #: For a codec derived from the payload's shape (schema codecs, typed models): called
    #: with the payload object and its shape (`serbench.payloads.shapes`) outside every timed
    #: region,
    #: returns the codec for that payload, or raises `ShapeUnsupported` with the reason (the
    #: cell is then `unsupported`). Everything that runs a codec on a payload binds it first
    #: (`serbench.codecs.bind.bound_codec`).
    specialise: Callable[[Any, Shape], Codec] | None = None
    #: Codecs are ranked only against codecs of the same family (`serbench.common.vocabulary`
    #: FAMILIES): a schema codec's prepared-message variant never against its populating one,
    #: a typed decoder that does not validate never as a validator.
    family: str = FAMILY_GENERAL
    #: What the timed calls cover, where a library offers more than one starting point
    #: (schema codecs: "populate + encode" from the Python object, or "encode" of a prepared
    #: message); shown beside the codec in listings and the report.
    timing: str = ""

    def capabilities(self) -> dict[str, bool]:
        """The capability flags by name, for listings and results metadata."""
        return {
            "safe_for_untrusted_input": self.safe_for_untrusted_input,
            "cross_language": self.cross_language,
            "same_python_only": self.same_python_only,
            "human_readable": self.human_readable,
        }

    def for_payload(self, obj: Any, shape: Shape) -> Codec:
        """This codec bound to a payload: itself, or what `specialise` derives from the shape."""
        return self if self.specialise is None else self.specialise(obj, shape)

    def prepared(self, obj: Any) -> Any:
        """The object this codec's `encode` is timed on (the payload itself for real codecs)."""
        return obj if self.prepare is None else self.prepare(obj)


def parts(encoded: Encoded) -> list[bytes | bytearray | memoryview]:
    """The encoded form as a list of buffers, ready for `sendmsg`."""
    if isinstance(encoded, bytes | bytearray | memoryview):
        return [encoded]
    return list(encoded)


def joined(encoded: Encoded) -> bytes:
    """The encoded form as one `bytes` object (for sizes, compression and in-process decode)."""
    if isinstance(encoded, bytes):
        return encoded
    if isinstance(encoded, bytearray | memoryview):
        return bytes(encoded)
    return b"".join(encoded)


def encoded_size(encoded: Encoded) -> int:
    """Bytes on the wire for one message, without joining the parts."""
    if isinstance(encoded, bytes | bytearray):
        return len(encoded)
    if isinstance(encoded, memoryview):
        return encoded.nbytes
    return sum(memoryview(p).nbytes for p in encoded)


def dist_version(distribution: str) -> str:
    """The installed version of a distribution, or 'unknown' (never raises)."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def require(module: str, distribution: str | None = None) -> Any:
    """Import an optional codec library, turning a missing one into `CodecUnavailable`."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        dist = distribution or module
        raise CodecUnavailable(
            f"{dist} is not installed ({exc}); install it with: pip install {dist}"
        ) from exc
