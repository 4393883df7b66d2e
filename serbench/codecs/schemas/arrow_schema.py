"""Apache Arrow from a shape: a columnar `RecordBatch` sent as an IPC stream (schema message,
one batch, end-of-stream marker), written with `pa.ipc.new_stream` to a `BufferOutputStream`
and read with `pa.ipc.open_stream(buffer).read_next_batch()`, then
`batch.validate(full=True)`: pyarrow's IPC reader checks structure but not offsets and
lengths inside buffers, and reading an unvalidated corrupt batch can crash the process (it did
under serbench's fuzzing); full validation is what pyarrow documents for untrusted input.

Arrow's unit is a table, so the top level maps by kind: a list of records is one batch whose
columns are the record's fields (one row per record); a single record is a one-row batch; any
other list is a one-column batch (`items`), built from a numpy array without a copy.

Mapping: int → int64, float → float64, str → utf8, bool, bytes → binary, datetime →
timestamp('us', tz='UTC'), `OptionalOf`/`required=False` → a nullable field (others are
non-nullable), list → list_, map → map_ (keys int64 or utf8), record → struct. Unions are
refused: pyarrow builds no union array from Python values (`from_pylist` has no union
converter), so a dense union would be hand-assembled type codes and offsets — not the
idiomatic path an application takes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from serbench.codecs.schemas.binding import Binding, Parts
from serbench.codecs.schemas.conventions import never_as_str, root_record
from serbench.codecs.schemas.converters import Populate, Rebuild, apply
from serbench.payloads import shapes
from serbench.payloads.shapes import ListOf, MapOf, OptionalOf, Record, Scalar, Shape, UnionOf

__all__ = ["bind", "generate", "parts", "text"]


def _arrow_type(shape: Shape, where: str) -> Any:
    import pyarrow as pa

    if isinstance(shape, Scalar):
        kind = never_as_str(shape)
        return {"int": pa.int64(), "float": pa.float64(), "str": pa.string(),
                "bool": pa.bool_(), "bytes": pa.binary(),
                "datetime": pa.timestamp("us", tz="UTC")}[kind]
    if isinstance(shape, OptionalOf):
        return _arrow_type(shape.inner, where)
    if isinstance(shape, ListOf):
        return pa.list_(_arrow_type(shape.item, f"{where}[]"))
    if isinstance(shape, MapOf):
        return pa.map_(_arrow_type(shape.key, where), _arrow_type(shape.value, f"{where}{{}}"))
    if isinstance(shape, UnionOf):
        raise shapes.ShapeUnsupported(f"Arrow: union fields are not mapped "
                                      f"({shapes.describe(shape)} at {where}): pyarrow builds "
                                      "no union array from Python values")
    return pa.struct(_fields(shape))


def _fields(record: Record) -> list[Any]:
    import pyarrow as pa

    return [pa.field(f.name, _arrow_type(f.shape, f"{record.name}.{f.name}"),
                     nullable=isinstance(f.shape, OptionalOf) or not f.required)
            for f in record.fields]


def _layout(shape: Shape) -> tuple[str, Record | None]:
    """How the top level maps to a batch: "rows" (a list of records), "row" (one record) or
    "column" (any other list: one column `items`); "row" of a generated root otherwise."""
    if isinstance(shape, ListOf) and isinstance(shape.item, Record):
        return "rows", shape.item
    if isinstance(shape, ListOf):
        return "column", None
    return "row", root_record(shape)[0]


def generate(shape: Shape) -> Any:
    """The Arrow schema (`pyarrow.Schema`) of a batch carrying `shape`."""
    import pyarrow as pa

    _, record = _layout(shape)
    if record is None:
        assert isinstance(shape, ListOf)
        return pa.schema([pa.field("items", _arrow_type(shape.item, "items"),
                                   nullable=isinstance(shape.item, OptionalOf))])
    return pa.schema(_fields(record))


class ArrowPopulate(Populate):
    """Python object → `from_pylist` input: dicts, lists, timezone-aware datetimes."""

    language = "Arrow"
    micros = False


class ArrowRebuild(Rebuild):
    """`to_pylist` output → the payload's types (maps come back as (key, value) pairs)."""

    language = "Arrow"
    micros = False

    def map_items(self, value: Any) -> Iterable[tuple[Any, Any]]:
        pairs: Iterable[tuple[Any, Any]] = value
        return pairs


def _to_batch(shape: Shape, schema: Any) -> Callable[[Any], Any]:
    """Payload object → RecordBatch (the populate step)."""
    import pyarrow as pa

    layout, record = _layout(shape)
    from_pylist = pa.RecordBatch.from_pylist
    if layout == "column":
        assert isinstance(shape, ListOf)
        if shape.python == "ndarray":
            return lambda obj: pa.RecordBatch.from_arrays([pa.array(obj)], schema=schema)
        item = ArrowPopulate().build(shape.item)
        column_type = schema.field(0).type

        def column(obj: Any) -> Any:
            values = obj if item is None and shape.python in ("list", "tuple") else \
                [apply(item, x) for x in obj]
            return pa.RecordBatch.from_arrays([pa.array(values, type=column_type)],
                                              schema=schema)

        return column
    assert record is not None
    conv = ArrowPopulate().build(record)
    _, wrapped = root_record(shape)
    if layout == "row":
        if wrapped:
            inner = ArrowPopulate().build(shape)
            return lambda obj: from_pylist([{"items": apply(inner, obj)}], schema=schema)
        return lambda obj: from_pylist([apply(conv, obj)], schema=schema)
    assert isinstance(shape, ListOf)
    if conv is None and shape.python in ("list", "tuple"):
        return lambda obj: from_pylist(obj, schema=schema)
    return lambda obj: from_pylist([apply(conv, x) for x in obj], schema=schema)


def _from_batch(shape: Shape) -> Callable[[Any], Any]:
    """RecordBatch → payload object (the decode's conversion back)."""
    layout, record = _layout(shape)
    if layout == "column":
        assert isinstance(shape, ListOf)
        if shape.python == "ndarray":
            return lambda batch: batch.column(0).to_numpy(zero_copy_only=False).copy()
        items = ArrowRebuild().build(shape)
        return lambda batch: apply(items, batch.column(0).to_pylist())
    assert record is not None
    rebuild = ArrowRebuild()
    if layout == "row":
        _, wrapped = root_record(shape)
        if wrapped:
            inner = rebuild.build(shape)
            return lambda batch: apply(inner, batch.column(0)[0].as_py())
        one = rebuild.build(record)
        return lambda batch: apply(one, batch.to_pylist()[0])
    rows = rebuild.build(shape)
    return lambda batch: apply(rows, batch.to_pylist())


def parts(shape: Shape) -> Parts:
    """The Arrow schema (`schema`), populate (→ RecordBatch) and to_python for `shape`."""
    schema = generate(shape)
    return Parts(populate=_to_batch(shape, schema), to_python=_from_batch(shape),
                 objects={"schema": schema}, schema=("arrow.txt", f"{schema}\n"))


def _checked(reader: Any, schema: Any) -> Any:
    """The stream's first batch, once fully validated and found to carry `schema` (the stream
    states its own)."""
    try:
        batch = reader.read_next_batch()
    except StopIteration:
        raise ValueError("the Arrow stream holds no record batch") from None
    batch.validate(full=True)
    if not batch.schema.equals(schema):
        raise ValueError(f"the Arrow stream carries another schema: {batch.schema}")
    return batch


def bind(shape: Shape, prepared: bool) -> Binding:
    """The pyarrow calls for `shape`: populate + encode, or encode of a prepared batch."""
    import pyarrow as pa

    kit = parts(shape)
    schema = kit.objects["schema"]
    new_stream = pa.ipc.new_stream
    open_stream = pa.ipc.open_stream
    BufferOutputStream = pa.BufferOutputStream  # the class, bound once

    def write(batch: Any) -> memoryview:
        sink = BufferOutputStream()
        with new_stream(sink, schema) as writer:
            writer.write_batch(batch)
        return memoryview(sink.getvalue())

    if prepared:
        def read_copy(view: memoryview) -> Any:
            return _checked(open_stream(view.tobytes()), schema)

        return Binding(
            encode=write, decode=read_copy, prepare=kit.populate,
            call_path="def: with pa.ipc.new_stream(sink := pa.BufferOutputStream(), schema) as "
            "w: w.write_batch(batch); memoryview(sink.getvalue()) [batch built by prepare, "
            "untimed] / def: pa.ipc.open_stream(view.tobytes()).read_next_batch(), then "
            "batch.validate(full=True) and a schema check → the RecordBatch (copied out of "
            "the receive buffer: the batch would point into it)",
            schema=kit.schema)
    populate, to_python = kit.populate, kit.to_python

    def encode(obj: Any) -> memoryview:
        sink = BufferOutputStream()
        with new_stream(sink, schema) as writer:
            writer.write_batch(populate(obj))
        return memoryview(sink.getvalue())

    def decode(view: memoryview) -> Any:
        return to_python(_checked(open_stream(view), schema))

    return Binding(
        encode=encode, decode=decode,
        call_path="def: the stream writer on populate(obj) [RecordBatch.from_pylist(rows, "
        "schema=schema); a numpy array: from_arrays([pa.array(arr)])] / def: to_python("
        "pa.ipc.open_stream(view).read_next_batch() after batch.validate(full=True)) "
        "[to_pylist() and shape-driven rebuild; "
        "to_numpy().copy() for an array]",
        schema=kit.schema)


def text(shape: Shape) -> tuple[str, str]:
    """(file suffix, the pyarrow schema's text form) of `shape`."""
    return "arrow.txt", f"{generate(shape)}\n"
