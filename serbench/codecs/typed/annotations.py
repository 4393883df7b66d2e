"""A shape as a Python type annotation (`list[Row]`, `int | str`, `dict[int, float]`): the
one vocabulary msgspec, pydantic, cattrs and mashumaro all read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Union

from serbench.payloads import shapes
from serbench.payloads.shapes import ListOf, MapOf, OptionalOf, Record, Scalar, Shape, UnionOf

__all__ = ["SCALAR_TYPES", "annotation_for", "check_modelable"]

#: The Python type of each scalar kind; `null` (NEVER: no value ever seen) is `Any`.
SCALAR_TYPES: dict[str, Any] = {
    "int": int, "float": float, "str": str, "bool": bool, "bytes": bytes,
    "datetime": dt.datetime, "null": Any,
}

_CONTAINERS: dict[str, Any] = {"list": list, "set": set}


def annotation_for(shape: Shape, classes: Mapping[str, type]) -> Any:
    """The annotation of `shape`, naming each record by its class in `classes`."""
    if isinstance(shape, Scalar):
        return SCALAR_TYPES[shape.kind]
    if isinstance(shape, OptionalOf):
        inner = annotation_for(shape.inner, classes)
        return inner if shape.inner == shapes.NEVER else Union[inner, None]  # noqa: UP007
    if isinstance(shape, ListOf):
        item = annotation_for(shape.item, classes)
        if shape.python == "tuple":
            return tuple[item, ...]  # type: ignore[valid-type]
        if shape.python == "frozenset":
            return frozenset[item]  # type: ignore[valid-type]
        return _CONTAINERS[shape.python][item]
    if isinstance(shape, MapOf):
        return dict[annotation_for(shape.key, classes),  # type: ignore[misc]
                    annotation_for(shape.value, classes)]
    if isinstance(shape, UnionOf):
        return Union[tuple(annotation_for(o, classes) for o in shape.options)]  # noqa: UP007
    return classes[shape.name]


def check_modelable(shape: Shape) -> None:
    """Raise `ShapeUnsupported` for what no typed library here models: numpy arrays (none has
    an ndarray type; a `list[float]` model would time a different object than the payload)."""

    def walk(s: Shape, where: str) -> None:
        if isinstance(s, ListOf):
            if s.python == "ndarray":
                raise shapes.ShapeUnsupported(
                    f"at {where}: a numpy array; the typed libraries have no ndarray type (a "
                    "list[float] model would time a different object than the payload)")
            walk(s.item, f"{where}[]")
        elif isinstance(s, OptionalOf):
            walk(s.inner, where)
        elif isinstance(s, MapOf):
            walk(s.value, f"{where}{{}}")
        elif isinstance(s, UnionOf):
            for option in s.options:
                walk(option, where)
        elif isinstance(s, Record):
            for f in s.fields:
                walk(f.shape, f"{s.name}.{f.name}")

    walk(shape, "top level")
    for record in shapes.records_in(shape):
        if not record.fields:
            raise shapes.ShapeUnsupported(f"record {record.name} has no fields")
