"""Schema codecs derived from the payload's shape (serbench/codecs/schema_codecs.py,
serbench/codecs/schemas/): binding, fidelity over the catalog, schema text, refusals and floors."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from serbench.codecs import Codec, get_codec, joined
from serbench.codecs.bind import bound_codec
from serbench.codecs.schemas import LANGUAGES, schema_text
from serbench.codecs.schemas.conventions import from_micros, to_micros
from serbench.common.vocabulary import EXACT, FAMILY_GENERAL, FAMILY_PREPARED
from serbench.extensions.harness.floors import FLOORS, check_floor
from serbench.extensions.harness.floors_schema import ROWS
from serbench.fidelity import roundtrip as fidelity
from serbench.payloads import make_payload, shape_of
from serbench.payloads.shapes import ShapeUnsupported, infer_shape
from serbench.payloads.shapes.shape import Field, ListOf, MapOf, OptionalOf, Record, Scalar, UnionOf

LANGS = ["protobuf", "avro", "arrow", "capnp", "thrift"]
CODECS = [f"{lang}{suffix}" for lang in LANGS for suffix in ("", "-prepared")]
#: The catalog at small sizes (`small:4` has two int|str union fields).
PAYLOADS = ["small:4", "records:20", "nested:50", "blob:100", "floats:10", "text:5",
            "numpy:10", "objects:5"]
NESTED = "nested is an irregular tree"
#: (language, payload) → what the bind refuses with; every other cell is exact.
UNSUPPORTED = {
    ("avro", "objects:5"): r"Avro map keys are strings: \{int: float\} at Event\.scores",
    ("arrow", "small:4"): r"Arrow: union fields are not mapped \(int \| str at Small\.field0\)",
}


def _lang(codec: str) -> str:
    return codec.removesuffix("-prepared")


def _bind(name: str, spec: str) -> tuple[Codec, Any]:
    made = make_payload(spec)
    return bound_codec(get_codec(name), made), made


@pytest.mark.parametrize("spec", PAYLOADS)
@pytest.mark.parametrize("name", CODECS)
def test_fidelity_over_the_catalog(name: str, spec: str) -> None:
    made = make_payload(spec)
    reason = NESTED if spec.startswith("nested") else UNSUPPORTED.get((_lang(name), spec))
    if reason is not None:
        with pytest.raises(ShapeUnsupported, match=reason):
            bound_codec(get_codec(name), made)
        return
    bound = bound_codec(get_codec(name), made)
    result = fidelity.check(bound, made.label, made.obj)
    assert result.status == EXACT, result.detail


@pytest.mark.parametrize("name", CODECS)
def test_unbound_codec_refuses_and_states_its_timing(name: str) -> None:
    codec = get_codec(name)
    assert codec.name == name and codec.specialise is not None
    with pytest.raises(RuntimeError, match="bound_codec"):
        codec.encode({"a": 1})
    with pytest.raises(RuntimeError, match="bound_codec"):
        codec.decode(memoryview(b"\x00"))
    prepared = name.endswith("-prepared")
    assert codec.family == (FAMILY_PREPARED if prepared else FAMILY_GENERAL)
    assert codec.timing == ("encode (prepared message)" if prepared else "populate + encode")
    assert codec.cross_language and not codec.human_readable and not codec.same_python_only
    assert codec.safe_for_untrusted_input == (_lang(name) != "thrift")
    bound, _ = _bind(name, "records:5")
    assert bound.specialise is None and bound.name == name and bound.family == codec.family
    assert bound.call_path != codec.call_path
    assert (bound.prepare is not None) == prepared  # records: a list, wrapped in a root


@pytest.mark.parametrize(("name", "spec"), [
    (lang, spec) for lang in LANGS for spec in ("records:30", "objects:4")
    if (lang, spec) != ("avro", "objects:4")])  # Avro cannot state int map keys
def test_populating_codecs_round_trip_to_equal_python_objects(name: str, spec: str) -> None:
    bound, made = _bind(name, spec)
    decoded = bound.decode(memoryview(joined(bound.encode(made.obj))))
    assert decoded == made.obj
    assert type(decoded[0]) is type(made.obj[0])
    if spec.startswith("objects"):
        assert type(decoded[0].tags) is frozenset and type(decoded[0].span) is tuple
        assert decoded[0].when.utcoffset() == dt.timedelta(0)


@pytest.mark.parametrize("lang", LANGS)
def test_schema_text_names_the_records(lang: str) -> None:
    objects = shape_of(make_payload("objects:3"))
    records = shape_of(make_payload("records:3"))
    suffix, text = schema_text(f"{lang}-prepared", records)
    assert suffix
    if lang != "arrow":  # Arrow's schema names fields, not record types
        assert "Row" in text
    assert "email" in text and "note" in text
    if lang == "avro":
        with pytest.raises(ShapeUnsupported, match="Avro map keys"):
            schema_text(lang, objects)
        return
    _, text = schema_text(lang, objects)
    if lang != "arrow":  # Arrow's schema names fields, not record types
        assert "Event" in text and "Point" in text
    assert "scores" in text and "label" in text
    assert schema_text(lang, objects) == schema_text(lang, objects)  # deterministic


def test_schema_text_refuses_codecs_that_are_not_schema_codecs() -> None:
    with pytest.raises(KeyError):
        schema_text("orjson", ListOf(Scalar("int")))
    assert set(LANGUAGES) == set(LANGS)


def test_capnp_ids_differ_per_schema_and_have_the_high_bit() -> None:
    first = schema_text("capnp", ListOf(Scalar("int")))[1].splitlines()[0]
    second = schema_text("capnp", ListOf(Scalar("str")))[1].splitlines()[0]
    assert first != second
    for line in (first, second):
        assert line.startswith("@0x") and int(line[3:-1], 16) >> 63 == 1


_DOC: dict[str, Any] = {
    "users": [
        {"id": 1, "name": "a", "email": "a@x.example"},
        {"id": 2, "name": "b"},
        {"id": 3, "name": None, "tags": ["x", "y"]},
    ],
    "count": 3,
}


@pytest.mark.parametrize("name", CODECS)
def test_inferred_shape_with_optional_keys(name: str) -> None:
    shape = infer_shape(_DOC)
    bound = get_codec(name).for_payload(_DOC, shape)
    assert fidelity.check(bound, "doc", _DOC).status == EXACT
    if not name.endswith("-prepared"):
        decoded = bound.decode(memoryview(joined(bound.encode(_DOC))))
        assert "email" not in decoded["users"][1] and "tags" not in decoded["users"][0]
        assert decoded["users"][2]["name"] is None


#: Field names that are keywords or method names in some language.
_AWKWARD = {"read": 1, "struct": "s", "when": 2.5, "content_type": "t", "which": True,
            "schema": b"\x00", "Upper_Case_": 3, "_1": 4, "contentType": "u"}


@pytest.mark.parametrize("name", CODECS)
def test_reserved_and_awkward_field_names_are_mangled_and_mapped_back(name: str) -> None:
    obj = [dict(_AWKWARD), dict(_AWKWARD)]
    bound = get_codec(name).for_payload(obj, infer_shape(obj))
    assert fidelity.check(bound, "awkward", obj).status == EXACT


#: Lists of lists (canada.json's coordinates), lists of optionals, nullable lists, maps of lists.
_CONTAINERS: dict[str, Any] = {
    "coordinates": [[[1.0, 2.0], [3.0, 4.5]], [[5.0, 6.0]]],
    "maybe": [1, None, 3],
    "nullable": None,
    "listed": [4, 5],
    "groups": {"a": [1, 2], "b": []},
}
_CONTAINER_SHAPE = Record("Doc", (
    Field("coordinates", ListOf(ListOf(ListOf(Scalar("float"))))),
    Field("maybe", ListOf(OptionalOf(Scalar("int")))),
    Field("nullable", OptionalOf(ListOf(Scalar("int")))),
    Field("listed", OptionalOf(ListOf(Scalar("int")))),
    Field("groups", MapOf(Scalar("str"), ListOf(Scalar("int"))))))


@pytest.mark.parametrize("name", ["protobuf", "protobuf-prepared", "avro", "arrow"])
def test_containers_of_containers_and_of_nulls(name: str) -> None:
    bound = get_codec(name).for_payload(_CONTAINERS, _CONTAINER_SHAPE)
    assert fidelity.check(bound, "containers", _CONTAINERS).status == EXACT


def test_protobuf_wraps_lists_and_nulls_in_wrapper_messages() -> None:
    _, text = schema_text("protobuf", _CONTAINER_SHAPE)
    assert "repeated Box" in text and "optional Box" in text and "map<string, Box" in text


@pytest.mark.parametrize("name", ["capnp", "capnp-prepared", "thrift", "thrift-prepared"])
def test_containers_without_null_items(name: str) -> None:
    doc = {k: v for k, v in _CONTAINERS.items() if k != "maybe"}
    shape = Record("Doc", tuple(f for f in _CONTAINER_SHAPE.fields if f.name != "maybe"))
    bound = get_codec(name).for_payload(doc, shape)
    assert fidelity.check(bound, "containers", doc).status == EXACT


@pytest.mark.parametrize(("shape", "lang", "reason"), [
    (ListOf(OptionalOf(Scalar("int"))), "capnp", "Cap'n Proto: a list cannot hold null"),
    (ListOf(OptionalOf(Scalar("int"))), "thrift", "Thrift: a container cannot hold null"),
    (Record("R", ()), "avro", None),
    (ListOf(UnionOf((Scalar("int"), ListOf(Scalar("int"))))), "thrift", "not a scalar"),
    (MapOf(Scalar("int"), Scalar("str")), "avro", "Avro map keys are strings"),
    (ListOf(UnionOf((Scalar("int"), Scalar("str")))), "arrow", "Arrow: union fields"),
])
def test_what_each_language_cannot_state(shape: Any, lang: str, reason: str | None) -> None:
    if reason is None:
        assert schema_text(lang, shape)[1]
        return
    with pytest.raises(ShapeUnsupported, match=reason):
        LANGUAGES[lang].bind(shape, False)


def test_unions_of_scalars_round_trip_where_mapped() -> None:
    obj = [1, "two", 3, True]
    shape = ListOf(UnionOf((Scalar("bool"), Scalar("int"), Scalar("str"))))
    for name in ("protobuf", "avro", "capnp", "thrift"):
        bound = get_codec(name).for_payload(obj, shape)
        assert bound.decode(memoryview(joined(bound.encode(obj)))) == obj
        assert [type(v) for v in bound.decode(memoryview(joined(bound.encode(obj))))] == [
            int, str, int, bool]


def test_capnp_prepared_message_encodes_repeatedly_without_warning() -> None:
    bound, made = _bind("capnp-prepared", "records:3")
    message = bound.prepared(made.obj)
    assert joined(bound.encode(message)) == joined(bound.encode(message))


def test_datetimes_travel_as_utc_microseconds() -> None:
    when = dt.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    micros = to_micros(when)
    assert from_micros(micros) == when and from_micros(micros).tzinfo is dt.UTC
    assert to_micros(dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) == 0


def test_every_schema_codec_has_a_floor_row() -> None:
    assert {row.codec for row in ROWS} == set(CODECS)


#: The harness's two floor payloads; the large one only in the full suite (the fast path
#: keeps under a minute).
FLOOR_PAYLOADS = ["small", pytest.param("records:1000", marks=pytest.mark.slow)]


@pytest.mark.parametrize("spec", FLOOR_PAYLOADS)
@pytest.mark.parametrize("name", CODECS)
def test_floor_rows_produce_the_bound_codecs_bytes(name: str, spec: str) -> None:
    bound, made = _bind(name, spec)
    assert check_floor(FLOORS[name], bound, made.obj, made.label) > 0


def _user(i: int) -> dict[str, Any]:
    return {"id": i, "name": f"u{i}", "url": None if i % 2 else "http://x.example",
            "entities": {"description": {"urls": []}}, "verified": False}


#: Nested records, optional records, empty lists and keys only some items carry (a tweet).
_TWEETS: dict[str, Any] = {
    "statuses": [
        {"id": 1, "user": _user(1), "reply_to": None, "retweeted": None,
         "entities": {"hashtags": [], "urls": [{"url": "u", "indices": [1, 2]}]}},
        {"id": 2, "user": _user(2), "reply_to": 7, "retweeted": {"id": 9, "user": _user(3)},
         "entities": {"hashtags": [{"text": "a", "indices": [0, 1]}], "urls": []},
         "sensitive": True},
    ],
    "meta": {"count": 2, "max_id": 2**62},
}


@pytest.mark.parametrize("name", CODECS)
def test_nested_and_optional_records_from_an_inferred_document(name: str) -> None:
    bound = get_codec(name).for_payload(_TWEETS, infer_shape(_TWEETS))
    assert fidelity.check(bound, "tweets", _TWEETS).status == EXACT


def test_thrift_is_flagged_unsafe_because_declared_lengths_are_trusted() -> None:
    bound, _ = _bind("thrift-prepared", "records:2")
    # A list field of 100,000 structs declared in 8 bytes decodes into 100,000 structs.
    decoded = bound.decode(memoryview(b"\x0f\x00\x01\x0c\x00\x01\x86\xa0"))
    assert len(decoded.items) == 100_000
    assert not get_codec("thrift").safe_for_untrusted_input


@pytest.mark.parametrize("name", ["arrow", "arrow-prepared"])
def test_arrow_decode_validates_the_batch_and_its_schema(name: str) -> None:
    bound, _ = _bind(name, "records:3")
    other = get_codec(name).for_payload([{"x": 1}], infer_shape([{"x": 1}]))
    foreign = joined(other.encode(other.prepared([{"x": 1}])))
    with pytest.raises(ValueError, match="another schema"):
        bound.decode(memoryview(foreign))
