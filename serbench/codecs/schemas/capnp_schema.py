"""Cap'n Proto from a shape, through pycapnp: the IDL text is generated, written to a temporary
file and loaded once with `capnp.load` (pycapnp compiles schemas only from files), then each
message is a `Root.new_message()` builder filled by attribute assignment (code generated per
record from the shape), `builder.to_bytes()`, and `Root.from_bytes(view)`.

Unpacked encoding (`to_bytes`/`from_bytes`) is chosen: it is Cap'n Proto's native wire form
and its reader is zero-copy; the packed form trades CPU for size, which the compression
columns already measure. `from_bytes` is a context manager in pycapnp 2: its reader points into
the buffer and is valid only inside the `with`, so decoding converts inside it (the prepared
variant keeps it open, on a copy of the bytes). The traversal limit, Cap'n Proto's guard
against amplification, is set from the message's size (`traversal_limit`).

Mapping: int → Int64, float → Float64, str → Text, bool → Bool, bytes → Data, datetime → Int64
microseconds since the epoch (UTC), `OptionalOf`/`required=False` → a group
`name :union { none :Void; some :T; }` (unset is `none`), list → List(T), map → List of a
generated key/value struct (Cap'n Proto has no map type), union of scalars → a struct holding
an unnamed union, record → struct. A list cannot hold null, so lists and maps of optional
values are refused. Names follow the compiler's rules (fields camelCase, types UpperCamel, no
underscores): `content_type` → `contentType`, clashes get a number, and decoding maps back.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from serbench.codecs.schemas.common import (
    Binding,
    Conv,
    Names,
    Parts,
    Populate,
    Rebuild,
    never_as_str,
    root_record,
    root_value,
    to_micros,
    union_index,
)
from serbench.payloads.shapes.shape import (
    Field,
    ListOf,
    MapOf,
    OptionalOf,
    Record,
    Scalar,
    Shape,
    ShapeUnsupported,
    UnionOf,
    describe,
    records_in,
)

__all__ = ["CapnpMessage", "CapnpSchema", "bind", "generate", "parts", "text"]

_SCALARS = {"int": "Int64", "float": "Float64", "str": "Text", "bool": "Bool", "bytes": "Data",
            "datetime": "Int64"}
#: Cap'n Proto keywords and pycapnp's struct reader/builder attributes: no field takes these.
_FIELD_WORDS = """
struct union enum interface const annotation using import embed extends group true false void
inf nan fixed
adopt as_builder as_reader clear_write_flag copy disown from_dict get_data_as_view init
init_resizable_list is_root schema to_bytes to_bytes_packed to_dict to_segments total_size
which write write_async write_packed
"""
_FIELD_RESERVED = frozenset(_FIELD_WORDS.split())
_TYPE_WORDS = """
Void Bool Int8 Int16 Int32 Int64 UInt8 UInt16 UInt32 UInt64 Float32 Float64 Text Data List
AnyPointer AnyStruct AnyList Capability
"""
_TYPE_RESERVED = frozenset(_TYPE_WORDS.split())
_LOADED: dict[str, Any] = {}


_FIELD = re.compile(r"^[a-z][A-Za-z0-9]*$")
_TYPE = re.compile(r"^[A-Z][A-Za-z0-9]*$")


def _camel(name: str) -> str:
    parts = [p for p in name.split("_") if p]
    return "".join(p[:1].upper() + p[1:] for p in parts)


def _checked(name: str, pattern: re.Pattern[str], wanted: str) -> str:
    # The schema compiler aborts the whole process on a bad name: refuse it here instead.
    if not pattern.match(name):
        raise ShapeUnsupported(f"Cap'n Proto: no legal name for {wanted!r} (ASCII only)")
    return name


def _field_name(name: str) -> str:
    camel = _camel(name)
    camel = camel[:1].lower() + camel[1:] if camel[:1].isalpha() else f"f{camel}"
    camel = camel if camel not in _FIELD_RESERVED else f"{camel}Field"
    return _checked(camel, _FIELD, name)


def _type_name(name: str) -> str:
    camel = _camel(name) or "T"
    camel = camel if camel[0].isalpha() else f"T{camel}"
    camel = camel if camel not in _TYPE_RESERVED else f"{camel}Type"
    return _checked(camel, _TYPE, name)


class CapnpSchema:
    """The generated IDL and the Cap'n Proto name of every record, field and map entry."""

    def __init__(self, shape: Shape) -> None:
        self.root, self.wrapped = root_record(shape)
        self.records = records_in(self.root)
        self.types = Names(_type_name)
        self.record_names = {r.name: self.types.get(r.name) for r in self.records}
        self.field_names: dict[tuple[str, str], str] = {}
        self.unions: dict[UnionOf, str] = {}
        self.blocks: list[str] = []
        for record in self.records:
            self.struct(record)
        body = "\n\n".join(self.blocks) + "\n"
        file_id = int(hashlib.sha256(body.encode()).hexdigest()[:16], 16) | (1 << 63)
        self.text = f"@0x{file_id:016x};\n\n{body}"

    def struct(self, record: Record) -> None:
        names = Names(_field_name)
        lines, ordinal = [], 0
        for f in record.fields:
            name = names.get(f.name)
            self.field_names[record.name, f.name] = name
            where = f"{record.name}.{f.name}"
            shape = f.shape.inner if isinstance(f.shape, OptionalOf) else f.shape
            decl = self.type(shape, where, f"{record.name}_{f.name}")
            if isinstance(f.shape, OptionalOf) or not f.required:
                lines.append(f"  {name} :union {{ none @{ordinal} :Void; "
                             f"some @{ordinal + 1} :{decl}; }}\n")
                ordinal += 2
            else:
                lines.append(f"  {name} @{ordinal} :{decl};\n")
                ordinal += 1
        self.blocks.append(f"struct {self.record_names[record.name]} {{\n" + "".join(lines)
                           + "}")

    def type(self, shape: Shape, where: str, path: str) -> str:
        if isinstance(shape, Scalar):
            return _SCALARS[never_as_str(shape)]
        if isinstance(shape, OptionalOf):
            raise ShapeUnsupported(f"Cap'n Proto: a list cannot hold null ({describe(shape)} "
                                   f"at {where})")
        if isinstance(shape, ListOf):
            return f"List({self.type(shape.item, f'{where}[]', path)})"
        if isinstance(shape, MapOf):
            entry = self.types.get(f"{path}_entry")
            key = self.type(shape.key, where, path)
            value = self.type(shape.value, f"{where}{{}}", f"{path}_value")
            self.blocks.append(f"struct {entry} {{\n  key @0 :{key};\n  value @1 :{value};\n}}")
            return f"List({entry})"
        if isinstance(shape, UnionOf):
            return self.union(shape, where)
        return self.record_names[shape.name]

    def union(self, shape: UnionOf, where: str) -> str:
        if shape not in self.unions:
            union_index(shape, "Cap'n Proto")  # refuses non-scalar options
            name = self.types.get("Union")
            self.unions[shape] = name
            lines = [f"    {_option(o)} @{n} :{_SCALARS[never_as_str(o)]};\n"
                     for n, o in enumerate(shape.options) if isinstance(o, Scalar)]
            self.blocks.append(f"struct {name} {{\n  union {{\n" + "".join(lines) + "  }\n}")
        return self.unions[shape]

    def load(self) -> Any:
        """The loaded schema module, once per process per schema (cached by a hash of the
        text; pycapnp loads into one global parser)."""
        import capnp

        digest = hashlib.sha256(self.text.encode()).hexdigest()[:16]
        if digest not in _LOADED:
            with tempfile.TemporaryDirectory(prefix="serbench-capnp-") as tmp:
                path = Path(tmp) / f"serbench_{digest}.capnp"
                path.write_text(self.text, encoding="utf-8")
                _LOADED[digest] = capnp.load(str(path))
        return _LOADED[digest]


def _option(shape: Scalar) -> str:
    return f"v{shape.kind.capitalize()}"


def generate(shape: Shape) -> CapnpSchema:
    """The Cap'n Proto IDL of `shape` (raises `ShapeUnsupported` where it cannot state it)."""
    return CapnpSchema(shape)


class CapnpPopulate(Populate):
    """Python object → `new_message` keywords: dicts with Cap'n Proto field names, optional
    values as {"some": v} / {"none": None}, maps as lists of {"key", "value"}."""

    language = "Cap'n Proto"
    takes = frozenset({"list"})
    dict_records = False

    def __init__(self, schema: CapnpSchema) -> None:
        self.schema = schema

    def field_key(self, record: Record, field: Field) -> str:
        return self.schema.field_names[record.name, field.name]

    def record(self, record: Record) -> Conv:
        fields = [f if f.required or isinstance(f.shape, OptionalOf)
                  else Field(f.name, OptionalOf(f.shape), required=False) for f in record.fields]
        return super().record(Record(record.name, tuple(fields), record.python))

    def optional(self, shape: OptionalOf) -> Conv:
        inner = self.build(shape.inner)
        none = {"none": None}
        if inner is None:
            return lambda v: none if v is None else {"some": v}
        return lambda v: none if v is None else {"some": inner(v)}

    def map(self, shape: MapOf) -> Conv:
        value = self.build(shape.value)
        if value is None:
            return lambda m: [{"key": k, "value": x} for k, x in m.items()]
        return lambda m: [{"key": k, "value": value(x)} for k, x in m.items()]

    def union(self, shape: UnionOf) -> Conv:
        index = union_index(shape, self.language)
        options = [(_option(o), self.build(o)) for o in shape.options if isinstance(o, Scalar)]

        def wrap(value: Any) -> dict[str, Any]:
            key, conv = options[index(value)]
            return {key: value if conv is None else conv(value)}

        return wrap


class CapnpRebuild(Rebuild):
    """A pycapnp reader → Python objects (attributes; `which()` for unions and optionals)."""

    language = "Cap'n Proto"
    records_are_dicts = False
    lists_are_lists = False

    def __init__(self, schema: CapnpSchema) -> None:
        self.schema = schema

    def field_expr(self, record: Record, field: Field) -> str:
        name = self.schema.field_names.get((record.name, field.name), field.name)
        if field.required and not isinstance(field.shape, OptionalOf):
            return f"o.{name}"
        return f"_group(o.{name}, {'None' if field.required else 'MISSING'})"

    def helpers(self) -> dict[str, Any]:
        return {"_group": _group}

    def map_items(self, value: Any) -> Iterable[tuple[Any, Any]]:
        return [(e.key, e.value) for e in value]

    def union(self, shape: UnionOf) -> Conv:
        convs = {_option(o): self.build(o) for o in shape.options if isinstance(o, Scalar)}

        def unwrap(reader: Any) -> Any:
            which = str(reader.which())
            conv = convs[which]
            value = getattr(reader, which)
            return value if conv is None else conv(value)

        return unwrap


def traversal_limit(size: int) -> int:
    """Words a reader may traverse in a message of `size` bytes: 4x its size in words (one
    full read, as decoding does, plus the comparison fidelity makes, with margin) plus 1024.
    pycapnp's default, 8 Mi words whatever the size, let a 200-byte corrupt message keep
    `to_dict()` busy for 7 s under fuzzing (zero-sized list elements each count a word)."""
    return size // 2 + 1024


def _group(group: Any, absent: Any) -> Any:
    """An optional field's group: `absent` when it holds `none`, else its `some` value."""
    return absent if group.which() == "none" else group.some


class CapnpMessage:
    """A Cap'n Proto message that compares by content (pycapnp's builders and readers compare
    by identity), so the prepared variant's fidelity can be checked: `message` is the
    prepared builder, or a decoded reader with `owner`, the open `from_bytes` context that
    keeps the reader valid (closed when this object is collected)."""

    __slots__ = ("message", "owner")

    def __init__(self, message: Any, owner: Any = None) -> None:
        self.message = message
        self.owner = owner

    def content(self) -> Any:
        """The message as pycapnp's `to_dict()` gives it."""
        return self.message.to_dict()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CapnpMessage) and bool(self.content() == other.content())

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"CapnpMessage({self.content()!r})"


class CapnpFill:
    """Builds, per record, a function setting a builder's fields from the Python object:
    attribute assignment and `init` for lists and structs, pycapnp's fast path (about 4x
    faster than `new_message(**dicts)`, which walks nested dicts generically, on
    records:1000). Shapes without a direct setter (unions, maps, lists of lists) are assigned
    from `CapnpPopulate`'s dicts and lists."""

    def __init__(self, schema: CapnpSchema) -> None:
        self.schema = schema
        self.plain = CapnpPopulate(schema)
        self.fills: dict[str, Callable[[Any, Any], Any]] = {}
        self.namespace: dict[str, Any] = {"to_micros": to_micros}

    def fill(self, record: Record) -> Callable[[Any, Any], Any]:
        """`fill(builder, obj)` for `record` (generated once per record)."""
        if record.name not in self.fills:
            name = f"fill_{len(self.namespace)}"  # unique: nested records register first
            self.namespace[name] = None
            lines = [f"def {name}(b, o):"]
            for i, f in enumerate(record.fields):
                key = self.schema.field_names[record.name, f.name]
                if record.python != "dict":
                    expr = f"o.{f.name}"
                elif f.required:
                    expr = f"o[{f.name!r}]"
                else:
                    expr = f"o.get({f.name!r})"
                shape = f.shape
                if isinstance(shape, OptionalOf) or not f.required:
                    inner = shape.inner if isinstance(shape, OptionalOf) else shape
                    lines += [f"    v = {expr}", "    if v is not None:",
                              *self.assign(inner, "b", key, "v", f"{name}_{i}", "        ",
                                           some=True)]
                else:
                    lines += self.assign(shape, "b", key, expr, f"{name}_{i}", "    ")
            lines.append("    return b")
            source = "\n".join(lines)
            exec(compile(source, f"<serbench.codecs.schemas capnp {record.name}>", "exec"),
                 self.namespace)
            self.fills[record.name] = self.namespace[name]
        return self.fills[record.name]

    def assign(self, shape: Shape, b: str, key: str, expr: str, tag: str, indent: str,
               some: bool = False) -> list[str]:
        """Statements setting field `key` of builder `b` (its `some` member if `some`)."""
        target, owner = (f"{b}.{key}", "some") if some else (b, key)
        if isinstance(shape, Scalar):
            value = f"to_micros({expr})" if shape.kind == "datetime" else expr
            return [f"{indent}{target}.{owner} = {value}"]
        if isinstance(shape, Record):
            self.namespace[tag] = self.fill(shape)
            return [f"{indent}{tag}({target}.init({owner!r}), {expr})"]
        if isinstance(shape, ListOf) and isinstance(shape.item, Record):
            self.namespace[tag] = self.fill(shape.item)
            return [f"{indent}w = {expr}",
                    f"{indent}for e, x in zip({target}.init({owner!r}, len(w)), w):",
                    f"{indent}    {tag}(e, x)"]
        if isinstance(shape, ListOf) and isinstance(shape.item, Scalar) \
                and shape.item.kind != "datetime":
            value = {"list": expr, "ndarray": f"{expr}.tolist()"}.get(shape.python,
                                                                     f"list({expr})")
            return [f"{indent}{target}.{owner} = {value}"]
        conv = self.plain.build(shape)
        self.namespace[tag] = conv
        value = expr if conv is None else f"{tag}({expr})"
        return [f"{indent}setattr({target}, {owner!r}, {value})"]


def parts(shape: Shape) -> Parts:
    """The root struct (`Root`), populate (→ builder) and to_python (reader →) for `shape`."""
    schema = generate(shape)
    root_cls = getattr(schema.load(), schema.record_names[schema.root.name])
    fill = CapnpFill(schema).fill(schema.root)
    new_message = root_cls.new_message
    if schema.wrapped:
        def populate(obj: Any) -> Any:
            return fill(new_message(), {"items": obj})
    else:
        def populate(obj: Any) -> Any:
            return fill(new_message(), obj)
    return Parts(populate=populate, to_python=root_value(CapnpRebuild(schema), shape),
                 objects={"Root": root_cls}, schema=("capnp", schema.text))


def bind(shape: Shape, prepared: bool) -> Binding:
    """The pycapnp calls for `shape`: populate + encode, or encode of a prepared builder."""
    kit = parts(shape)
    root_cls = kit.objects["Root"]
    from_bytes = root_cls.from_bytes
    root_name = root_cls.schema.node.displayName.rpartition(":")[2]
    populate, to_python = kit.populate, kit.to_python

    if prepared:
        def prepare(obj: Any) -> CapnpMessage:
            return CapnpMessage(populate(obj))

        def encode_prepared(message: CapnpMessage) -> bytes:
            builder = message.message
            if message.owner is not None:
                # A decoded reader is read-only (the roundtrip server's reply): rebuilt from
                # its content, since `as_builder()` aborts the process on a corrupt message.
                builder = root_cls.new_message(**builder.to_dict())
            data: bytes = builder.to_bytes()
            builder.clear_write_flag()  # else pycapnp warns on every later write
            return data

        def decode_prepared(view: memoryview) -> CapnpMessage:
            data = view.tobytes()  # the reader points into its buffer
            owner = from_bytes(data, traversal_limit_in_words=traversal_limit(len(data)))
            return CapnpMessage(owner.__enter__(), owner)

        return Binding(
            encode=encode_prepared, decode=decode_prepared, prepare=prepare,
            call_path="def: builder.to_bytes(); builder.clear_write_flag() [builder built by "
            f"prepare, untimed] / def: {root_name}.from_bytes(view.tobytes(), "
            "traversal_limit_in_words=size // 2 + 1024) entered → "
            "the reader (Cap'n Proto reads lazily: this is the whole parse), wrapped to "
            "compare by content and to keep the context open while the reader lives (the "
            "receive buffer is copied: the reader points into it)",
            schema=kit.schema)

    def encode(obj: Any) -> bytes:
        data: bytes = populate(obj).to_bytes()
        return data

    def decode(view: memoryview) -> Any:
        # Cap'n Proto reads word-aligned segments in place; the frame sits after serbench's
        # 4-byte length prefix, so the view is unaligned: one copy (a `bytes` body is aligned).
        data = view.tobytes()
        with from_bytes(data, traversal_limit_in_words=traversal_limit(len(data))) as reader:
            return to_python(reader)

    return Binding(
        encode=encode, decode=decode,
        call_path=f"def: populate(obj).to_bytes() [{root_name}.new_message(), fields set by "
        f"attribute and init] / def: with {root_name}.from_bytes(view.tobytes(), "
        "traversal_limit_in_words=size // 2 + 1024) as r: to_python(r) "
        "[populate/to_python: "
        "shape-driven conversion and Cap'n Proto names]",
        schema=kit.schema)


def text(shape: Shape) -> tuple[str, str]:
    """(file suffix, Cap'n Proto IDL) of `shape`."""
    return "capnp", generate(shape).text
