"""Harness floor rows for the schema codecs (see serbench/extensions/harness/floors.py).

Set-up (untimed) builds the schema with serbench's own generator (`serbench.codecs.schemas.parts`)
from the payload's shape (declared by the catalog, else inferred: the harness binds `shape`),
and binds the library objects (`Root`, `parsed`, `schema`, `factory`) and the shape-driven
`populate`/`to_python` steps. The timed statements are the libraries' documented calls:
- populate + encode rows: `populate(obj)` then the serializer; decode parses, then
  `to_python` (both steps are what an application of that shape writes, so they are timed);
- prepared rows: set-up rebinds `obj` to the built message; the statements are the bare
  serialize / parse calls.
"""

from __future__ import annotations

from serbench.extensions.harness.floor_model import Floor

__all__ = ["ROWS"]


def _kit(language: str, *objects: str) -> tuple[str, ...]:
    # `shape` is the payload's own (declared or inferred), bound by the harness's set-up.
    return ("from serbench.payloads.shapes import infer_shape",
            "from serbench.codecs.schemas import parts",
            f"kit = parts({language!r}, shape if shape is not None else infer_shape(obj))",
            "populate, to_python = kit.populate, kit.to_python",
            *(f"{name} = kit.objects[{name!r}]" for name in objects))


_PREPARE = "obj = populate(obj)"
_AVRO = ("import io", "import fastavro", *_kit("avro", "parsed"))
_ARROW = ("import pyarrow as pa", *_kit("arrow", "schema"))
_THRIFT = ("from thriftpy2.utils import deserialize, serialize",
           *_kit("thrift", "Root", "factory"))


def _avro_write(record: str) -> str:
    return f"out = io.BytesIO(); fastavro.schemaless_writer(out, parsed, {record})"


def _arrow_write(batch: str) -> str:
    return (f"sink = pa.BufferOutputStream(); w = pa.ipc.new_stream(sink, schema); "
            f"w.write_batch({batch}); w.close()")


ROWS: tuple[Floor, ...] = (
    Floor("protobuf", _kit("protobuf", "Root"), "populate(obj).SerializeToString()",
          ("data = populate(obj).SerializeToString()",), "to_python(Root.FromString(data))"),
    Floor("protobuf-prepared", (*_kit("protobuf", "Root"), _PREPARE), "obj.SerializeToString()",
          ("data = obj.SerializeToString()",), "Root.FromString(data)"),
    Floor("avro", _AVRO, f"{_avro_write('populate(obj)')}; out.getvalue()",
          (_avro_write("populate(obj)"), "data = out.getvalue()"),
          "to_python(fastavro.schemaless_reader(io.BytesIO(data), parsed, None))"),
    Floor("avro-prepared", (*_AVRO, _PREPARE), f"{_avro_write('obj')}; out.getvalue()",
          (_avro_write("obj"), "data = out.getvalue()"),
          "fastavro.schemaless_reader(io.BytesIO(data), parsed, None)"),
    Floor("arrow", _ARROW, f"{_arrow_write('populate(obj)')}; sink.getvalue()",
          (_arrow_write("populate(obj)"), "data = sink.getvalue().to_pybytes()"),
          "b = pa.ipc.open_stream(data).read_next_batch(); b.validate(full=True); "
          "to_python(b)"),
    Floor("arrow-prepared", (*_ARROW, _PREPARE), f"{_arrow_write('obj')}; sink.getvalue()",
          (_arrow_write("obj"), "data = sink.getvalue().to_pybytes()"),
          "b = pa.ipc.open_stream(data).read_next_batch(); b.validate(full=True)"),
    Floor("capnp", _kit("capnp", "Root"), "populate(obj).to_bytes()",
          ("data = populate(obj).to_bytes()",),
          "with Root.from_bytes(data, traversal_limit_in_words=len(data) // 2 + 1024) as r: "
          "to_python(r)"),
    Floor("capnp-prepared", (*_kit("capnp", "Root"), _PREPARE),
          "obj.to_bytes(); obj.clear_write_flag()",
          ("data = obj.to_bytes(); obj.clear_write_flag()",),
          "Root.from_bytes(data, traversal_limit_in_words=len(data) // 2 + 1024).__enter__()"),
    Floor("thrift", _THRIFT, "serialize(populate(obj), factory)",
          ("data = serialize(populate(obj), factory)",),
          "to_python(deserialize(Root(), data, factory))"),
    Floor("thrift-prepared", (*_THRIFT, _PREPARE), "serialize(obj, factory)",
          ("data = serialize(obj, factory)",), "deserialize(Root(), data, factory)"),
)
