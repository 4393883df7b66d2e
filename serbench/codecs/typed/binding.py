"""The unbound typed codec and its `specialise`: generate the models for the payload's shape,
bind the library's encoder/decoder to them, then run the validation gate to pick the family.

An unbound typed codec cannot encode or decode (it has no models yet): both raise, naming the
binding step (`serbench.codecs.bind.bound_codec`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from serbench.codecs.base import Codec, dist_version, joined
from serbench.codecs.typed.gate import run_gate
from serbench.codecs.typed.makers import Models
from serbench.common.vocabulary import FAMILY_TYPED, FAMILY_UNVALIDATED
from serbench.payloads.shapes import Shape, ShapeUnsupported

__all__ = ["Bound", "TypedLibrary", "unbound_codec"]


@dataclass(frozen=True)
class Bound:
    """A library's calls bound to one shape's models (built once, outside the timed region)."""

    models: Models
    encode: Callable[[Any], Any]
    decode: Callable[[memoryview], Any]
    #: `call_path` of the bound codec: the timed calls and how their objects were built.
    call_path: str


@dataclass(frozen=True)
class TypedLibrary:
    """What a typed codec is made of, before any payload: its name and description, and how
    to bind the library to a shape."""

    name: str
    library: str
    distribution: str
    options: str
    #: The unbound codec's `call_path` (the calls, in general terms).
    call_path: str
    #: The shape → bound calls step; raises `ShapeUnsupported`.
    bind: Callable[[Shape], Bound]
    #: The format's untyped (decode, encode) pair: how the gate reads and rewrites documents.
    plain: tuple[Callable[[bytes], Any], Callable[[Any], bytes]]
    human_readable: bool = True
    #: The family the library claims before the gate (what listings of unbound codecs show).
    claimed_family: str = FAMILY_TYPED
    #: Decoding hostile bytes neither runs code nor hangs or balloons (tests/codecs/test_fuzz.py).
    safe_for_untrusted_input: bool = True


def _unbound(name: str) -> Callable[[Any], NoReturn]:
    def refuse(_: Any) -> NoReturn:
        raise RuntimeError(f"{name} is a typed codec and has no models yet: bind it to a "
                           "payload first (serbench.codecs.bind.bound_codec / "
                           "Codec.for_payload)")

    return refuse


def unbound_codec(lib: TypedLibrary) -> Codec:
    """The codec `serbench.codecs` registers: `specialise` binds it to a payload's shape."""
    codec = Codec(
        name=lib.name,
        library=lib.library,
        version=dist_version(lib.distribution),
        options=lib.options,
        encode=_unbound(lib.name),
        decode=_unbound(lib.name),
        call_path=lib.call_path,
        safe_for_untrusted_input=lib.safe_for_untrusted_input,
        cross_language=True,
        same_python_only=False,
        human_readable=lib.human_readable,
        family=lib.claimed_family,
        timing="encode models / decode into models",
    )
    return dataclasses.replace(codec, specialise=lambda obj, shape: _specialise(
        codec, lib, obj, shape))


def _specialise(codec: Codec, lib: TypedLibrary, obj: Any, shape: Shape) -> Codec:
    try:
        bound = lib.bind(shape)
    except ShapeUnsupported:
        raise
    except Exception as exc:  # e.g. msgspec refuses a union of two untagged Structs
        raise ShapeUnsupported(f"{lib.name} cannot decode this shape "
                               f"({type(exc).__name__}: {_first_line(exc)})") from exc
    codec = dataclasses.replace(codec, encode=bound.encode, decode=bound.decode,
                                prepare=bound.models.prepare, call_path=bound.call_path,
                                specialise=None)
    try:
        prepared = codec.prepared(obj)
    except Exception as exc:  # a model constructor refusing the payload: it does not fit
        raise ShapeUnsupported(f"{lib.name}: the payload does not fit the models generated "
                               f"from its shape ({type(exc).__name__}: {exc})") from exc
    try:
        encoded = joined(codec.encode(prepared))
    except Exception as exc:  # the library refuses to encode these models
        raise ShapeUnsupported(f"{lib.name} cannot encode this payload's models "
                               f"({type(exc).__name__}: {_first_line(exc)})") from exc
    try:
        codec.decode(memoryview(encoded))
    except Exception as exc:  # a gate of a decoder that rejects everything would prove nothing
        raise ShapeUnsupported(f"{lib.name} cannot decode its own encoding of this payload "
                               f"({type(exc).__name__}: {_first_line(exc)})") from exc
    gate = run_gate(codec, encoded, shape, lib.plain)
    if gate.validates:
        return dataclasses.replace(codec, family=FAMILY_TYPED,
                                   options=f"{lib.options}; {gate.summary()}",
                                   timing="encode models / decode into validated models")
    return dataclasses.replace(codec, family=FAMILY_UNVALIDATED,
                               options=f"{lib.options}; {gate.summary()}",
                               timing="encode models / decode into models, no validation "
                               f"({gate.summary()})")


def _first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else ""
