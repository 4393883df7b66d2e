"""The validation gate, untimed: does a typed decoder reject a corrupted document?

From the payload's own encoded form, two corruptions are made: a value of the wrong type in a
field (a str where an int, float or bool is declared, preferred in that order; else an int
where a str, bytes or datetime is declared), and a record with a required field missing. A
payload without records (a list of floats) gets the first item's type corrupted instead and no
missing-field document. A decoder that accepts either is "typed, no validation".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from serbench.codecs.base import Codec
from serbench.codecs.typed.convert import matches
from serbench.payloads.shapes import ListOf, MapOf, OptionalOf, Record, Scalar, Shape, UnionOf

__all__ = ["Corruption", "GateResult", "corruptions", "run_gate"]

#: Wrong values by declared kind, in order of preference: the value a corruption writes.
_WRONG: dict[str, tuple[str, Any]] = {
    "int": ("a str", "not-an-int"),
    "float": ("a str", "not-a-float"),
    "bool": ("a str", "not-a-bool"),
    "str": ("an int", 12345),
    "bytes": ("an int", 12345),
    "datetime": ("an int", 12345),
}
_PREFERENCE = tuple(_WRONG)


@dataclass(frozen=True)
class Corruption:
    """One corrupted document (the payload's plain data, changed in one place)."""

    description: str
    document: Any


@dataclass(frozen=True)
class GateResult:
    """What the decoder did with each corruption."""

    accepted: tuple[str, ...]
    rejected: tuple[str, ...]

    @property
    def validates(self) -> bool:
        """Rejected every corruption (and there was at least one)."""
        return bool(self.rejected) and not self.accepted

    def summary(self) -> str:
        """One line for the codec's options: what was accepted and rejected."""
        if not self.accepted and not self.rejected:
            return "gate: nothing to corrupt (no field or item), so not shown to validate"
        parts = [f"accepted {', '.join(self.accepted)}"] if self.accepted else []
        if self.rejected:
            parts.append(f"rejected {', '.join(self.rejected)}")
        return "gate: " + "; ".join(parts)


@dataclass(frozen=True)
class _Slot:
    """A place in the plain data holding a scalar of a known kind."""

    container: Any
    key: Any
    kind: str
    label: str


def corruptions(plain: Callable[[], Any], shape: Shape) -> list[Corruption]:
    """The corrupted documents for `shape`; `plain` returns a fresh copy of the payload's
    plain data (decoded from its encoded form) each time it is called."""
    out = []
    doc = plain()
    slot = _wrong_type_slot(doc, shape)
    if slot is not None:
        what, value = _WRONG[slot.kind]
        slot.container[slot.key] = value
        out.append(Corruption(f"{what} for {slot.label}", doc))
    doc = plain()
    found = _first_record(doc, shape)
    if found is not None:
        data, record = found
        required = [f.name for f in record.fields
                    if f.required and not isinstance(f.shape, OptionalOf) and f.name in data]
        if required:
            del data[required[0]]
            out.append(Corruption(f"{record.name} without {required[0]!r}", doc))
    return out


def _first_record(value: Any, shape: Shape) -> tuple[dict[str, Any], Record] | None:
    """The first dict in the plain data that is an instance of a record, and that record."""
    if isinstance(shape, Record):
        return (value, shape) if isinstance(value, dict) else None
    for child, child_shape in _children(value, shape):
        found = _first_record(child, child_shape)
        if found is not None:
            return found
    return None


def _children(value: Any, shape: Shape) -> list[tuple[Any, Shape]]:
    if isinstance(shape, OptionalOf) and value is not None:
        return [(value, shape.inner)]
    if isinstance(shape, ListOf) and isinstance(value, list):
        return [(item, shape.item) for item in value]
    if isinstance(shape, MapOf) and isinstance(value, dict):
        return [(item, shape.value) for item in value.values()]
    if isinstance(shape, UnionOf):
        return [(value, o) for o in shape.options if isinstance(o, Record) and matches(o, value)]
    return []


def _wrong_type_slot(doc: Any, shape: Shape) -> _Slot | None:
    found = _first_record(doc, shape)
    if found is not None:
        data, record = found
        for kind in _PREFERENCE:
            for f in record.fields:
                if isinstance(f.shape, Scalar) and f.shape.kind == kind and f.name in data:
                    return _Slot(data, f.name, kind, f"{record.name}.{f.name}")
    return _first_item_slot(doc, shape, "the top level")


def _first_item_slot(value: Any, shape: Shape, label: str) -> _Slot | None:
    """The first list item or map value of a preferred scalar kind (a payload without
    records, like a list of floats)."""
    if isinstance(shape, ListOf) and isinstance(value, list) and value:
        if isinstance(shape.item, Scalar) and shape.item.kind in _WRONG:
            return _Slot(value, 0, shape.item.kind, f"item 0 of {label} (a {shape.item.kind})")
        return _first_item_slot(value[0], shape.item, f"item 0 of {label}")
    if isinstance(shape, MapOf) and isinstance(value, dict) and value:
        key = next(iter(value))
        if isinstance(shape.value, Scalar) and shape.value.kind in _WRONG:
            return _Slot(value, key, shape.value.kind, f"the value at {key!r} in {label}")
        return _first_item_slot(value[key], shape.value, f"the value at {key!r} in {label}")
    return None


def run_gate(codec: Codec, encoded: bytes, shape: Shape,
             plain_codec: tuple[Callable[[bytes], Any], Callable[[Any], bytes]]) -> GateResult:
    """Feed `codec` (bound) each corruption of `encoded`, its own encoding of the payload.

    `plain_codec` is the format's untyped (decode, encode) pair, used to read the encoded
    form as plain data and to write each corrupted document back.
    """
    plain_decode, plain_encode = plain_codec
    accepted, rejected = [], []
    for corruption in corruptions(lambda: plain_decode(encoded), shape):
        data = plain_encode(corruption.document)
        try:
            codec.decode(memoryview(data))
        except Exception:  # any refusal counts: libraries raise their own error types
            rejected.append(corruption.description)
        else:
            accepted.append(corruption.description)
    return GateResult(tuple(accepted), tuple(rejected))
