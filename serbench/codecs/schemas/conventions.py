"""The choices every schema language makes the same way, kept in one place so that the five
generated schemas agree: the generated root message, the type of a `null` (never seen) scalar,
which option of a union of scalars a value takes, datetimes as int64 microseconds since the
epoch, and (for the languages whose IDL is text, Cap'n Proto and Thrift) the order records and
unions are declared in. Names are made unique by `serbench.payloads.shapes.names.Names`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from serbench.payloads import shapes
from serbench.payloads.shapes.names import Names

__all__ = [
    "IdlDeclarations",
    "from_micros",
    "never_as_str",
    "root_record",
    "to_micros",
    "union_index",
]

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICRO = dt.timedelta(microseconds=1)
_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "bool": (bool,), "int": (int,), "float": (float,), "str": (str,),
    "bytes": (bytes, bytearray), "datetime": (dt.datetime,), "null": (str,),
}


def to_micros(value: dt.datetime) -> int:
    """Microseconds since the Unix epoch (UTC): how int64-timestamp schemas carry a datetime."""
    return (value - _EPOCH) // _MICRO


def from_micros(micros: int) -> dt.datetime:
    """The timezone-aware UTC datetime `micros` microseconds after the epoch."""
    return _EPOCH + dt.timedelta(microseconds=micros)


def root_record(shape: shapes.Shape) -> tuple[shapes.Record, bool]:
    """The message a schema serializes: the shape's own top-level record, else a generated root
    record with one field `items` holding the shape (schemas serialize messages, not lists);
    the flag says whether it was generated."""
    if isinstance(shape, shapes.Record):
        return shape, False
    name = Names(str, (r.name for r in shapes.records_in(shape))).get("Root")
    return shapes.Record(name, (shapes.Field("items", shape),)), True


def never_as_str(shape: shapes.Scalar) -> str:
    """The scalar kind a schema states: `null` (nothing ever seen there) becomes a string."""
    return "str" if shape == shapes.NEVER else shape.kind


def union_index(union: shapes.UnionOf, language: str) -> Callable[[Any], int]:
    """Which option of a union of scalars a Python value takes (bool before int: a bool is an
    int to Python). Unions of records, lists or maps are refused: Python values alone do not
    tell such options apart."""
    kinds: list[str] = []
    for option in union.options:
        if not isinstance(option, shapes.Scalar):
            raise shapes.ShapeUnsupported(f"{language}: a union option that is not a scalar "
                                          f"({shapes.describe(option)}) is not mapped")
        kinds.append(option.kind)
    by_type: dict[type, int] = {}
    for position, kind in sorted(enumerate(kinds), key=lambda ik: ik[1] != "bool"):
        for cls in _PYTHON_TYPES[kind]:
            by_type.setdefault(cls, position)
    if "float" in kinds and "int" not in kinds:
        by_type.setdefault(int, kinds.index("float"))

    def index(value: Any) -> int:
        try:
            return by_type[type(value)]
        except KeyError:
            raise TypeError(f"{type(value).__name__} is none of the union's options "
                            f"({shapes.describe(union)})") from None

    return index


class IdlDeclarations:
    """An IDL being written from a shape: the root record, each record's type name (mangled by
    `type_name`), each field's name, the union types declared so far, and the text blocks in
    declaration order (records innermost first, a union where first used). Subclasses write
    one record's block (`struct`) and one union's (`union_block`)."""

    language = "schema"

    def __init__(self, shape: shapes.Shape, type_name: Callable[[str], str]) -> None:
        self.root, self.wrapped = root_record(shape)
        self.records = shapes.records_in(self.root)
        self.types = Names(type_name)
        self.record_names = {r.name: self.types.get(r.name) for r in self.records}
        self.field_names: dict[tuple[str, str], str] = {}
        self.unions: dict[shapes.UnionOf, str] = {}
        self.blocks: list[str] = []
        for record in self.records:
            self.struct(record)

    def struct(self, record: shapes.Record) -> None:
        """Declare `record` (its fields' types first, where they need declarations)."""
        raise NotImplementedError

    def union(self, shape: shapes.UnionOf, where: str) -> str:
        """The type name of a union of scalars, declared when first used (other unions are
        refused)."""
        if shape not in self.unions:
            union_index(shape, self.language)  # refuses non-scalar options
            name = self.types.get("Union")
            self.unions[shape] = name
            self.blocks.append(self.union_block(name, shape, where))
        return self.unions[shape]

    def union_block(self, name: str, shape: shapes.UnionOf, where: str) -> str:
        """The declaration of the union type `name`."""
        raise NotImplementedError
