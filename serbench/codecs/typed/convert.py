"""The payload's Python object as model instances: what a typed codec's `prepare` does
(untimed), so its `encode` is timed on the models an application would hold.

A converter is built once per shape as a tree of small closures; records read a dict's keys or
a dataclass's attributes, lists keep the container the shape names (tuple, frozenset, …), and
scalars pass through unchanged (bytes and datetimes stay what they are).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from serbench.payloads.shapes import ListOf, MapOf, OptionalOf, Record, Scalar, Shape, UnionOf

__all__ = ["Convert", "converter", "matches"]

Convert = Callable[[Any], Any]

_LIST_TYPES: dict[str, Callable[[Any], Any]] = {
    "list": list, "tuple": tuple, "set": set, "frozenset": frozenset}
_SCALAR_CHECKS: dict[str, Callable[[Any], bool]] = {
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "float": lambda v: isinstance(v, float),
    "str": lambda v: isinstance(v, str),
    "bool": lambda v: isinstance(v, bool),
    "bytes": lambda v: isinstance(v, bytes | bytearray),
    "datetime": lambda v: isinstance(v, dt.datetime),
    "null": lambda v: True,
}
_MISSING = object()


def _identity(value: Any) -> Any:
    return value


def converter(shape: Shape, classes: Mapping[str, Callable[..., Any]]) -> Convert:
    """A function turning a payload value of `shape` into instances of `classes` (by record
    name); a record missing from `classes` stays a dict."""
    if isinstance(shape, Scalar):
        return _identity
    if isinstance(shape, OptionalOf):
        inner = converter(shape.inner, classes)
        return lambda v: None if v is None else inner(v)
    if isinstance(shape, ListOf):
        item = converter(shape.item, classes)
        make = _LIST_TYPES.get(shape.python, list)
        return lambda v: make(item(x) for x in v)
    if isinstance(shape, MapOf):
        value = converter(shape.value, classes)
        return lambda v: {k: value(x) for k, x in v.items()}
    if isinstance(shape, UnionOf):
        return _union(shape, classes)
    return _record(shape, classes)


def _record(record: Record, classes: Mapping[str, Callable[..., Any]]) -> Convert:
    fields = [(f.name, converter(f.shape, classes)) for f in record.fields]
    cls = classes.get(record.name, dict)

    def convert(value: Any) -> Any:
        kwargs = {}
        for name, conv in fields:
            item = value.get(name, _MISSING) if isinstance(value, dict) else getattr(
                value, name, _MISSING)
            if item is not _MISSING:
                kwargs[name] = conv(item)
        return cls(**kwargs)

    return convert


def _union(shape: UnionOf, classes: Mapping[str, Callable[..., Any]]) -> Convert:
    options = [(option, converter(option, classes)) for option in shape.options]

    def convert(value: Any) -> Any:
        for option, conv in options:
            if matches(option, value):
                return conv(value)
        return value

    return convert


def matches(shape: Shape, value: Any) -> bool:
    """Whether `value` is of `shape`'s kind at its top level (how a union option is chosen)."""
    if isinstance(shape, Scalar):
        return _SCALAR_CHECKS[shape.kind](value)
    if isinstance(shape, OptionalOf):
        return value is None or matches(shape.inner, value)
    if isinstance(shape, ListOf):
        return isinstance(value, list | tuple | set | frozenset)
    if isinstance(shape, MapOf):
        return isinstance(value, dict)
    if isinstance(shape, UnionOf):
        return any(matches(o, value) for o in shape.options)
    if isinstance(value, dict):
        return set(value) <= {f.name for f in shape.fields}
    return dataclasses.is_dataclass(value) and not isinstance(value, type)
