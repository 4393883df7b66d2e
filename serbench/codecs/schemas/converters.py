"""The two shape-driven converters every schema codec is built on: the payload's Python object →
what a library's constructors take (`Populate`), and what a library decodes → the payload's
Python types (`Rebuild`). Each language subclasses them to state its library's needs.

A converter is `None` where the conversion is the identity, so a codec whose library takes the
payload as it is (fastavro on a list of flat dicts) calls the library with no layer at all; a
record's converter is generated code (`compile_record`), what one would write by hand.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import Any

from serbench.codecs.schemas.conventions import from_micros, to_micros, union_index
from serbench.payloads import shapes
from serbench.payloads.shapes import ListOf, MapOf, OptionalOf, Record, Scalar, Shape, UnionOf

__all__ = [
    "MISSING",
    "Conv",
    "Populate",
    "Rebuild",
    "apply",
    "compile_record",
    "python_class",
]

#: A conversion step; None is the identity.
Conv = Callable[[Any], Any] | None
#: A record field a decoded message does not carry (`Field.required=False`): the key is left out.
MISSING: Any = object()


def apply(conv: Conv, value: Any) -> Any:
    """`conv(value)`, or `value` for the identity."""
    return value if conv is None else conv(value)


def python_class(record: Record) -> type | None:
    """The dataclass a record's payload holds ("module:QualName"), or None for a dict."""
    if record.python == "dict":
        return None
    module, _, qualname = record.python.partition(":")
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    if not isinstance(obj, type):
        raise shapes.ShapeUnsupported(f"record {record.name}: {record.python} is not a class")
    return obj


class _ShapeConverters:
    """What `Populate` and `Rebuild` share: one converter per shape, built by kind, None where
    a value passes as it is (so a record of plain fields costs no call at all)."""

    language = "schema"
    #: Datetimes as int64 microseconds since the epoch (else left as timezone-aware datetimes).
    micros = True

    def build(self, shape: Shape) -> Conv:
        """The converter for a value of `shape`."""
        if isinstance(shape, Scalar):
            return self.scalar(shape)
        if isinstance(shape, OptionalOf):
            return self.optional(shape)
        if isinstance(shape, ListOf):
            return self.list(shape)
        if isinstance(shape, MapOf):
            return self.map(shape)
        if isinstance(shape, Record):
            return self.record(shape)
        return self.union(shape)

    def optional(self, shape: OptionalOf) -> Conv:
        inner = self.build(shape.inner)
        if inner is None:
            return None
        return lambda v: None if v is None else inner(v)

    def scalar(self, shape: Scalar) -> Conv:
        raise NotImplementedError

    def list(self, shape: ListOf) -> Conv:
        raise NotImplementedError

    def map(self, shape: MapOf) -> Conv:
        raise NotImplementedError

    def record(self, record: Record) -> Conv:
        raise NotImplementedError

    def union(self, shape: UnionOf) -> Conv:
        raise shapes.ShapeUnsupported(f"{self.language}: unions are not mapped")


class Populate(_ShapeConverters):
    """Builds the converter from the payload's Python object to what a library's constructors
    take: dicts for records, lists, dicts for maps. Subclasses state the library's needs."""

    #: Python containers the library takes as they are, per `ListOf.python`.
    takes: frozenset[str] = frozenset({"list", "tuple"})
    #: Whether a record built from a dict of plain values is that dict itself (no field renaming
    #: and no library class to construct).
    dict_records = True
    #: Whether a record's absent keys (`required=False`) are written as None: where the
    #: library's record value always has every field (Avro's datum), so a prepared message
    #: equals its decoded copy.
    absent_as_none = False

    def scalar(self, shape: Scalar) -> Conv:
        return to_micros if shape.kind == "datetime" and self.micros else None

    def list(self, shape: ListOf) -> Conv:
        item = self.build(shape.item)
        if shape.python == "ndarray":
            return _tolist if item is None else lambda v: [item(x) for x in v.tolist()]
        if item is None:
            return None if shape.python in self.takes else list
        return lambda v: [item(x) for x in v]

    def map(self, shape: MapOf) -> Conv:
        value = self.build(shape.value)
        if value is None:
            return None
        return lambda v: {k: value(x) for k, x in v.items()}

    def field_key(self, record: Record, field: shapes.Field) -> str:
        """The name the library's constructor takes for `field` (mangled where needed)."""
        return field.name

    def record_class(self, record: Record) -> Callable[..., Any] | None:
        """The library's class a record is built as, with keyword arguments (None: a dict)."""
        return None

    def record(self, record: Record) -> Conv:
        make = self.record_class(record)
        if record.python == "dict" and make is None and self.dict_records and all(
                self.field_key(record, f) == f.name and self.build(f.shape) is None
                and (f.required or not self.absent_as_none) for f in record.fields):
            return None
        fields = []
        for f in record.fields:
            if record.python != "dict":
                expr, missing = f"o.{f.name}", False
            elif f.required:
                expr, missing = f"o[{f.name!r}]", False
            elif self.absent_as_none:
                expr, missing = f"o.get({f.name!r})", False
            else:
                expr, missing = f"o.get({f.name!r}, MISSING)", True
            fields.append((self.field_key(record, f), expr, self.build(f.shape), missing))
        return compile_record(f"populate_{record.name}", fields, make)

    def one_of(self, shape: UnionOf,
               key: Callable[[Scalar], str]) -> Callable[[Any], dict[str, Any]]:
        """A union of scalars as the one-entry dict a library takes for a tagged union:
        `{key(option): value}`, for the option the value's Python type picks."""
        index = union_index(shape, self.language)
        options = [(key(o), self.build(o)) for o in shape.options if isinstance(o, Scalar)]

        def wrap(value: Any) -> dict[str, Any]:
            key, conv = options[index(value)]
            return {key: value if conv is None else conv(value)}

        return wrap


def _tolist(value: Any) -> Any:
    return value.tolist()


class Rebuild(_ShapeConverters):
    """Builds the converter from what a library decodes to the payload's Python types
    (dataclasses, tuples, frozensets, numpy arrays, datetimes). Subclasses say how the library
    exposes record fields, optional values, unions and maps."""

    #: Whether decoded lists are already Python lists (else they are copied into one).
    lists_are_lists = True
    #: Whether decoded records are dicts keyed by field name (else library objects).
    records_are_dicts = True

    def scalar(self, shape: Scalar) -> Conv:
        return from_micros if shape.kind == "datetime" and self.micros else None

    def list(self, shape: ListOf) -> Conv:
        item = self.build(shape.item)
        kind = shape.python
        if kind == "ndarray":
            return _ndarray
        if item is None:
            if kind == "list":
                return None if self.lists_are_lists else list
            return {"tuple": tuple, "set": set, "frozenset": frozenset}[kind]
        if kind == "list":
            return lambda v: [item(x) for x in v]
        container: Any = {"tuple": tuple, "set": set, "frozenset": frozenset}[kind]
        return lambda v: container(item(x) for x in v)

    def map_items(self, value: Any) -> Iterable[tuple[Any, Any]]:
        """The (key, value) pairs of a decoded map."""
        items: Iterable[tuple[Any, Any]] = value.items()
        return items

    def map(self, shape: MapOf) -> Conv:
        value = self.build(shape.value)
        pairs = self.map_items
        if value is None:
            return lambda v: dict(pairs(v))
        return lambda v: {k: value(x) for k, x in pairs(v)}

    def field_expr(self, record: Record, field: shapes.Field) -> str:
        """A Python expression reading `field` from the decoded record `o`: its value, None,
        or `MISSING` (a not-required field the message does not carry)."""
        if field.required:
            return f"o[{field.name!r}]"
        return f"(MISSING if o.get({field.name!r}) is None else o[{field.name!r}])"

    def helpers(self) -> dict[str, Any]:
        """Names `field_expr` expressions use besides `o` and `MISSING`."""
        return {}

    def field_getter(self, record: Record, field: shapes.Field) -> Callable[[Any], Any]:
        """Reads `field` from a decoded record (see `field_expr`)."""
        namespace = {"MISSING": MISSING, **self.helpers()}
        getter: Callable[[Any], Any] = eval(  # generated from the shape's identifiers
            f"lambda o: {self.field_expr(record, field)}", namespace)
        return getter

    def record(self, record: Record) -> Conv:
        fields = [(f.name, self.field_expr(record, f), self.build(f.shape), not f.required)
                  for f in record.fields]
        if self.records_are_dicts and record.python == "dict" and all(
                conv is None and not missing for _, _, conv, missing in fields):
            return None  # the decoded dict is the payload's record already
        return compile_record(f"rebuild_{record.name}", fields, python_class(record),
                              self.helpers())


def compile_record(name: str, fields: list[tuple[str, str, Conv, bool]],
                   make: Callable[..., Any] | None,
                   helpers: dict[str, Any] | None = None) -> Callable[[Any], Any]:
    """A function converting one record `o`, generated once from the shape: what a hand-written
    converter for that record type would be (a dict display or one constructor call), not a
    loop over field descriptions. `fields`: (output key, expression reading the value from
    `o`, its converter, whether the expression may give `MISSING`); `make`: the class built
    with keyword arguments (None: a dict)."""
    namespace: dict[str, Any] = {"MISSING": MISSING, "make": make, **(helpers or {})}

    def value(i: int, expr: str, conv: Conv) -> str:
        if conv is None:
            return expr
        namespace[f"c{i}"] = conv
        return f"c{i}({expr})"

    lines = ["def convert(o):"]
    if not any(missing for *_, missing in fields):
        if make is not None:
            args = ", ".join(f"{key}={value(i, expr, conv)}"
                             for i, (key, expr, conv, _) in enumerate(fields))
            lines.append(f"    return make({args})")
        else:
            items = ", ".join(f"{key!r}: {value(i, expr, conv)}"
                              for i, (key, expr, conv, _) in enumerate(fields))
            lines.append(f"    return {{{items}}}")
    else:
        lines.append("    d = {}")
        for i, (key, expr, conv, missing) in enumerate(fields):
            if missing:
                lines += [f"    v = {expr}", "    if v is not MISSING:",
                          f"        d[{key!r}] = {value(i, 'v', conv)}"]
            else:
                lines.append(f"    d[{key!r}] = {value(i, expr, conv)}")
        lines.append("    return d" if make is None else "    return make(**d)")
    exec(compile("\n".join(lines), f"<serbench.codecs.schemas {name}>", "exec"), namespace)
    convert: Callable[[Any], Any] = namespace["convert"]
    return convert


def _ndarray(value: Any) -> Any:
    import numpy as np

    return np.array(value, dtype=np.float64)
