"""The Cap'n Proto IDL of a shape, and the Cap'n Proto name of every record, field and map
entry: generated as text, loaded once per schema with pycapnp (`CapnpSchema.load`).

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
from pathlib import Path
from typing import Any

from serbench.codecs.schemas.conventions import IdlDeclarations, never_as_str
from serbench.payloads import shapes
from serbench.payloads.shapes import ListOf, MapOf, OptionalOf, Record, Scalar, Shape, UnionOf
from serbench.payloads.shapes.names import Names

__all__ = ["CapnpSchema", "generate", "option_name"]

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
        raise shapes.ShapeUnsupported(f"Cap'n Proto: no legal name for {wanted!r} "
                                      "(ASCII only)")
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


class CapnpSchema(IdlDeclarations):
    """The generated IDL and the Cap'n Proto name of every record, field and map entry."""

    language = "Cap'n Proto"

    def __init__(self, shape: Shape) -> None:
        super().__init__(shape, _type_name)
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
            raise shapes.ShapeUnsupported(f"Cap'n Proto: a list cannot hold null "
                                          f"({shapes.describe(shape)} at {where})")
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

    def union_block(self, name: str, shape: UnionOf, where: str) -> str:
        lines = [f"    {option_name(o)} @{n} :{_SCALARS[never_as_str(o)]};\n"
                 for n, o in enumerate(shape.options) if isinstance(o, Scalar)]
        return f"struct {name} {{\n  union {{\n" + "".join(lines) + "  }\n}"

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


def option_name(shape: Scalar) -> str:
    """The member of a union struct that holds a scalar of this kind (`vInt`, `vStr`, …)."""
    return f"v{shape.kind.capitalize()}"


def generate(shape: Shape) -> CapnpSchema:
    """The Cap'n Proto IDL of `shape` (raises `ShapeUnsupported` where it cannot state it)."""
    return CapnpSchema(shape)
