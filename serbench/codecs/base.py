"""The codec record every scenario drives, and the helpers for its encoded form.

A codec is data plus two calls, like msgspec's benchmark contenders: scenarios never special-case
a codec, so every codec takes the same call path (`codec.encode(obj)`, `codec.decode(view)`).
Those two calls are what is timed, so a codec should make them the library's own callables
(a bound method of an encoder built once, a C function), not a Python wrapper around them.

Only `encode` and `decode` are required (the plugin contract, `serbench.plugin`); what is left
out is derived from them or takes the conservative side (`Codec`'s fields say which).
"""

from __future__ import annotations

import functools
import importlib.metadata
import platform
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from serbench.common.vocabulary import FAMILY_GENERAL
from serbench.payloads.shapes.shape import Shape, ShapeUnsupported

#: What a codec plugin builds on (re-exported for plugin authors by `serbench.plugin`).
__all__ = [
    "OPTIONS_NOT_STATED",
    "Codec",
    "CodecUnavailable",
    "Described",
    "Encoded",
    "ShapeUnsupported",
    "buffers",
    "dist_version",
    "encoded_size",
    "joined",
    "library_version",
    "python_version",
    "require",
]

#: What `encode` returns: one bytes-like object, or a list of them that the transport sends
#: with scatter/gather I/O (`sendmsg`) without joining them (pickle's out-of-band buffers).
Encoded = bytes | bytearray | memoryview | Sequence[bytes | bytearray | memoryview]


#: A codec's `options` when its plugin leaves them empty (results metadata needs a value).
OPTIONS_NOT_STATED = "not stated"


class CodecUnavailable(Exception):
    """A codec cannot be built here (its library is missing); the message says why."""


@dataclass(frozen=True, kw_only=True)
class Described:
    """What listings and the report say about a codec or a compressor."""

    #: A codec's name is its entry-point name: the registry fills it in when it is left empty.
    name: str = ""
    #: Left empty in a codec: the top-level package of `encode`'s module (`marshal.dumps`:
    #: `marshal`).
    library: str = ""
    #: Left empty in a codec: `library_version(library)`.
    version: str = ""
    #: The settings the calls use, in words (left empty in a codec: `OPTIONS_NOT_STATED`).
    options: str = ""


@dataclass(frozen=True, kw_only=True)
class Codec(Described):
    """A named serializer: what the scenarios time and the report names.

    `encode` returns bytes-like data (`Encoded`). `decode` accepts a `memoryview` of the
    received frame; a decoder whose result would keep a reference to that (reused) receive
    buffer copies first and says so in `call_path`.

    The capability flags default to the conservative side: a codec is not trusted with hostile
    bytes, not assumed readable from another language, and assumed to need the same Python on
    both hosts of a two-host run, until it says otherwise.
    """

    encode: Callable[[Any], Encoded]
    decode: Callable[[memoryview], Any]
    #: Left empty: the callables' qualified names, "module.encode(obj) / module.decode(view)".
    call_path: str = ""
    #: `serbench serve` warns louder for a codec without it, and only codecs with it are fuzzed.
    safe_for_untrusted_input: bool = False
    cross_language: bool = False
    #: Its bytes are read only by the same Python (implementation, major.minor, pickle
    #: protocol): a two-host run against a different Python refuses it.
    same_python_only: bool = True
    human_readable: bool = False
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

    def __post_init__(self) -> None:
        """Fill in the descriptive fields a plugin left empty, from its two callables."""
        derived = {"options": self.options or OPTIONS_NOT_STATED}
        if not (self.library and self.version and self.call_path):
            encode_module, encode_name = _origin(self.encode)
            decode_module, decode_name = _origin(self.decode)
            library = self.library or _package(encode_module)
            derived.update(
                library=library,
                version=self.version or library_version(library),
                call_path=self.call_path or f"{encode_module}.{encode_name}(obj) / "
                f"{decode_module}.{decode_name}(view)",
            )
        for field, value in derived.items():
            object.__setattr__(self, field, value)  # frozen: only while it is being built

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


def buffers(encoded: Encoded) -> list[bytes | bytearray | memoryview]:
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


def python_version() -> str:
    """The running Python, as the standard library's codecs record their version."""
    return f"{platform.python_implementation()} {platform.python_version()}"


def library_version(package: str) -> str:
    """The version of the top-level package `package`: the running Python's for the standard
    library, else that of the installed distribution of that name or of the one installing
    that package, else 'unknown' (never raises)."""
    if package in sys.stdlib_module_names:
        return python_version()
    version = dist_version(package)
    if version == "unknown":  # a distribution named unlike its package (PyYAML's yaml)
        installers = importlib.metadata.packages_distributions().get(package, [])
        version = dist_version(installers[0]) if installers else version
    return version


def _package(module: str) -> str:
    """The top-level package of `module`; a standard-library accelerator (`_pickle`, `_json`)
    counts as the module it accelerates."""
    top = module.partition(".")[0]
    public = top.lstrip("_")
    return public if public != top and public in sys.stdlib_module_names else top


def _origin(call: Callable[..., Any]) -> tuple[str, str]:
    """The module and qualified name of a callable: a function, a bound method of a Python or C
    class, a `functools.partial` (what it wraps) or an instance with `__call__` (its class)."""
    while isinstance(call, functools.partial):
        call = call.func
    name = getattr(call, "__qualname__", None)
    if not isinstance(name, str):  # an instance with `__call__`: its class
        return type(call).__module__, type(call).__qualname__
    module = getattr(call, "__module__", None)
    if not isinstance(module, str):  # a C method need not say: the class of its object does
        module = type(getattr(call, "__self__", None)).__module__
    return module, name


def require(module: str, distribution: str | None = None) -> Any:
    """Import an optional codec library, turning a missing one into `CodecUnavailable`."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        dist = distribution or module
        raise CodecUnavailable(
            f"{dist} is not installed ({exc}); install it with: pip install {dist}"
        ) from exc
