"""The zoo's schema-less codecs (issue 11): names, flags, timed calls, the fidelity of each on
every catalog payload, their harness floors, and the message when a library is missing."""

from __future__ import annotations

import dataclasses
import gc
import marshal
import sys
import types
from collections.abc import Callable
from typing import Any

import pytest

from serbench.codecs import (
    Codec,
    CodecUnavailable,
    codec_entries,
    get_codec,
    joined,
)
from serbench.codecs import binary_codecs as binary_zoo
from serbench.codecs import json_codecs as json_zoo
from serbench.codecs import python_codecs as python_zoo
from serbench.codecs.base import require
from serbench.common.vocabulary import FAMILY_GENERAL
from serbench.extensions.harness.floors import FLOORS, check_floor, floor_encoding
from serbench.extensions.harness.floors_zoo import ROWS
from serbench.extensions.harness.run import build_pairs, load_config
from serbench.fidelity.roundtrip import check
from serbench.payloads import make_payload, payload_entries
from serbench.runner.matrix import builtin_matrix_path

FACTORIES: dict[str, Callable[[], Codec]] = {
    "ujson": json_zoo.ujson_codec,
    "rapidjson": json_zoo.rapidjson_codec,
    "simplejson": json_zoo.simplejson_codec,
    "pysimdjson": json_zoo.pysimdjson_codec,
    "ormsgpack": binary_zoo.ormsgpack_codec,
    "bson": binary_zoo.bson_codec,
    "dill": python_zoo.dill_codec,
    "marshal": python_zoo.marshal_codec,
    "jsonpickle": python_zoo.jsonpickle_codec,
    "serpent": python_zoo.serpent_codec,
}
ZOO = list(FACTORIES)

CAPABILITIES = {
    # name: (safe_for_untrusted_input, cross_language, same_python_only, human_readable)
    "ujson": (True, True, False, True),
    "rapidjson": (True, True, False, True),
    "simplejson": (True, True, False, True),
    "pysimdjson": (True, True, False, True),
    "ormsgpack": (True, True, False, False),
    "bson": (True, True, False, False),
    "dill": (False, False, True, False),  # unpickling runs code; pickles code by value
    "marshal": (False, False, True, False),  # the .pyc format: changes between Pythons
    "jsonpickle": (False, False, False, True),  # decode imports and builds any class
    # ast.literal_eval runs no code, but a 600 kB frame balloons to ~290 MB (fuzzed): unsafe.
    "serpent": (False, True, False, True),  # Java and .NET readers exist
}

#: The catalog payloads at small sizes (the classes do not depend on size).
PAYLOADS = {"small": "small", "records": "records:20", "nested": "nested:50", "blob": "blob:64",
            "floats": "floats:20", "text": "text:10", "numpy": "numpy:16",
            "objects": "objects:3"}

# Expected class per payload: "exact", ("lossy", losses), or (class, text its detail holds).
NOT_MAPPING = ("unsupported", "encode: TypeError: encoder expected a mapping type")
JSON_TEXT_ONLY = {  # blob, numpy and objects are not JSON
    "ujson": {"blob": ("unsupported", "encode: TypeError: b'"),
              "numpy": ("unsupported", "encode: TypeError: array("),
              "objects": ("unsupported", "encode: TypeError: Event(")},
    # rapidjson and simplejson write bytes as UTF-8 text: random bytes are not UTF-8.
    "rapidjson": {"blob": ("unsupported", "encode: UnicodeDecodeError"),
                  "numpy": ("unsupported", "encode: TypeError: array("),
                  "objects": ("unsupported", "encode: TypeError: Event(")},
    "simplejson": {"blob": ("unsupported", "encode: UnicodeDecodeError"),
                   "numpy": ("unsupported", "Object of type ndarray is not JSON serializable"),
                   "objects": ("unsupported", "Object of type Event is not JSON serializable")},
    # orjson encodes for pysimdjson: it writes dataclasses but not the frozenset inside one.
    "pysimdjson": {"blob": ("unsupported", "Type is not JSON serializable: bytes"),
                   "numpy": ("unsupported", "Type is not JSON serializable: numpy.ndarray"),
                   "objects": ("unsupported", "Type is not JSON serializable: frozenset")},
}
FIDELITY: dict[str, dict[str, Any]] = {
    **JSON_TEXT_ONLY,
    "ormsgpack": {"numpy": ("unsupported", "Type is not msgpack serializable: numpy.ndarray"),
                  "objects": ("unsupported", "Type is not msgpack serializable: frozenset")},
    # A BSON document is a mapping: every top-level list is refused, never wrapped.
    "bson": {"records": NOT_MAPPING, "floats": NOT_MAPPING, "text": NOT_MAPPING,
             "numpy": ("unsupported", "encode: TypeError: encoder expected a mapping type"),
             "objects": NOT_MAPPING},
    "dill": {},
    # marshal writes any buffer (an ndarray too) as bytes, and refuses class instances.
    "marshal": {"numpy": ("wrong", "ndarray came back as bytes"),
                "objects": ("unsupported", "encode: ValueError: unmarshallable object")},
    "jsonpickle": {},  # keys=True: int keys, tuples, frozensets, dataclasses all come back
    # serpent (bytes_repr=False) writes bytes as {"data": base64, "encoding": "base64"} and a
    # dataclass as its fields plus "__class__": both come back as dicts.
    "serpent": {"blob": ("wrong", "at ['data']: bytes came back as dict"),
                "numpy": ("unsupported", "don't know how to serialize class"),
                "objects": ("wrong", "at [0]: 7 keys came back as 8")},
}

#: The sides whose timed call is a Python function of serbench's, forced by the library's API.
LAYERS = {
    "ujson": {"encode", "decode"},  # dumps returns str; loads refuses a memoryview
    "rapidjson": {"encode", "decode"},
    "simplejson": {"encode", "decode"},
    "pysimdjson": {"decode"},  # recursive=True must be passed to the reused parser
    "jsonpickle": {"encode", "decode"},  # str both ways, and keys=True
}


def _layers(name: str) -> set[str]:
    if name == "dill":  # the protocol-5 `def` exists only where dill's default is not 5
        return {"encode"} if require("dill").settings["protocol"] != 5 else set()
    return LAYERS.get(name, set())

COMMON = {"name": "Alice", "age": 30, "tags": ["a", "b", "ç"], "score": 1.5, "none": None,
          "text": "héllo wörld " * 20}


def build(name: str) -> Codec:
    try:
        return get_codec(name)
    except CodecUnavailable as exc:  # pragma: no cover - the zoo is installed in CI
        pytest.skip(f"{name} unavailable here: {exc}")


def test_the_tables_cover_every_zoo_codec_and_catalog_payload() -> None:
    entries = codec_entries()
    for name, factory in FACTORIES.items():
        module = factory.__module__
        assert entries[name].target == f"{module}:{factory.__name__}"
    assert set(CAPABILITIES) == set(FIDELITY) == set(ZOO)
    assert set(PAYLOADS) == set(payload_entries())  # all 8 catalog shapes
    for overrides in FIDELITY.values():
        assert set(overrides) <= set(PAYLOADS)


@pytest.mark.parametrize("name", ZOO)
def test_codec_builds_with_its_name_and_documented_flags(name: str) -> None:
    codec = build(name)
    assert codec.name == name
    assert codec.library and codec.version and codec.version != "unknown"
    assert codec.options and codec.call_path
    assert tuple(codec.capabilities().values()) == CAPABILITIES[name]
    assert codec.prepare is None  # real codecs time the payload itself
    assert codec.specialise is None and codec.family == FAMILY_GENERAL  # schema-less


@pytest.mark.parametrize("payload", list(PAYLOADS))
@pytest.mark.parametrize("name", ZOO)
def test_fidelity_on_every_catalog_payload(name: str, payload: str) -> None:
    made = make_payload(PAYLOADS[payload])
    result = check(build(name), made.label, made.obj)
    expected = FIDELITY[name].get(payload, "exact")
    if expected == "exact":
        assert (result.status, result.detail, result.losses) == ("exact", "", ())
        assert result.encoded_bytes
    elif expected[0] == "lossy":
        assert (result.status, result.losses) == ("lossy", expected[1]), result.detail
    else:
        assert result.status == expected[0], result
        assert expected[1] in result.detail


@pytest.mark.parametrize("name", ZOO)
def test_timed_calls_are_the_librarys_callables_or_a_declared_layer(name: str) -> None:
    codec = build(name)
    layered = {side for side in ("encode", "decode")
               if isinstance(getattr(codec, side), types.FunctionType)
               and getattr(codec, side).__module__.startswith("serbench.")}
    assert layered == _layers(name)
    paths = codec.call_path.split(" / ")
    assert len(paths) == 2
    for side, path in zip(("encode", "decode"), paths, strict=True):
        assert path.startswith("def: ") == (side in layered), path


def test_direct_calls_are_the_library_functions() -> None:
    import bson
    import orjson
    import ormsgpack
    import serpent

    assert (build("ormsgpack").encode, build("ormsgpack").decode) == (ormsgpack.packb,
                                                                      ormsgpack.unpackb)
    assert (build("bson").encode, build("bson").decode) == (bson.encode, bson.decode)
    assert (build("marshal").encode, build("marshal").decode) == (marshal.dumps, marshal.loads)
    assert (build("serpent").encode, build("serpent").decode) == (serpent.dumps, serpent.loads)
    assert build("pysimdjson").encode is orjson.dumps


@pytest.mark.parametrize("name", ZOO)
def test_decode_of_a_reused_receive_buffer_does_not_alias_it(name: str) -> None:
    codec = build(name)
    blob = joined(codec.encode(COMMON))
    receive = bytearray(b"HEAD" + blob + b"TAIL")
    decoded = codec.decode(memoryview(receive)[4 : 4 + len(blob)])
    assert decoded == COMMON
    receive[:] = b"\xff" * len(receive)
    assert decoded == COMMON


def test_pysimdjson_reuses_one_parser_without_aliasing_earlier_documents() -> None:
    import simdjson

    codec = build("pysimdjson")
    first = codec.decode(memoryview(joined(codec.encode({"a": [1, 2, {"b": "x" * 50}]}))))
    second = codec.decode(memoryview(joined(codec.encode(["other", {"c": 3.5}]))))
    # recursive=True: plain containers, so the second parse cannot invalidate the first.
    assert type(first) is dict and type(first["a"]) is list and type(first["a"][2]) is dict
    assert not isinstance(first, simdjson.Object | simdjson.Array)
    assert first == {"a": [1, 2, {"b": "x" * 50}]}
    assert second == ["other", {"c": 3.5}]
    assert "simdjson.Parser()" in codec.call_path and "orjson" in codec.options


def test_wire_formats_are_the_documented_calls() -> None:
    import jsonpickle
    import rapidjson
    import simplejson
    import ujson

    obj = make_payload("small:6").obj
    assert build("ujson").encode(obj) == ujson.dumps(obj).encode()
    assert build("rapidjson").encode(obj) == rapidjson.dumps(obj).encode()
    assert build("simplejson").encode(obj) == simplejson.dumps(obj).encode()
    int_keys = {1: (2, 3), "s": frozenset({4})}
    wire = joined(build("jsonpickle").encode(int_keys))
    assert wire == jsonpickle.encode(int_keys, keys=True).encode()
    assert build("jsonpickle").decode(memoryview(wire)) == int_keys


def test_marshal_writes_the_current_version_and_says_so() -> None:
    codec = build("marshal")
    assert codec.encode(COMMON) == marshal.dumps(COMMON, marshal.version)
    assert f"version={marshal.version}" in codec.options
    assert marshal.version == python_zoo.MARSHAL_VERSION


def test_dill_pickles_with_protocol_5() -> None:
    codec = build("dill")
    assert joined(codec.encode(COMMON))[:2] == b"\x80\x05"  # PROTO 5
    assert "protocol=5" in codec.options
    fn = codec.decode(memoryview(joined(codec.encode(lambda x: x + 1))))
    assert fn(1) == 2  # what dill is for: code by value


def test_bson_refuses_a_top_level_list_instead_of_wrapping_it() -> None:
    codec = build("bson")
    with pytest.raises(TypeError, match="mapping type"):
        codec.encode([1, 2])
    assert codec.decode(memoryview(joined(codec.encode({"v": [1, 2]})))) == {"v": [1, 2]}


def test_serpent_decode_turns_the_garbage_collector_back_on() -> None:
    # serpent.loads disables gc around ast.literal_eval and enables it after, whatever it was:
    # a `--gc off` cell decoding with serpent times with the collector on (docs/codecs.md).
    codec = build("serpent")
    wire = memoryview(joined(codec.encode(COMMON)))
    was = gc.isenabled()
    gc.disable()
    try:
        assert codec.decode(wire) == COMMON
        assert gc.isenabled()
    finally:
        (gc.enable if was else gc.disable)()


@pytest.mark.parametrize("spec", ["small", "records:1000"])
@pytest.mark.parametrize("name", ZOO)
def test_floor_rows_agree_with_the_codecs(name: str, spec: str) -> None:
    codec = build(name)
    row = FLOORS[name]
    obj = make_payload(spec).obj
    if name == "bson" and spec.startswith("records"):
        assert check(codec, spec, obj).status == "unsupported"  # the harness skips the pair
        with pytest.raises(TypeError, match="mapping type"):
            floor_encoding(row, obj)
        return
    assert check_floor(row, codec, obj, spec) == len(joined(codec.encode(obj)))
    namespace: dict[str, Any] = {"obj": obj}
    exec("\n".join(row.setup_lines("decode")), namespace)
    assert eval(row.statement("decode"), namespace) == obj  # decode on bytes reads it back


def test_the_zoo_rows_are_the_floor_tables_rows() -> None:
    assert [row.codec for row in ROWS] == ZOO
    for row in ROWS:
        assert FLOORS[row.codec] is row
        assert "serbench" not in " ".join([*row.setup, *row.decode_setup, row.encode,
                                           row.decode])


def test_a_drifted_zoo_row_fails_the_check() -> None:
    obj = make_payload("small").obj
    drifted = dataclasses.replace(FLOORS["ujson"], decode_setup=(
        "data = ujson.dumps(obj, ensure_ascii=False, indent=1).encode()",))
    with pytest.raises(RuntimeError, match="does not produce the bytes"):
        check_floor(drifted, build("ujson"), obj, "small")


def test_harness_leaves_out_the_pairs_a_codec_cannot_encode() -> None:
    cfg = dataclasses.replace(load_config(builtin_matrix_path("harness")), codecs=["bson"])
    skipped: dict[str, str] = {}
    pairs = build_pairs(cfg, quick=True, skipped=skipped)
    names = {p.name for p in pairs if p.codec == "bson"}
    assert names == {"encode/bson/small-2", "decode/bson/small-2"}
    [(key, reason)] = skipped.items()
    assert "bson" in key and "records-1000" in key
    assert reason.startswith("unsupported: encode: TypeError")


MISSING = {
    # codec: (module made unimportable, distribution the hint names)
    "ujson": ("ujson", "ujson"),
    "rapidjson": ("rapidjson", "python-rapidjson"),
    "simplejson": ("simplejson", "simplejson"),
    "pysimdjson": ("simdjson", "pysimdjson"),
    "ormsgpack": ("ormsgpack", "ormsgpack"),
    "bson": ("bson", "pymongo"),
    "dill": ("dill", "dill"),
    "jsonpickle": ("jsonpickle", "jsonpickle"),
    "serpent": ("serpent", "serpent"),
}


@pytest.mark.parametrize("name", list(MISSING))
def test_a_missing_library_names_the_pip_install(name: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    module, dist = MISSING[name]
    monkeypatch.setitem(sys.modules, module, None)  # `import module` now raises ImportError
    with pytest.raises(CodecUnavailable, match=rf"pip install {dist}$"):
        FACTORIES[name]()


def test_pysimdjson_needs_orjson_to_encode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "orjson", None)
    with pytest.raises(CodecUnavailable, match=r"pip install orjson$"):
        json_zoo.pysimdjson_codec()


def test_marshal_needs_nothing_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    for module, _ in MISSING.values():
        monkeypatch.setitem(sys.modules, module, None)
    codec = python_zoo.marshal_codec()
    assert codec.decode(memoryview(joined(codec.encode(COMMON)))) == COMMON


def test_a_foreign_bson_module_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = types.ModuleType("bson")  # PyPI's unrelated `bson` has no decode_all
    monkeypatch.setitem(sys.modules, "bson", fake)
    with pytest.raises(CodecUnavailable, match="not pymongo's"):
        binary_zoo.bson_codec()
