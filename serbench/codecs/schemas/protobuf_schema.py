"""Protocol Buffers (proto3) from a shape, with runtime descriptors: a `FileDescriptorProto` is
built in Python, added to a private `DescriptorPool` and turned into message classes by
`message_factory.GetMessageClass` — no protoc, no generated module.

Mapping: int → int64, float → double, str → string, bool, bytes, datetime → int64 microseconds
since the epoch (UTC; cheaper than `google.protobuf.Timestamp`, which needs the well-known
types in the pool and two fields per value), `OptionalOf`/`required=False` → proto3 `optional`
(presence via `HasField`), list → `repeated`, map → `map<int64|string, V>`, a union of
scalars → a wrapper message with one `oneof value`, record → message. What a repeated field
or map value cannot be (a list, a map, null) and a nullable list or map travel in a wrapper
message `Box { value = 1; }`, protobuf's own idiom (`google.protobuf.ListValue`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from serbench.codecs.schemas.binding import Binding, Parts, populate_root, root_fields, root_value
from serbench.codecs.schemas.conventions import never_as_str, root_record, union_index
from serbench.codecs.schemas.converters import Conv, Populate, Rebuild, apply
from serbench.payloads import shapes
from serbench.payloads.shapes import ListOf, MapOf, OptionalOf, Record, Scalar, Shape, UnionOf
from serbench.payloads.shapes.names import Names

__all__ = ["ProtoSchema", "bind", "generate", "parts", "text"]

PACKAGE = "serbench"
_SCALARS = {"int": ("TYPE_INT64", "int64"), "float": ("TYPE_DOUBLE", "double"),
            "str": ("TYPE_STRING", "string"), "bool": ("TYPE_BOOL", "bool"),
            "bytes": ("TYPE_BYTES", "bytes"), "datetime": ("TYPE_INT64", "int64")}


def _json_name(name: str) -> str:
    """protobuf's default JSON name: lowerCamelCase of the field name."""
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def _union_field(option: Scalar) -> str:
    return f"v_{option.kind}"


@dataclass
class ProtoSchema:
    """The generated file: its descriptor, .proto text, root message and union wrappers."""

    root: Record
    wrapped: bool
    file: Any  # descriptor_pb2.FileDescriptorProto
    text: str
    unions: dict[UnionOf, str] = field(default_factory=dict)

    def message_classes(self) -> dict[str, Any]:
        """Message classes by message name, built from a private pool (once per binding)."""
        from google.protobuf import descriptor_pool, message_factory

        pool = descriptor_pool.DescriptorPool()
        try:
            pool.Add(self.file)
        except Exception as exc:  # e.g. two field names with the same JSON name
            raise shapes.ShapeUnsupported(f"protobuf: the descriptor pool refuses the schema: "
                                          f"{exc}") from exc
        return {m.name: message_factory.GetMessageClass(
            pool.FindMessageTypeByName(f"{PACKAGE}.{m.name}")) for m in self.file.message_type}


class _Generator:
    def __init__(self, shape: Shape) -> None:
        from google.protobuf import descriptor_pb2

        self.pb = descriptor_pb2
        self.root, self.wrapped = root_record(shape)
        self.records = shapes.records_in(self.root)
        self.names = Names(lambda n: n, (r.name for r in self.records))
        self.file = descriptor_pb2.FileDescriptorProto(
            name="serbench_payload.proto", package=PACKAGE, syntax="proto3")
        self.blocks: list[str] = []
        self.unions: dict[UnionOf, str] = {}
        self.boxes: dict[Shape, str] = {}

    def run(self) -> ProtoSchema:
        for record in self.records:
            self.message(record)
        text = "\n\n".join([f'syntax = "proto3";\npackage {PACKAGE};', *self.blocks]) + "\n"
        return ProtoSchema(self.root, self.wrapped, self.file, text, self.unions)

    def message(self, record: Record) -> None:
        msg = self.file.message_type.add(name=record.name)
        lines: list[str] = []
        for number, f in enumerate(record.fields, 1):
            lines.append(self.field(msg, record, f, number))
        json_names = [_json_name(f.name) for f in record.fields]
        if len(set(json_names)) < len(json_names):
            # `a_b` and `aB` share protobuf's default JSON name, which the pool refuses:
            # state each field's own name as its JSON name.
            for added in msg.field:
                added.json_name = added.name
            lines = [line.replace(";\n", f' [json_name = "{f.name}"];\n')
                     for line, f in zip(lines, record.fields, strict=True)]
        self.blocks.append(f"message {record.name} {{\n" + "".join(lines) + "}")

    def field(self, msg: Any, record: Record, f: shapes.Field, number: int) -> str:
        where = f"{record.name}.{f.name}"
        shape = f.shape
        optional = not f.required
        if isinstance(shape, OptionalOf):
            optional, shape = True, shape.inner
        fdp = self.pb.FieldDescriptorProto
        if isinstance(shape, ListOf | MapOf) and not isinstance(f.shape, OptionalOf):
            # (not required: absent ↔ empty; a nullable one is a wrapper message, below)
            if isinstance(shape, MapOf):
                return self.map_field(msg, f.name, shape, number, where)
            type_name, decl = self.element(shape.item, where)
            msg.field.add(name=f.name, number=number, label=fdp.LABEL_REPEATED,
                          **type_name)
            return f"  repeated {decl} {f.name} = {number};\n"
        type_name, decl = self.element(shape, where)
        added = msg.field.add(name=f.name, number=number, label=fdp.LABEL_OPTIONAL, **type_name)
        if optional:
            added.proto3_optional = True
            added.oneof_index = len(msg.oneof_decl)
            msg.oneof_decl.add(name=f"_{f.name}")
            return f"  optional {decl} {f.name} = {number};\n"
        return f"  {decl} {f.name} = {number};\n"

    def element(self, shape: Shape, where: str) -> tuple[dict[str, Any], str]:
        """The descriptor keywords and .proto type of a singular or repeated element."""
        fdp = self.pb.FieldDescriptorProto
        if isinstance(shape, Scalar):
            enum, decl = _SCALARS[never_as_str(shape)]
            return {"type": getattr(fdp, enum)}, decl
        if isinstance(shape, Record):
            return {"type": fdp.TYPE_MESSAGE, "type_name": f".{PACKAGE}.{shape.name}"}, shape.name
        name = self.union(shape, where) if isinstance(shape, UnionOf) else self.box(shape)
        return {"type": fdp.TYPE_MESSAGE, "type_name": f".{PACKAGE}.{name}"}, name

    def box(self, shape: Shape) -> str:
        """A wrapper message `{ value = 1; }` for what a repeated field, a map value or a
        nullable field cannot be: a list, a map, or null (protobuf's own idiom, as in
        `google.protobuf.ListValue`)."""
        if shape not in self.boxes:
            name = self.names.get("Box")
            self.boxes[shape] = name
            self.message(Record(name, (shapes.Field("value", shape),)))
        return self.boxes[shape]

    def map_field(self, msg: Any, name: str, shape: MapOf, number: int, where: str) -> str:
        fdp = self.pb.FieldDescriptorProto
        entry_name = "".join(p[:1].upper() + p[1:] for p in name.split("_")) + "Entry"
        entry = msg.nested_type.add(name=entry_name)
        entry.options.map_entry = True
        key_type, key_decl = self.element(shape.key, where)
        value_type, value_decl = self.element(shape.value, where)
        entry.field.add(name="key", number=1, label=fdp.LABEL_OPTIONAL, **key_type)
        entry.field.add(name="value", number=2, label=fdp.LABEL_OPTIONAL, **value_type)
        msg.field.add(name=name, number=number, label=fdp.LABEL_REPEATED, type=fdp.TYPE_MESSAGE,
                      type_name=f".{PACKAGE}.{msg.name}.{entry_name}")
        return f"  map<{key_decl}, {value_decl}> {name} = {number};\n"

    def union(self, shape: UnionOf, where: str) -> str:
        if shape in self.unions:
            return self.unions[shape]
        union_index(shape, "protobuf")  # refuses non-scalar options
        name = self.names.get("Union")
        self.unions[shape] = name
        msg = self.file.message_type.add(name=name)
        msg.oneof_decl.add(name="value")
        fdp = self.pb.FieldDescriptorProto
        lines = []
        for number, option in enumerate(shape.options, 1):
            assert isinstance(option, Scalar)
            enum, decl = _SCALARS[never_as_str(option)]
            fname = _union_field(option)
            msg.field.add(name=fname, number=number, label=fdp.LABEL_OPTIONAL,
                          type=getattr(fdp, enum), oneof_index=0)
            lines.append(f"    {decl} {fname} = {number};\n")
        self.blocks.append(f"message {name} {{\n  oneof value {{\n" + "".join(lines)
                           + "  }\n}")
        return name


def generate(shape: Shape) -> ProtoSchema:
    """The protobuf schema of `shape` (raises `ShapeUnsupported` where proto3 cannot state it)."""
    return _Generator(shape).run()


def _boxed(shape: Shape) -> bool:
    """Whether a list item or map value of this shape travels in a wrapper message."""
    return isinstance(shape, ListOf | MapOf | OptionalOf)


class ProtoPopulate(Populate):
    """Python object → constructor keywords: message constructors take nested dicts and lists
    and skip None, so flat dict records pass through untouched; wrapper messages are
    `{"value": …}`."""

    language = "protobuf"

    def boxed(self, shape: Shape) -> Callable[[Any], Any]:
        conv = self.build(shape)
        if isinstance(shape, OptionalOf):
            return lambda x: {} if x is None else {"value": apply(conv, x)}
        return lambda x: {"value": apply(conv, x)}

    def optional(self, shape: OptionalOf) -> Conv:
        if not isinstance(shape.inner, ListOf | MapOf):
            return super().optional(shape)
        inner = self.build(shape.inner)
        return lambda v: None if v is None else {"value": apply(inner, v)}

    def list(self, shape: ListOf) -> Conv:
        if not _boxed(shape.item):
            return super().list(shape)
        item = self.boxed(shape.item)
        return lambda v: [item(x) for x in v]

    def map(self, shape: MapOf) -> Conv:
        if not _boxed(shape.value):
            return super().map(shape)
        value = self.boxed(shape.value)
        return lambda m: {k: value(x) for k, x in m.items()}

    def union(self, shape: UnionOf) -> Conv:
        return self.one_of(shape, _union_field)


class ProtoRebuild(Rebuild):
    """Decoded message → Python objects: attributes, `HasField` for presence."""

    language = "protobuf"
    records_are_dicts = False
    lists_are_lists = False

    def unboxed(self, shape: Shape) -> Callable[[Any], Any]:
        conv = self.build(shape)
        if isinstance(shape, OptionalOf):
            return lambda m: apply(conv, m.value) if m.HasField("value") else None
        return lambda m: apply(conv, m.value)

    def optional(self, shape: OptionalOf) -> Conv:
        if not isinstance(shape.inner, ListOf | MapOf):
            return super().optional(shape)
        inner = self.build(shape.inner)
        return lambda m: None if m is None else apply(inner, m.value)

    def list(self, shape: ListOf) -> Conv:
        if not _boxed(shape.item):
            return super().list(shape)
        item = self.unboxed(shape.item)
        if shape.python == "list":
            return lambda v: [item(x) for x in v]
        container: Any = {"tuple": tuple, "set": set, "frozenset": frozenset}[shape.python]
        return lambda v: container(item(x) for x in v)

    def map(self, shape: MapOf) -> Conv:
        if not _boxed(shape.value):
            return super().map(shape)
        value = self.unboxed(shape.value)
        return lambda m: {k: value(x) for k, x in m.items()}

    def field_expr(self, record: Record, field: shapes.Field) -> str:
        name = field.name
        if isinstance(field.shape, ListOf | MapOf):
            return f"o.{name}" if field.required else f"(o.{name} or MISSING)"
        if field.required and not isinstance(field.shape, OptionalOf):
            return f"o.{name}"
        absent = "None" if field.required else "MISSING"
        return f"(o.{name} if o.HasField({name!r}) else {absent})"

    def union(self, shape: UnionOf) -> Conv:
        convs = {_union_field(o): self.build(o) for o in shape.options if isinstance(o, Scalar)}

        def unwrap(message: Any) -> Any:
            which = message.WhichOneof("value")
            if which is None:
                raise ValueError(f"{message.DESCRIPTOR.name}: no member of the union is set")
            value = getattr(message, which)
            conv = convs[which]
            return value if conv is None else conv(value)

        return unwrap


def parts(shape: Shape) -> Parts:
    """The message class (`Root`), populate and to_python for `shape`, built once."""
    schema = generate(shape)
    root_cls = schema.message_classes()[schema.root.name]
    fields = root_fields(ProtoPopulate(), shape)
    return Parts(populate=populate_root(fields, lambda kw: root_cls(**kw)),
                 to_python=root_value(ProtoRebuild(), shape),
                 objects={"Root": root_cls}, schema=("proto", schema.text))


def bind(shape: Shape, prepared: bool) -> Binding:
    """The protobuf calls for `shape`: populate + encode, or encode of a prepared message."""
    kit = parts(shape)
    root_cls = kit.objects["Root"]
    name = root_cls.DESCRIPTOR.name
    if prepared:
        return Binding(
            encode=root_cls.SerializeToString, decode=root_cls.FromString,
            prepare=kit.populate,
            call_path=f"{name}.SerializeToString(message) [message built by prepare, untimed] / "
            f"{name}.FromString(view) → the message",
            schema=kit.schema)
    populate, to_python = kit.populate, kit.to_python
    serialize, parse = root_cls.SerializeToString, root_cls.FromString

    def encode(obj: Any) -> bytes:
        data: bytes = serialize(populate(obj))
        return data

    def decode(view: memoryview) -> Any:
        return to_python(parse(view))

    return Binding(
        encode=encode, decode=decode,
        call_path=f"def: populate(obj).SerializeToString() / def: to_python({name}.FromString("
        "view)) [populate: the root message from the payload ({name}(**fields)), to_python: "
        "back to the payload's types; both shape-driven]",
        schema=kit.schema)


def text(shape: Shape) -> tuple[str, str]:
    """(file suffix, .proto text equivalent to the runtime descriptor) of `shape`."""
    return "proto", generate(shape).text
