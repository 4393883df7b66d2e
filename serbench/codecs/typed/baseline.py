"""The orjson → dataclass baseline's decode: `orjson.loads`, then the dataclasses built from
the dicts with no conversion and no checks (`Row(**d)`), as hand-written code would do.

Nothing is converted: a base64 str stays a str, a list stays a list where the model says
tuple or frozenset, a map's keys stay strings; fidelity shows each of those as a loss.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from serbench.codecs.typed.convert import matches
from serbench.payloads.shapes import ListOf, MapOf, OptionalOf, Record, Shape, UnionOf, records_in

__all__ = ["Build", "dataclass_builder", "dataclass_decoder"]

Build = Callable[[Any], Any]


def _identity(value: Any) -> Any:
    return value


def dataclass_builder(shape: Shape, classes: Mapping[str, type]) -> Build:
    """Plain data of `shape` → the same data with each record dict made into its class."""
    if not records_in(shape):
        return _identity
    if isinstance(shape, OptionalOf):
        inner = dataclass_builder(shape.inner, classes)
        return lambda v: None if v is None else inner(v)
    if isinstance(shape, ListOf):
        if isinstance(shape.item, Record) and not _nested(shape.item):
            cls = classes[shape.item.name]
            return lambda v: [cls(**d) for d in v]  # the hand-written form for a flat list
        item = dataclass_builder(shape.item, classes)
        return lambda v: [item(x) for x in v]
    if isinstance(shape, MapOf):
        value = dataclass_builder(shape.value, classes)
        return lambda v: {k: value(x) for k, x in v.items()}
    if isinstance(shape, UnionOf):
        return _union(shape, classes)
    if isinstance(shape, Record):
        return _record(shape, classes)
    return _identity


def _nested(record: Record) -> bool:
    return any(records_in(f.shape) for f in record.fields)


def _record(record: Record, classes: Mapping[str, type]) -> Build:
    cls = classes[record.name]
    nested = [(f.name, dataclass_builder(f.shape, classes)) for f in record.fields
              if records_in(f.shape)]
    if not nested:
        return lambda d: cls(**d)

    def build(d: dict[str, Any]) -> Any:
        for name, sub in nested:
            if name in d:
                d[name] = sub(d[name])
        return cls(**d)

    return build


def _union(shape: UnionOf, classes: Mapping[str, type]) -> Build:
    # A dict in a union is the first record option whose fields cover its keys.
    options = [(o, dataclass_builder(o, classes)) for o in shape.options if isinstance(o, Record)]

    def build(value: Any) -> Any:
        if isinstance(value, dict):
            for option, sub in options:
                if matches(option, value):
                    return sub(value)
        return value

    return build


def dataclass_decoder(shape: Shape, classes: Mapping[str, type],
                      loads: Callable[[Any], Any]) -> Build:
    """`loads` followed by the construction, as one function in the hand-written form:
    `loads` itself without records, `[Row(**d) for d in loads(view)]` for a flat list,
    `Small(**loads(view))` for a flat record, else `build(loads(view))`."""
    if not records_in(shape):
        return loads
    if isinstance(shape, ListOf) and isinstance(shape.item, Record) and not _nested(shape.item):
        cls = classes[shape.item.name]
        return lambda view: [cls(**d) for d in loads(view)]
    if isinstance(shape, Record) and not _nested(shape):
        cls = classes[shape.name]
        return lambda view: cls(**loads(view))
    build = dataclass_builder(shape, classes)
    return lambda view: build(loads(view))
