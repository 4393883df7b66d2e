"""What a language module hands back for one shape: its codec's calls (`Binding`) and the
pieces they are made of (`Parts`, which the harness floors call too), and the adapters between
the payload and the root message (a generated root carries the payload as its one field).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from serbench.codecs.schemas.conventions import root_record
from serbench.codecs.schemas.converters import Conv, Populate, Rebuild
from serbench.payloads.shapes import Shape

__all__ = [
    "Binding",
    "Parts",
    "identity",
    "populate_root",
    "root_fields",
    "root_value",
]


@dataclasses.dataclass(frozen=True)
class Binding:
    """A schema codec's calls for one shape: what `Codec` needs beyond its name and flags."""

    encode: Callable[[Any], Any]
    decode: Callable[[memoryview], Any]
    call_path: str
    prepare: Callable[[Any], Any] | None = None
    #: The generated schema: (file suffix, text), for the results directory.
    schema: tuple[str, str] = ("", "")


@dataclasses.dataclass(frozen=True)
class Parts:
    """The pieces of one language's codec for one shape, built once: what the codec and the
    harness floors (serbench/extensions/harness/floors_schema.py) call."""

    #: Payload object → the library's message (the prepared variant's `prepare`); `identity`
    #: where the library takes the payload as it is.
    populate: Callable[[Any], Any]
    #: The library's decoded message → the payload's Python types.
    to_python: Callable[[Any], Any]
    #: The library objects the calls use, by the names the floors use (`Root`, `parsed`, …).
    objects: dict[str, Any]
    #: (file suffix, schema text).
    schema: tuple[str, str]


def identity(value: Any) -> Any:
    """The payload as it is: the populate step of a payload the library takes unchanged."""
    return value


def root_fields(populate: Populate, shape: Shape) -> Conv:
    """Payload object → the root message's fields as a dict (None: the payload is that dict
    already). A generated root takes the payload as its one field, `items`."""
    root, wrapped = root_record(shape)
    if not wrapped:
        return populate.build(root)
    conv = populate.build(shape)
    key = populate.field_key(root, root.fields[0])
    if conv is None:
        return lambda obj: {key: obj}
    return lambda obj: {key: conv(obj)}


def root_value(rebuild: Rebuild, shape: Shape) -> Callable[[Any], Any]:
    """Decoded root message → the payload object (a generated root's `items`)."""
    root, wrapped = root_record(shape)
    if not wrapped:
        conv = rebuild.build(root)
        return identity if conv is None else conv
    get = rebuild.field_getter(root, root.fields[0])
    inner = rebuild.build(shape)
    if inner is None:
        return get
    return lambda message: inner(get(message))


def populate_root(fields: Conv, make: Callable[[dict[str, Any]], Any]) -> Callable[[Any], Any]:
    """Payload → root message: `make(**fields)`-style construction around `root_fields`."""
    if fields is None:
        return make
    return lambda obj: make(fields(obj))
