"""The shape description: a payload's structure, declared once, from which serbench derives
every schema (protobuf, Avro, Arrow, Cap'n Proto, Thrift) and every typed model (msgspec,
pydantic, cattrs, mashumaro).

Small on purpose: records of typed fields (a field may be optional: absent or None), lists,
maps, unions of scalars and records, and the scalars JSON-like payloads carry. `python` on a
list or record says which Python type the payload uses there (tuple, frozenset, a dataclass, a
numpy array), so a codec that decodes into plain data can rebuild the original object.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "INT64_MAX",
    "INT64_MIN",
    "NEVER",
    "Field",
    "ListOf",
    "MapOf",
    "OptionalOf",
    "Record",
    "Scalar",
    "ScalarKind",
    "Shape",
    "ShapeUnsupported",
    "UnionOf",
    "describe",
    "is_identifier",
    "records_in",
]

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

ScalarKind = Literal["int", "float", "str", "bool", "bytes", "datetime", "null"]
ListKind = Literal["list", "tuple", "set", "frozenset", "ndarray"]

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class ShapeUnsupported(Exception):
    """A payload has no shape a schema can state (mixed-type lists, integers beyond 64 bits,
    map-vs-record ambiguity), or a schema language cannot state this shape; the message says
    where and why, and becomes the `unsupported` cell's reason."""


@dataclass(frozen=True)
class Scalar:
    """One value of a scalar kind. `int` is a signed 64-bit integer; `datetime` is timezone
    aware; `null` (`NEVER`) means no value was ever seen there: the item of a list that was
    always empty, or `OptionalOf(NEVER)` for a field that was always None. A schema may carry
    it as any type (the generators use a string)."""

    kind: ScalarKind


@dataclass(frozen=True)
class OptionalOf:
    """The inner shape, or None."""

    inner: Shape


@dataclass(frozen=True)
class ListOf:
    """A homogeneous sequence; `python` is the container the payload uses."""

    item: Shape
    python: ListKind = "list"


@dataclass(frozen=True)
class MapOf:
    """A mapping from scalar keys (str or int) to one value shape, keys chosen by the data."""

    key: Scalar
    value: Shape


@dataclass(frozen=True)
class Field:
    """A record's field. `required=False`: some instances omit the key altogether."""

    name: str
    shape: Shape
    required: bool = True


@dataclass(frozen=True)
class Record:
    """A fixed set of named fields. `name` is unique within one payload's shape and a valid
    identifier; `python` is "dict", or "module:QualName" of the dataclass the payload holds."""

    name: str
    fields: tuple[Field, ...]
    python: str = "dict"

    def field(self, name: str) -> Field:
        """The field called `name` (KeyError if there is none)."""
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


@dataclass(frozen=True)
class UnionOf:
    """One of several shapes, told apart by their Python type (e.g. int or str)."""

    options: tuple[Shape, ...]


Shape = Scalar | OptionalOf | ListOf | MapOf | Record | UnionOf

#: The item shape of a list that was empty wherever it was seen: any schema type carries it.
NEVER = Scalar("null")


def is_identifier(name: str) -> bool:
    """Whether `name` can be a field name in every generated schema and model (ASCII
    identifier, not a Python keyword: pydantic and dataclasses need that)."""
    return bool(_IDENTIFIER.match(name)) and not keyword.iskeyword(name)


def records_in(shape: Shape) -> list[Record]:
    """Every record in `shape`, innermost first (the order schema languages declare them),
    each once."""
    found: dict[str, Record] = {}

    def walk(s: Shape) -> None:
        if isinstance(s, Record):
            for f in s.fields:
                walk(f.shape)
            found.setdefault(s.name, s)
        elif isinstance(s, OptionalOf):
            walk(s.inner)
        elif isinstance(s, ListOf):
            walk(s.item)
        elif isinstance(s, MapOf):
            walk(s.value)
        elif isinstance(s, UnionOf):
            for option in s.options:
                walk(option)

    walk(shape)
    return list(found.values())


def describe(shape: Shape) -> str:
    """A one-line, human-readable form (for listings, errors and the results directory)."""
    if isinstance(shape, Scalar):
        return shape.kind
    if isinstance(shape, OptionalOf):
        return f"{describe(shape.inner)}?"
    if isinstance(shape, ListOf):
        inner = f"[{describe(shape.item)}]"
        return inner if shape.python == "list" else f"{shape.python}{inner}"
    if isinstance(shape, MapOf):
        return f"{{{describe(shape.key)}: {describe(shape.value)}}}"
    if isinstance(shape, UnionOf):
        return " | ".join(describe(o) for o in shape.options)
    fields = ", ".join(f"{f.name}{'' if f.required else '~'}: {describe(f.shape)}"
                       for f in shape.fields)
    return f"{shape.name}{{{fields}}}"
