"""A shape inferred from a payload object: how a user's file or a corpus document gets the
schema the catalog's shapes declare.

Lists must be homogeneous (None aside: it makes the item optional), integers must fit 64 bits,
and a dict is a record when its keys are identifiers, else a map whose values share one shape;
anything else raises `ShapeUnsupported` naming the place. Records found in one list are merged:
a key some items lack makes that field optional (`required=False`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Any

from serbench.payloads.shapes.names import Names
from serbench.payloads.shapes.shape import (
    INT64_MAX,
    INT64_MIN,
    NEVER,
    Field,
    ListKind,
    ListOf,
    MapOf,
    OptionalOf,
    Record,
    Scalar,
    Shape,
    ShapeUnsupported,
    describe,
    is_identifier,
)

__all__ = ["infer_shape", "merge"]

_LISTS: dict[type, ListKind] = {list: "list", tuple: "tuple", set: "set", frozenset: "frozenset"}


def infer_shape(obj: Any, root: str = "Root") -> Shape:
    """The shape of `obj`; records are named after their path from `root`."""
    return _Inference().shape(obj, root, root)


def _record_name(path_name: str) -> str:
    """A record name from its path: an identifier starting with a letter."""
    base = re.sub(r"\W", "_", path_name) or "Record"
    return base if base[0].isalpha() else f"R{base}"


class _Inference:
    def __init__(self) -> None:
        self.names = Names(_record_name)

    def record_name(self, path_name: str) -> str:
        return self.names.get(path_name)

    def shape(self, obj: Any, path: str, name: str) -> Shape:
        if obj is None:
            return OptionalOf(NEVER)  # None, of a type the rest of the data may tell
        if isinstance(obj, bool):
            return Scalar("bool")
        if isinstance(obj, int):
            if not INT64_MIN <= obj <= INT64_MAX:
                raise ShapeUnsupported(f"at {path}: integer {obj} does not fit in 64 bits")
            return Scalar("int")
        if isinstance(obj, float):
            return Scalar("float")
        if isinstance(obj, str):
            return Scalar("str")
        if isinstance(obj, bytes | bytearray):
            return Scalar("bytes")
        if isinstance(obj, dt.datetime):
            if obj.tzinfo is None:
                raise ShapeUnsupported(f"at {path}: a naive datetime (no timezone)")
            return Scalar("datetime")
        kind = _LISTS.get(type(obj))
        if kind is not None:
            return self.sequence(list(obj), kind, path, name)
        if type(obj).__module__ == "numpy" and type(obj).__name__ == "ndarray":
            if obj.dtype.kind != "f" or obj.ndim != 1:
                raise ShapeUnsupported(f"at {path}: numpy array of {obj.dtype}, {obj.ndim}-d "
                                       "(only 1-d float arrays have a shape)")
            return ListOf(Scalar("float"), "ndarray")
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            cls = type(obj)
            fields = tuple(Field(f.name, self.shape(getattr(obj, f.name), f"{path}.{f.name}",
                                                    f"{name}_{f.name}"))
                           for f in dataclasses.fields(obj))
            return Record(self.record_name(cls.__name__), fields,
                          f"{cls.__module__}:{cls.__qualname__}")
        if isinstance(obj, dict):
            return self.mapping(obj, path, name)
        raise ShapeUnsupported(f"at {path}: {type(obj).__name__} has no shape")

    def sequence(self, items: list[Any], kind: ListKind, path: str, name: str) -> Shape:
        item: Shape = NEVER
        for i, value in enumerate(items):
            item = merge(item, self.shape(value, f"{path}[{i}]", f"{name}_item"), f"{path}[]")
        return ListOf(item, kind)

    def mapping(self, obj: dict[Any, Any], path: str, name: str) -> Shape:
        keys = list(obj)
        if keys and all(isinstance(k, str) and is_identifier(k) for k in keys):
            fields = tuple(Field(k, self.shape(v, f"{path}.{k}", f"{name}_{k}"))
                           for k, v in obj.items())
            return Record(self.record_name(name), fields)
        key_kinds = {type(k) for k in keys}
        if key_kinds - {str} and key_kinds - {int}:
            raise ShapeUnsupported(f"at {path}: map keys of types "
                                   f"{sorted(t.__name__ for t in key_kinds)} (str or int only)")
        key = Scalar("int") if key_kinds == {int} else Scalar("str")
        value: Shape = NEVER
        for k, v in obj.items():
            try:
                value = merge(value, self.shape(v, f"{path}[{k!r}]", f"{name}_value"),
                              f"{path}{{}}")
            except ShapeUnsupported as exc:
                raise ShapeUnsupported(f"{exc} (map-vs-record ambiguity: the keys are not all "
                                       "identifiers, so this is a map, and its values differ)"
                                       ) from exc
        return MapOf(key, value)


def merge(a: Shape, b: Shape, where: str) -> Shape:
    """The one shape covering both `a` and `b` (None makes it optional; records merge field by
    field), or `ShapeUnsupported` when they are different kinds (a mixed-type list)."""
    if a == b:
        return a
    if a == NEVER:
        return b if b != NEVER else a
    if b == NEVER:
        return a
    if isinstance(a, OptionalOf) or isinstance(b, OptionalOf):
        inner_a = a.inner if isinstance(a, OptionalOf) else a
        inner_b = b.inner if isinstance(b, OptionalOf) else b
        return OptionalOf(merge(inner_a, inner_b, where))
    if isinstance(a, ListOf) and isinstance(b, ListOf) and a.python == b.python:
        return ListOf(merge(a.item, b.item, where), a.python)
    if isinstance(a, MapOf) and isinstance(b, MapOf) and a.key == b.key:
        return MapOf(a.key, merge(a.value, b.value, where))
    if isinstance(a, Record) and isinstance(b, Record) and a.python == b.python:
        return _merge_records(a, b, where)
    raise ShapeUnsupported(f"at {where}: mixed types ({describe(a)} and {describe(b)})")


def _merge_records(a: Record, b: Record, where: str) -> Record:
    by_name = {f.name: f for f in b.fields}
    fields = []
    for f in a.fields:
        other = by_name.pop(f.name, None)
        if other is None:
            fields.append(Field(f.name, f.shape, required=False))
        else:
            fields.append(Field(f.name, merge(f.shape, other.shape, f"{where}.{f.name}"),
                                f.required and other.required))
    fields += [Field(f.name, f.shape, required=False) for f in by_name.values()]
    return Record(a.name, tuple(fields), a.python)
