"""Apache Avro from a shape, through fastavro: the schema is a JSON document parsed once with
`fastavro.parse_schema`, and each message is one `schemaless_writer`/`schemaless_reader` call
(the schema travels out of band, as in Avro RPC and schema registries) on an `io.BytesIO` —
fastavro has no bytes-in/bytes-out call, so that thin layer is the library's own fastest path.

Mapping: int → long, float → double, str → string, bool → boolean, bytes, datetime → long with
logical type timestamp-micros (fastavro writes and reads timezone-aware UTC datetimes),
`OptionalOf`/`required=False` → a union with "null" (default null), list → array, map → map
(Avro map keys are strings: an int-keyed map is refused), union of scalars → union, record →
record. Avro's value model is plain data, so the "prepared message" is the plain dict tree.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

from serbench.codecs.schemas.binding import Binding, Parts, identity, root_fields, root_value
from serbench.codecs.schemas.conventions import never_as_str, root_record
from serbench.codecs.schemas.converters import Conv, Populate, Rebuild
from serbench.payloads import shapes
from serbench.payloads.shapes import ListOf, MapOf, OptionalOf, Record, Scalar, Shape, UnionOf

__all__ = ["bind", "generate", "parts", "text"]

_SCALARS: dict[str, Any] = {
    "int": "long", "float": "double", "str": "string", "bool": "boolean", "bytes": "bytes",
    "datetime": {"type": "long", "logicalType": "timestamp-micros"}}


class _Generator:
    def __init__(self) -> None:
        self.defined: set[str] = set()

    def type(self, shape: Shape, where: str) -> Any:
        if isinstance(shape, Scalar):
            return _SCALARS[never_as_str(shape)]
        if isinstance(shape, OptionalOf):
            inner = self.type(shape.inner, where)
            if isinstance(shape.inner, OptionalOf):
                return inner
            return ["null", *inner] if isinstance(inner, list) else ["null", inner]
        if isinstance(shape, ListOf):
            return {"type": "array", "items": self.type(shape.item, f"{where}[]")}
        if isinstance(shape, MapOf):
            if shape.key.kind != "str":
                raise shapes.ShapeUnsupported(f"Avro map keys are strings: "
                                              f"{shapes.describe(shape)} at {where}")
            return {"type": "map", "values": self.type(shape.value, f"{where}{{}}")}
        if isinstance(shape, UnionOf):
            options = [self.type(o, where) for o in shape.options]
            if any(isinstance(o, list) for o in options):
                raise shapes.ShapeUnsupported(f"Avro: a union cannot hold a union or null "
                                              f"option ({shapes.describe(shape)}) at {where}")
            return options
        return self.record(shape)

    def record(self, record: Record) -> Any:
        if record.name in self.defined:
            return record.name
        self.defined.add(record.name)
        fields = []
        for f in record.fields:
            avro_type = self.type(f.shape, f"{record.name}.{f.name}")
            entry: dict[str, Any] = {"name": f.name, "type": avro_type}
            if not f.required:
                if not (isinstance(avro_type, list) and "null" in avro_type):
                    entry["type"] = ["null", *avro_type] if isinstance(avro_type, list) \
                        else ["null", avro_type]
                entry["default"] = None
            fields.append(entry)
        return {"type": "record", "name": record.name, "fields": fields}


def generate(shape: Shape) -> dict[str, Any]:
    """The Avro schema (JSON) of `shape`'s root record."""
    root, _ = root_record(shape)
    schema: dict[str, Any] = _Generator().record(root)
    return schema


class AvroPopulate(Populate):
    """Python object → fastavro's input: dicts and iterables; datetimes and union values as
    they are (fastavro converts timestamp-micros and picks the union branch itself); an absent
    key becomes None, as in the record fastavro decodes."""

    language = "Avro"
    micros = False
    takes = frozenset({"list", "tuple", "set", "frozenset"})
    absent_as_none = True

    def union(self, shape: UnionOf) -> Conv:
        for option in shape.options:
            if self.build(option) is not None:
                raise shapes.ShapeUnsupported(f"Avro: a union of {shapes.describe(shape)} is "
                                              "not mapped")
        return None


class AvroRebuild(Rebuild):
    """fastavro's output (dicts, lists, UTC datetimes) → the payload's Python types."""

    language = "Avro"
    micros = False

    def union(self, shape: UnionOf) -> Conv:
        return None


def parts(shape: Shape) -> Parts:
    """The parsed schema (`parsed`), populate and to_python for `shape`, built once."""
    import fastavro

    schema = generate(shape)
    fields = root_fields(AvroPopulate(), shape)
    return Parts(populate=identity if fields is None else fields,
                 to_python=root_value(AvroRebuild(), shape),
                 objects={"parsed": fastavro.parse_schema(schema)},
                 schema=("avsc", json.dumps(schema, indent=2) + "\n"))


def bind(shape: Shape, prepared: bool) -> Binding:
    """The fastavro calls for `shape`: populate + encode, or encode of the prepared dict tree."""
    import fastavro

    kit = parts(shape)
    parsed = kit.objects["parsed"]
    writer = fastavro.schemaless_writer
    reader = fastavro.schemaless_reader
    BytesIO = io.BytesIO  # the class, bound once

    def write(record: Any) -> bytes:
        out = BytesIO()
        writer(out, parsed, record)
        return out.getvalue()

    def read(view: memoryview) -> Any:
        return reader(BytesIO(view), parsed, None)

    if prepared:
        return Binding(
            encode=write, decode=read,
            prepare=None if kit.populate is identity else kit.populate,
            call_path="def: schemaless_writer(out := BytesIO(), parsed, record); "
            "out.getvalue() [record: the dict tree built by prepare, untimed] / "
            "def: schemaless_reader(BytesIO(view), parsed, None) → the dict tree",
            schema=kit.schema)
    populate, to_python = kit.populate, kit.to_python
    encode: Callable[[Any], bytes] = write
    if populate is not identity:
        def encode(obj: Any) -> bytes:
            out = BytesIO()
            writer(out, parsed, populate(obj))
            return out.getvalue()

    decode: Callable[[memoryview], Any] = read
    if to_python is not identity:
        def decode(view: memoryview) -> Any:
            return to_python(reader(BytesIO(view), parsed, None))

    return Binding(
        encode=encode, decode=decode,
        call_path="def: schemaless_writer(out := BytesIO(), parsed, populate(obj)); "
        "out.getvalue() / def: to_python(schemaless_reader(BytesIO(view), parsed, None)) "
        "[parsed = fastavro.parse_schema(schema), once; populate/to_python: shape-driven "
        "conversion; populate is skipped where the payload is already Avro's plain data]",
        schema=kit.schema)


def text(shape: Shape) -> tuple[str, str]:
    """(file suffix, Avro schema JSON) of `shape`."""
    return "avsc", json.dumps(generate(shape), indent=2) + "\n"
