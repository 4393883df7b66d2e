"""The shape description: inference rules, the catalog's declarations, and binding a codec
derived from a shape (what schema and typed codecs build on)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

import numpy as np
import pytest
from conftest import fake_codec

from serbench.codecs import compression
from serbench.codecs.base import Codec
from serbench.codecs.bind import bound_codec
from serbench.fidelity.roundtrip import check_bound
from serbench.payloads import make_payload, shape_of
from serbench.payloads.shapes import (
    NEVER,
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
    infer_shape,
    records_in,
)

INT, FLOAT, STR = Scalar("int"), Scalar("float"), Scalar("str")


def test_scalars_and_containers() -> None:
    assert infer_shape(True) == Scalar("bool")
    assert infer_shape(1) == INT
    assert infer_shape(b"x") == Scalar("bytes")
    assert infer_shape(dt.datetime(2024, 1, 1, tzinfo=dt.UTC)) == Scalar("datetime")
    assert infer_shape([1.5, 2.5]) == ListOf(FLOAT)
    assert infer_shape((1, 2)) == ListOf(INT, "tuple")
    assert infer_shape(frozenset({1})) == ListOf(INT, "frozenset")
    assert infer_shape([]) == ListOf(NEVER)
    assert infer_shape(np.zeros(3)) == ListOf(FLOAT, "ndarray")
    assert infer_shape({1: "a", 2: "b"}) == MapOf(INT, STR)
    assert infer_shape({"not an identifier": 1, "x-y": 2}) == MapOf(STR, INT)


def test_records_merge_optional_and_missing_fields() -> None:
    shape = infer_shape([{"a": 1, "b": None}, {"a": 2, "b": "x", "c": 1.0}, {"a": 3}])
    assert isinstance(shape, ListOf) and isinstance(shape.item, Record)
    record = shape.item
    assert [f.name for f in record.fields] == ["a", "b", "c"]
    assert record.field("a") == Field("a", INT, True)
    assert record.field("b") == Field("b", OptionalOf(STR), False)   # None and absent
    assert record.field("c") == Field("c", FLOAT, False)             # absent in two items


def test_always_none_is_optional_of_never() -> None:
    assert infer_shape({"a": None}) == Record("Root", (Field("a", OptionalOf(NEVER)),))


@pytest.mark.parametrize(("obj", "needle"), [
    ([1, "a"], "mixed types (int and str)"),
    ([1, 2.5], "mixed types (int and float)"),
    ({"n": 2**64}, "does not fit in 64 bits"),
    ({"a key": 1, "b key": "x"}, "map-vs-record ambiguity"),
    ({(1, 2): 1}, "map keys of types"),
    (dt.datetime(2024, 1, 1), "naive datetime"),
    (np.zeros((2, 2)), "2-d"),
    (object(), "object has no shape"),
])
def test_what_no_schema_states(obj: Any, needle: str) -> None:
    with pytest.raises(ShapeUnsupported, match=r".*") as info:
        infer_shape(obj)
    assert needle in str(info.value)


def test_the_error_names_the_place() -> None:
    with pytest.raises(ShapeUnsupported) as info:
        infer_shape({"rows": [{"v": 1}, {"v": "x"}]})
    assert str(info.value).startswith("at Root.rows[].v:")


def test_record_names_are_unique_identifiers() -> None:
    shape = infer_shape({"a": {"x": 1}, "b": [{"x": 1}], "a_": {"y": 2}})
    names = [r.name for r in records_in(shape)]
    assert len(names) == len(set(names))
    assert all(n.isidentifier() for n in names)


def _strip_names(shape: Shape) -> Any:
    """A shape without record names or Python classes: what inference and declaration share."""
    if isinstance(shape, Record):
        return tuple((f.name, _strip_names(f.shape), f.required) for f in shape.fields)
    if isinstance(shape, OptionalOf):
        return ("?", _strip_names(shape.inner))
    if isinstance(shape, ListOf):
        return ("list", shape.python, _strip_names(shape.item))
    if isinstance(shape, MapOf):
        return ("map", shape.key, _strip_names(shape.value))
    return shape


@pytest.mark.parametrize("spec", ["records:50", "blob:100", "floats:20", "text:20",
                                  "numpy:20", "objects:20"])
def test_declared_shapes_agree_with_inference(spec: str) -> None:
    made = make_payload(spec)
    assert _strip_names(shape_of(made)) == _strip_names(infer_shape(made.obj))


def test_declared_shapes_keep_the_dataclasses() -> None:
    shape = shape_of(make_payload("objects:3"))
    assert [(r.name, r.python) for r in records_in(shape)] == [
        ("Point", "serbench.payloads.catalog:Point"), ("Event", "serbench.payloads.catalog:Event")]
    assert describe(shape).startswith("[Event{id: int, when: datetime, where: Point{")


def test_small_declares_the_union_its_generator_draws_from() -> None:
    shape = shape_of(make_payload("small:5"))
    assert isinstance(shape, Record)
    assert [f.shape for f in shape.fields[2:]] == [UnionOf((INT, STR))] * 3
    # inference sees only the types this seed drew: each field one of the union's options
    inferred = infer_shape(make_payload("small:5").obj)
    assert isinstance(inferred, Record)
    assert {f.shape for f in inferred.fields[2:]} <= {INT, STR}


def test_nested_declares_no_shape() -> None:
    with pytest.raises(ShapeUnsupported, match="irregular tree"):
        shape_of(make_payload("nested:30"))


def test_user_data_is_inferred(tmp_path: Any) -> None:
    path = tmp_path / "doc.json"
    path.write_text(json.dumps({"users": [{"id": 1, "tags": ["a"]}, {"id": 2, "tags": []}]}))
    shape = shape_of(make_payload(f"file:{path}"))
    assert describe(shape) == "Root{users: [Root_users_item{id: int, tags: [str]}]}"


# -- binding a codec derived from the shape ----------------------------------------------------

def _shape_codec(calls: list[Shape]) -> Codec:
    """A codec that records the shape it was bound to and refuses a shape with no record."""

    def unbound(_: Any) -> Any:
        raise AssertionError("an unbound shape codec must never be timed")

    def specialise(obj: Any, shape: Shape) -> Codec:
        if not records_in(shape):
            raise ShapeUnsupported("no record in this shape")
        calls.append(shape)
        return dataclasses.replace(codec, encode=lambda o: json.dumps(o).encode(),
                                   decode=lambda v: json.loads(bytes(v)), specialise=None)

    codec = dataclasses.replace(fake_codec(unbound, unbound, name="shaped"),
                                specialise=specialise)
    return codec


def test_bound_codec_gets_the_payloads_declared_shape() -> None:
    calls: list[Shape] = []
    made = make_payload("records:5")
    bound = bound_codec(_shape_codec(calls), made)
    assert calls == [shape_of(made)]
    assert bound.specialise is None
    assert json.loads(bound.encode(made.obj)) == made.obj


def test_plain_codecs_are_bound_to_themselves() -> None:
    codec = fake_codec(lambda o: b"", lambda v: None)
    assert bound_codec(codec, make_payload("small")) is codec


def test_check_bound_turns_refusals_into_unsupported_cells() -> None:
    calls: list[Shape] = []
    verdict, _ = check_bound(_shape_codec(calls), make_payload("nested:30"))
    assert (verdict.status, verdict.detail.startswith("shape: nested is an irregular tree")) \
        == ("unsupported", True)
    verdict, _ = check_bound(_shape_codec(calls), make_payload("floats:10"))
    assert (verdict.status, verdict.detail) == ("unsupported", "shape: no record in this shape")
    verdict, bound = check_bound(_shape_codec(calls), make_payload("records:5"))
    assert verdict.status == "exact" and bound.specialise is None


def test_check_bound_reports_a_library_refusing_the_schema() -> None:
    codec = fake_codec(lambda o: b"", lambda v: None)

    def broken(obj: Any, shape: Shape) -> Codec:
        raise ValueError("reserved word 'struct'")

    verdict, _ = check_bound(dataclasses.replace(codec, specialise=broken),
                             make_payload("small"))
    assert (verdict.status, verdict.detail) == (
        "unsupported", "schema: ValueError: reserved word 'struct'")


def test_a_compressed_shape_codec_is_bound_then_compressed() -> None:
    calls: list[Shape] = []
    composed = compression.compressed(_shape_codec(calls), "zlib")
    assert composed.specialise is not None
    made = make_payload("records:5")
    bound = bound_codec(composed, made)
    assert bound.name == "shaped+zlib" and bound.specialise is None and len(calls) == 1
    assert bound.decode(memoryview(bound.encode(made.obj))) == made.obj


def test_a_run_writes_the_schemas_it_timed(tmp_path: Any) -> None:
    from serbench.runner.probe import Prober
    from serbench.runner.schema_files import write_schemas

    prober = Prober()
    pairs = [prober.get(codec, spec) for codec, spec in [
        ("protobuf", "records:5"), ("avro-prepared", "records:5"), ("pickle", "records:5"),
        ("thrift", "nested:30")]]  # pickle has no schema; thrift cannot state nested
    written = write_schemas(tmp_path, pairs)
    assert sorted(p.name for p in written) == ["avro-prepared.records-5.avsc",
                                               "protobuf.records-5.proto"]
    assert "message Row" in (tmp_path / "schemas" / "protobuf.records-5.proto").read_text()
    assert '"name": "Row"' in (tmp_path / "schemas" / "avro-prepared.records-5.avsc").read_text()
