"""The typed codecs (msgspec Structs, pydantic, cattrs, mashumaro, the orjson baselines):
binding to each catalog payload, the validation gate, round trips and the harness floors."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import msgspec
import pytest

from serbench.codecs import Codec, get_codec, joined
from serbench.codecs.bind import bound_codec
from serbench.codecs.typed import TypedLibrary, corruptions, msgspec_models, unbound_codec
from serbench.codecs.typed.binding import Bound
from serbench.codecs.typed.libraries import JSON_PLAIN
from serbench.common.vocabulary import EXACT, FAMILY_TYPED, FAMILY_UNVALIDATED, UNSUPPORTED
from serbench.extensions.harness.floors import FLOORS, check_floor, floor_encoding, shape_once
from serbench.fidelity.roundtrip import check
from serbench.payloads import make_payload, shape_of
from serbench.payloads.payload import MadePayload
from serbench.payloads.shapes import (
    Field,
    ListOf,
    Record,
    Scalar,
    ShapeUnsupported,
    UnionOf,
    infer_shape,
)

VALIDATORS = ["msgspec-struct", "msgspec-struct-msgpack", "pydantic", "cattrs", "mashumaro"]
BASELINES = ["orjson-dataclass", "orjson-dict"]
TYPED = VALIDATORS + BASELINES

SMALL_SIZES = {"small": "small", "records": "records:20", "nested": "nested:20",
               "blob": "blob:64", "floats": "floats:20", "text": "text:20",
               "numpy": "numpy:20", "objects": "objects:5"}

_NESTED = "irregular tree"
_NUMPY = "numpy array"
#: Cells that are not `exact`: (codec, payload) → a fragment of the unsupported reason.
UNSUPPORTED_CELLS: dict[tuple[str, str], str] = {
    **{(codec, "nested"): _NESTED for codec in TYPED},
    **{(codec, "numpy"): _NUMPY for codec in TYPED},
    ("orjson-dataclass", "blob"): "not JSON serializable: bytes",
    ("orjson-dict", "blob"): "not JSON serializable: bytes",
    ("orjson-dataclass", "objects"): "not JSON serializable: frozenset",
    ("orjson-dict", "objects"): "not JSON serializable: frozenset",
    ("mashumaro", "objects"): "Dict key must be str",  # Event.scores: dict[int, float]
}


def _bind(name: str, made: MadePayload) -> Codec:
    return bound_codec(get_codec(name), made)


@pytest.fixture(scope="module")
def small_payloads() -> dict[str, MadePayload]:
    return {name: make_payload(spec) for name, spec in SMALL_SIZES.items()}


@pytest.fixture(scope="module")
def records_1000() -> MadePayload:
    return make_payload("records:1000")


@pytest.mark.parametrize("payload", list(SMALL_SIZES))
@pytest.mark.parametrize("name", TYPED)
def test_fidelity_on_every_catalog_payload(name: str, payload: str,
                                           small_payloads: dict[str, MadePayload]) -> None:
    made = small_payloads[payload]
    reason = UNSUPPORTED_CELLS.get((name, payload))
    if reason is None:
        codec = _bind(name, made)
        assert check(codec, made.label, made.obj).status == EXACT
        return
    try:
        codec = _bind(name, made)
    except ShapeUnsupported as exc:
        assert reason in str(exc)
        return
    result = check(codec, made.label, made.obj)
    assert result.status == UNSUPPORTED and reason in result.detail


def test_unbound_codec_refuses_to_encode_or_decode() -> None:
    codec = get_codec("pydantic")
    assert codec.specialise is not None
    with pytest.raises(RuntimeError, match="bind it to a payload"):
        codec.encode({"a": 1})
    with pytest.raises(RuntimeError, match="bind it to a payload"):
        codec.decode(memoryview(b"{}"))


def test_bound_codec_is_bound_once(records_1000: MadePayload) -> None:
    codec = _bind("msgspec-struct", records_1000)
    assert codec.specialise is None and codec.prepare is not None
    assert codec.for_payload(records_1000.obj, infer_shape(records_1000.obj)) is codec
    rows = codec.prepared(records_1000.obj)
    assert type(rows[0]).__name__ == "Row" and isinstance(rows[0], msgspec.Struct)


@pytest.mark.parametrize("name", TYPED)
def test_gate_families_on_records(name: str, records_1000: MadePayload) -> None:
    codec = _bind(name, records_1000)
    if name in VALIDATORS:
        assert codec.family == FAMILY_TYPED
        assert "rejected a str for Row.id, Row without 'id'" in codec.options
        assert codec.timing == "encode models / decode into validated models"
    else:
        assert codec.family == FAMILY_UNVALIDATED
        assert "accepted a str for Row.id" in codec.options
        assert "no validation" in codec.timing


def test_baseline_dataclass_rejects_only_the_missing_field(records_1000: MadePayload) -> None:
    # Row(**d) fails on a missing argument but keeps a str where an int belongs.
    codec = _bind("orjson-dataclass", records_1000)
    assert "accepted a str for Row.id; rejected Row without 'id'" in codec.options


@pytest.mark.parametrize("name", ["cattrs", "mashumaro"])
def test_str_items_are_not_checked_by_cattrs_or_mashumaro(
        name: str, small_payloads: dict[str, MadePayload]) -> None:
    # cattrs coerces with str(), mashumaro passes the int through: neither rejects it.
    codec = _bind(name, small_payloads["text"])
    assert codec.family == FAMILY_UNVALIDATED
    assert "accepted an int for item 0 of the top level (a str)" in codec.options


def _fake_library(decode_factory: Any) -> Codec:
    """A typed codec over msgspec Structs whose decoder is `decode_factory(models)`."""

    def bind(shape: Any) -> Bound:
        models = msgspec_models(shape)
        return Bound(models, msgspec.json.Encoder().encode, decode_factory(models), "fake")

    return unbound_codec(TypedLibrary("fake-typed", "msgspec", "msgspec", "fake", "fake",
                                      bind, JSON_PLAIN))


def test_gate_labels_a_decoder_that_does_not_validate(records_1000: MadePayload) -> None:
    # Untyped JSON, then Struct constructors: they check no types, only missing arguments.
    def factory(models: Any) -> Any:
        return lambda view: models.prepare(json.loads(bytes(view)))

    codec = _bind_with(_fake_library(factory), records_1000)
    assert codec.family == FAMILY_UNVALIDATED
    assert "accepted a str for Row.id; rejected Row without 'id'" in codec.options
    assert check(codec, records_1000.label, records_1000.obj).status == EXACT


def test_gate_labels_a_validating_fake_typed(records_1000: MadePayload) -> None:
    def factory(models: Any) -> Any:
        return msgspec.json.Decoder(models.top).decode

    assert _bind_with(_fake_library(factory), records_1000).family == FAMILY_TYPED


def _bind_with(codec: Codec, made: MadePayload) -> Codec:
    return codec.for_payload(made.obj, shape_of(made))


def test_corruptions_of_a_list_without_records() -> None:
    docs = corruptions(lambda: [1.5, 2.5], ListOf(Scalar("float")))
    assert [(c.description, c.document) for c in docs] == [
        ("a str for item 0 of the top level (a float)", ["not-a-float", 2.5])]
    assert corruptions(lambda: [], ListOf(Scalar("float"))) == []


def test_corruptions_prefer_an_int_field_and_a_required_one() -> None:
    shape = Record("R", (Field("note", Scalar("str")), Field("n", Scalar("int")),
                         Field("opt", Scalar("str"), required=False)))
    docs = corruptions(lambda: {"note": "x", "n": 1, "opt": "y"}, shape)
    assert [(c.description, c.document) for c in docs] == [
        ("a str for R.n", {"note": "x", "n": "not-an-int", "opt": "y"}),
        ("R without 'note'", {"n": 1, "opt": "y"})]


def test_nothing_to_corrupt_is_not_shown_to_validate() -> None:
    made = MadePayload("x", "x", "x", None, None, "empty list", [])
    codec = _bind("msgspec-struct", made)
    assert codec.family == FAMILY_UNVALIDATED and "nothing to corrupt" in codec.options


@pytest.mark.parametrize("name", TYPED)
def test_server_round_trip_reencodes_decoded_models(name: str,
                                                    records_1000: MadePayload) -> None:
    codec = _bind(name, records_1000)
    first = joined(codec.encode(codec.prepared(records_1000.obj)))
    again = joined(codec.encode(codec.decode(memoryview(first))))
    assert again == first


@pytest.mark.parametrize("name", TYPED)
def test_optional_keys_become_fields_with_defaults(name: str) -> None:
    rows = [{"a": 1, "b": "x"}, {"a": 2}, {"a": 3, "b": None}]
    made = MadePayload("x", "x", "x", None, None, "sparse rows", rows)
    codec = _bind(name, made)
    assert check(codec, made.label, made.obj).status == EXACT
    decoded = codec.decode(memoryview(joined(codec.encode(codec.prepared(rows)))))
    second = decoded[1]
    assert (second.get("b") if isinstance(second, dict) else second.b) is None


@pytest.mark.parametrize(("field", "library"), [("_id", "pydantic"), ("json", "pydantic"),
                                                ("_id", "cattrs")])
def test_field_names_a_library_cannot_model(field: str, library: str) -> None:
    made = MadePayload("x", "x", "x", None, None, "one record", {field: 1, "a": 2})
    with pytest.raises(ShapeUnsupported, match=field):
        _bind(library, made)


def test_dataclass_payloads_become_generated_models(small_payloads: dict[str, Any]) -> None:
    made = small_payloads["objects"]
    events = _bind("pydantic", made).prepared(made.obj)
    first = events[0]
    assert type(first).__name__ == "Event" and type(first.where).__name__ == "Point"
    assert isinstance(first.tags, frozenset) and isinstance(first.span, tuple)
    assert dataclasses.is_dataclass(made.obj[0]) and not dataclasses.is_dataclass(first)


@pytest.mark.parametrize("spec", ["small", "records:1000"])
@pytest.mark.parametrize("name", TYPED)
def test_harness_floor_matches_the_codec(name: str, spec: str) -> None:
    made = make_payload(spec)
    codec = _bind(name, made)
    floor = FLOORS[name]
    shape = shape_once(spec)  # the payload's shape, as the harness's set-up binds it
    assert check_floor(floor, codec, made.obj, made.label, shape) > 0
    namespace: dict[str, Any] = {"obj": made.obj, "shape": shape}
    exec("\n".join(floor.setup_lines("decode")), namespace)
    namespace["obj"] = eval(floor.decode, namespace)  # the floor's own round trip
    assert eval(floor.encode, namespace) == floor_encoding(floor, made.obj, shape)


def test_a_decoder_rejecting_its_own_output_is_unsupported_not_validating(
        records_1000: MadePayload) -> None:
    def factory(models: Any) -> Any:
        def refuse(view: memoryview) -> Any:
            raise ValueError("refuses everything")
        return refuse

    with pytest.raises(ShapeUnsupported, match="cannot decode its own encoding"):
        _bind_with(_fake_library(factory), records_1000)


@pytest.mark.parametrize("name", TYPED)
def test_union_of_records(name: str) -> None:
    a = Record("A", (Field("x", Scalar("int")),))
    b = Record("B", (Field("y", Scalar("str")),))
    shape = ListOf(UnionOf((a, b)))
    rows = [{"x": 1}, {"y": "s"}]
    codec = get_codec(name)
    if name.startswith("msgspec"):
        with pytest.raises(ShapeUnsupported, match="must be tagged"):
            codec.for_payload(rows, shape)
        return
    bound = codec.for_payload(rows, shape)
    assert check(bound, "union", rows).status == EXACT
    assert "A without 'x'" in bound.options
