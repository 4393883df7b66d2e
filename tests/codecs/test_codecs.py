"""Every built-in codec (and a few compositions) on boundary values, memoryview input, the
out-of-band pickle frame and the null codec."""

from __future__ import annotations

import dataclasses
import functools
import math
import pickle
import random
import types
from typing import Any

import numpy as np
import pytest

from serbench.codecs import (
    CodecUnavailable,
    codec_entries,
    encoded_size,
    get_codec,
    joined,
    known_names,
)
from serbench.codecs.base import (
    OPTIONS_NOT_STATED,
    buffers,
    dist_version,
    library_version,
    python_version,
)
from serbench.common.errors import UserError
from serbench.common.vocabulary import FAMILY_GENERAL
from serbench.fidelity.roundtrip import check
from serbench.plugin import Codec

#: Codecs derived from the payload's shape (schema codecs, typed models) carry no arbitrary
#: value: tests/codecs/test_schema_codecs.py and tests/codecs/test_typed_codecs.py cover them.
SHAPED_MODULES = ("serbench.codecs.schema_codecs:", "serbench.codecs.typed_codecs:")
BUILTIN = sorted(n for n, e in codec_entries().items()
                 if e.distribution == "serbench" and not e.target.startswith(SHAPED_MODULES))
COMPOSITIONS = ["msgpack+zlib", "pickle+zstd", "orjson+lz4"]
ALL_CODECS = BUILTIN + COMPOSITIONS

FOUR_MIB = random.Random(1234).randbytes(4 * 2**20)
UNICODE = (
    "Zwölf Boxkämpfer jagen Viktor | Съешь же ещё | いろはにほへと | 敏捷的棕色狐狸 | "
    "الثعلب البني | דג סקרן | Ξεσκεπάζω | 🦊🐶✨ | 👩‍👩‍👧 | \u0000 nul and \ud7ff edge"
)

#: The boundary table: value id -> value.
VALUES: dict[str, Any] = {
    "int 2^31-1": 2**31 - 1,
    "int 2^31": 2**31,
    "int 2^63-1": 2**63 - 1,
    "int 2^63": 2**63,
    "int 2^64-1": 2**64 - 1,
    "int 2^64": 2**64,
    "int -(2^31-1)": -(2**31 - 1),
    "int -2^31": -(2**31),
    "int -2^31-1": -(2**31) - 1,
    "int -(2^63-1)": -(2**63 - 1),
    "int -2^63": -(2**63),
    "int -2^63-1": -(2**63) - 1,
    "int -(2^64-1)": -(2**64 - 1),
    "int -2^64": -(2**64),
    "nan": math.nan,
    "inf": math.inf,
    "-inf": -math.inf,
    "nan in list": [1.0, math.nan, math.inf],
    "empty dict": {},
    "empty list": [],
    "empty str": "",
    "empty bytes": b"",
    "unicode": UNICODE,
    "unicode keys": {"ключ": "値", "🔑": ["ε", "ש"]},
    "4 MiB bytes": FOUR_MIB,
    "tuple": (1, "a"),
    "int keys": {1: "a", 2: "b"},
    "bools": [True, False, None, 0, 1],
}

# Expectations: "exact", ("lossy", losses), ("unsupported", text the detail must contain).
BEYOND_64_BITS = ("unsupported", "encode:")
TUPLE_LOSSY = ("lossy", ("tuple→list",))
NAN_NULL = ("lossy", ("NaN/inf→null",))
ALL_EXACT: dict[str, Any] = {}

MSGPACK = {
    "int 2^64": ("unsupported", "encode: OverflowError"),
    "int -2^63-1": ("unsupported", "encode: OverflowError"),
    "int -(2^64-1)": ("unsupported", "encode: OverflowError"),
    "int -2^64": ("unsupported", "encode: OverflowError"),
    "tuple": TUPLE_LOSSY,
    # strict_map_key=True: msgpack writes int keys but refuses to read them back.
    "int keys": ("unsupported", "decode of its own output: ValueError"),
}
ORJSON = {
    "int 2^64": ("unsupported", "Integer exceeds 64-bit range"),
    "int -2^63-1": ("unsupported", "Integer exceeds 64-bit range"),
    "int -(2^64-1)": ("unsupported", "Integer exceeds 64-bit range"),
    "int -2^64": ("unsupported", "Integer exceeds 64-bit range"),
    "nan": NAN_NULL,
    "inf": NAN_NULL,
    "-inf": NAN_NULL,
    "nan in list": NAN_NULL,
    "empty bytes": ("unsupported", "not JSON serializable: bytes"),
    "4 MiB bytes": ("unsupported", "not JSON serializable: bytes"),
    "tuple": TUPLE_LOSSY,
    "int keys": ("unsupported", "Dict key must be str"),
}

EXPECTED: dict[str, dict[str, Any]] = {
    "pickle": ALL_EXACT,
    "pickle-oob": ALL_EXACT,
    "cloudpickle": ALL_EXACT,
    "null": ALL_EXACT,
    "native": ALL_EXACT,
    "cbor2": {"tuple": TUPLE_LOSSY},  # CBOR bignums: every integer is exact
    "json": {
        # Python's json writes NaN/Infinity literals (not JSON) and reads them back.
        "empty bytes": ("unsupported", "Object of type bytes is not JSON serializable"),
        "4 MiB bytes": ("unsupported", "Object of type bytes is not JSON serializable"),
        "tuple": TUPLE_LOSSY,
        "int keys": ("lossy", ("non-str keys→str",)),
    },
    "msgpack": MSGPACK,
    "msgspec-msgpack": {
        "int 2^64": ("unsupported", "can't serialize ints < -2**63 or > 2**64 - 1"),
        "int -2^63-1": ("unsupported", "can't serialize ints < -2**63 or > 2**64 - 1"),
        "int -(2^64-1)": ("unsupported", "can't serialize ints < -2**63 or > 2**64 - 1"),
        "int -2^64": ("unsupported", "can't serialize ints < -2**63 or > 2**64 - 1"),
        "tuple": TUPLE_LOSSY,
    },
    "msgspec-json": {
        # Big integers are written as JSON numbers and read back exactly.
        "nan": NAN_NULL,
        "inf": NAN_NULL,
        "-inf": NAN_NULL,
        "nan in list": NAN_NULL,
        "empty bytes": ("lossy", ("bytes→str",)),  # base64
        "4 MiB bytes": ("lossy", ("bytes→str",)),
        "tuple": TUPLE_LOSSY,
        "int keys": ("lossy", ("non-str keys→str",)),
    },
    "orjson": ORJSON,
    # The zoo (issue 11; docs/codecs.md).
    "ujson": {  # arbitrary-size ints and NaN literals round-trip
        "empty bytes": ("unsupported", "encode: TypeError"),
        "4 MiB bytes": ("unsupported", "encode: TypeError"),
        "tuple": TUPLE_LOSSY,
        "int keys": ("lossy", ("non-str keys→str",)),
    },
    "rapidjson": {  # bytes_mode=BM_UTF8: bytes go out as UTF-8 text
        "empty bytes": ("lossy", ("bytes→str",)),
        "4 MiB bytes": ("unsupported", "encode: UnicodeDecodeError"),
        "tuple": TUPLE_LOSSY,
        "int keys": ("unsupported", "is not JSON serializable"),
    },
    "simplejson": {  # allow_nan=False is its default
        "nan": ("unsupported", "Out of range float values are not JSON compliant"),
        "inf": ("unsupported", "Out of range float values are not JSON compliant"),
        "-inf": ("unsupported", "Out of range float values are not JSON compliant"),
        "nan in list": ("unsupported", "Out of range float values are not JSON compliant"),
        "empty bytes": ("lossy", ("bytes→str",)),
        "4 MiB bytes": ("unsupported", "encode: UnicodeDecodeError"),
        "tuple": TUPLE_LOSSY,
        "int keys": ("lossy", ("non-str keys→str",)),
    },
    "pysimdjson": ORJSON,  # orjson encodes for it
    "ormsgpack": {
        "int 2^64": ("unsupported", "Integer exceeds 64-bit range"),
        "int -2^63-1": ("unsupported", "Integer exceeds 64-bit range"),
        "int -(2^64-1)": ("unsupported", "Integer exceeds 64-bit range"),
        "int -2^64": ("unsupported", "Integer exceeds 64-bit range"),
        "tuple": TUPLE_LOSSY,
        "int keys": ("unsupported", "Dict key must be str"),
    },
    "bson": {  # a BSON document is a str-keyed mapping: every other top-level value is refused
        **{value_id: ("unsupported", "encoder expected a mapping type")
           for value_id, value in VALUES.items() if not isinstance(value, dict)},
        "int keys": ("unsupported", "documents must have only string keys"),
    },
    "dill": ALL_EXACT,
    "marshal": ALL_EXACT,
    "jsonpickle": ALL_EXACT,  # keys=True
    "serpent": {  # bytes_repr=False: bytes as a base64 dict; NaN as {"__class__": "float", ...}
        "nan": ("wrong", "float came back as dict"),
        "nan in list": ("wrong", "float came back as dict"),
        "empty bytes": ("wrong", "bytes came back as dict"),
        "4 MiB bytes": ("wrong", "bytes came back as dict"),
    },
    # A compressor changes the bytes, never what round-trips.
    "msgpack+zlib": MSGPACK,
    "pickle+zstd": ALL_EXACT,
    "orjson+lz4": ORJSON,
}


def build(name: str) -> Any:
    try:
        return get_codec(name)
    except CodecUnavailable as exc:  # pragma: no cover - extras are installed in CI
        pytest.skip(f"{name} unavailable here: {exc}")


def test_expectations_cover_every_builtin_codec() -> None:
    assert set(BUILTIN) == set(EXPECTED) - set(COMPOSITIONS)
    assert {"pickle", "pickle-oob", "cloudpickle", "msgpack", "cbor2", "orjson", "json",
            "msgspec-msgpack", "msgspec-json", "null"} <= set(BUILTIN)
    for overrides in EXPECTED.values():
        assert set(overrides) <= set(VALUES)


@pytest.mark.parametrize("value_id", list(VALUES))
@pytest.mark.parametrize("codec_name", ALL_CODECS)
def test_boundary_round_trip(codec_name: str, value_id: str) -> None:
    codec = build(codec_name)
    result = check(codec, value_id, VALUES[value_id])
    expected = EXPECTED[codec_name].get(value_id, "exact")
    if expected == "exact":
        assert (result.status, result.detail, result.losses) == ("exact", "", ())
        assert result.encoded_bytes is not None and result.encoded_bytes > 0
    elif expected[0] == "lossy":
        assert result.status == "lossy", result.detail
        assert result.losses == expected[1]
        assert result.detail == ", ".join(expected[1])
    elif expected[0] == "wrong":
        assert result.status == "wrong", result
        assert expected[1] in result.detail
    else:
        assert result.status == "unsupported", result
        assert expected[1] in result.detail
        assert result.detail.startswith(("encode: ", "decode of its own output: "))


def test_large_bytes_are_not_inflated_by_binary_codecs() -> None:
    # A 4 MiB bytes value costs ~4 MiB on the wire for binary codecs; base64 costs a third more.
    for name in ["pickle", "msgpack", "cbor2", "msgspec-msgpack", "pickle-oob"]:
        size = check(build(name), "blob", FOUR_MIB).encoded_bytes
        assert size is not None and len(FOUR_MIB) <= size < len(FOUR_MIB) + 64, name
    size = check(build("msgspec-json"), "blob", FOUR_MIB).encoded_bytes
    assert size is not None and size >= len(FOUR_MIB) * 4 // 3


COMMON = {"name": "Alice", "age": 30, "tags": ["a", "b", "ç"], "score": 1.5, "none": None,
          "text": "héllo wörld " * 50}


@pytest.mark.parametrize("codec_name", ALL_CODECS)
def test_decode_accepts_memoryview(codec_name: str) -> None:
    codec = build(codec_name)
    prepared = codec.prepared(COMMON)
    blob = joined(codec.encode(prepared))
    decoded = codec.decode(memoryview(blob))
    if codec.name == "null":
        assert isinstance(decoded, memoryview)
        assert decoded.tobytes() == blob
    else:
        assert decoded == COMMON


@pytest.mark.parametrize("codec_name", [n for n in ALL_CODECS if n != "null"])
def test_decode_of_a_reused_receive_buffer_does_not_alias_it(codec_name: str) -> None:
    # The transport hands decoders a slice of a bytearray it reuses for the next frame.
    codec = build(codec_name)
    blob = joined(codec.encode(COMMON))
    receive = bytearray(b"HEAD" + blob + b"TAIL")
    decoded = codec.decode(memoryview(receive)[4 : 4 + len(blob)])
    assert decoded == COMMON
    receive[:] = b"\xff" * len(receive)
    assert decoded == COMMON


def test_null_codec_ships_the_pickle_blob_and_returns_the_view() -> None:
    codec = build("null")
    obj = {"records": [1, 2, 3], "blob": b"\x00" * 100}
    blob = codec.prepared(obj)
    assert blob == pickle.dumps(obj, protocol=5)
    assert codec.encode(blob) is blob
    view = memoryview(blob)
    assert codec.decode(view) is view
    assert check(codec, "x", obj).encoded_bytes == len(pickle.dumps(obj, protocol=5))
    assert codec.prepare is not None
    assert build("pickle").prepared(obj) is obj  # real codecs time the payload itself


def test_null_codec_refusing_an_unpicklable_payload_is_unsupported() -> None:
    result = check(build("null"), "lambda", lambda: None)
    assert result.status == "unsupported"
    assert result.detail.startswith("encode: ")


class TestPickleOutOfBand:
    def test_array_buffer_travels_as_a_separate_part(self) -> None:
        codec = build("pickle-oob")
        arr = np.arange(2**17, dtype=np.float64)  # 1 MiB
        encoded = codec.encode(arr)
        assert isinstance(encoded, list)
        assert len(encoded) == 4  # header, pickle length, pickle stream, one raw buffer
        raw = encoded[-1]
        assert isinstance(raw, memoryview)
        assert raw.nbytes == arr.nbytes
        assert np.shares_memory(np.frombuffer(raw, dtype=np.uint8), arr)  # no copy on encode
        assert sum(len(bytes(p)) for p in encoded[:-1]) < 1024  # the array is not in-band
        assert buffers(encoded) == encoded
        assert encoded_size(encoded) == len(joined(encoded)) == arr.nbytes + sum(
            len(p) for p in encoded[:-1])

    def test_decode_copies_out_of_the_receive_buffer(self) -> None:
        codec = build("pickle-oob")
        arr = np.random.default_rng(0).standard_normal(10_000)
        receive = bytearray(joined(codec.encode({"a": arr, "n": 1})))
        decoded = codec.decode(memoryview(receive))
        np.testing.assert_array_equal(decoded["a"], arr)
        assert not np.shares_memory(decoded["a"], np.frombuffer(receive, dtype=np.uint8))
        receive[:] = b"\x00" * len(receive)  # the next frame overwrites the buffer
        np.testing.assert_array_equal(decoded["a"], arr)
        assert decoded["n"] == 1
        decoded["a"][0] = 1.0  # and the decoded array is an ordinary writable array
        assert decoded["a"].flags.writeable

    def test_several_buffers_and_none(self) -> None:
        codec = build("pickle-oob")
        obj = {"x": np.ones(7), "y": np.arange(5, dtype=np.int32)}
        encoded = codec.encode(obj)
        assert len(encoded) == 5
        assert check(codec, "two", obj).status == "exact"
        # Nothing out of band and small: one joined buffer, one small frame on the wire.
        plain = codec.encode({"plain": [1, 2]})
        assert isinstance(plain, bytes)
        assert codec.decode(memoryview(plain)) == {"plain": [1, 2]}
        big = codec.encode({"plain": list(range(50_000))})
        assert isinstance(big, list) and len(big) == 3  # in-band but large: not copied
        assert check(codec, "plain", {"plain": [1, 2], "b": b"xy"}).status == "exact"

    @pytest.mark.parametrize("arr", [
        np.asfortranarray(np.arange(12.0).reshape(3, 4)),
        np.arange(20.0)[::2],  # not contiguous: pickled in-band
        np.zeros(0),
        np.frombuffer(b"abcdefgh", dtype=np.uint8),  # read-only source
    ], ids=["fortran", "strided", "empty", "readonly"])
    def test_unusual_arrays_round_trip(self, arr: Any) -> None:
        codec = build("pickle-oob")
        decoded = codec.decode(memoryview(joined(codec.encode(arr))))
        np.testing.assert_array_equal(decoded, arr)
        assert decoded.dtype == arr.dtype and decoded.shape == arr.shape
        if arr.flags.f_contiguous and not arr.flags.c_contiguous:
            assert decoded.flags.f_contiguous  # memory order survives

    def test_truncated_frame_is_refused(self) -> None:
        codec = build("pickle-oob")
        blob = joined(codec.encode(np.ones(100)))
        with pytest.raises(ValueError, match="shorter than its header"):
            codec.decode(memoryview(blob[:-1]))


def test_compositions() -> None:
    plain, zipped = build("orjson"), build("orjson+lz4")
    assert zipped.name == "orjson+lz4"
    assert plain.human_readable and not zipped.human_readable
    assert "lz4" in zipped.options and plain.options in zipped.options
    assert "lz4.decompress" in zipped.call_path
    # Capabilities other than readability are the inner codec's.
    assert zipped.safe_for_untrusted_input == plain.safe_for_untrusted_input
    repetitive = [{"id": i, "name": "same name", "active": True} for i in range(200)]
    for name in COMPOSITIONS:
        inner = build(name.partition("+")[0])
        assert len(joined(build(name).encode(repetitive))) < len(joined(inner.encode(repetitive)))
    oob_zlib = build("pickle-oob+zlib")  # the parts are joined before compressing
    assert isinstance(oob_zlib.encode(np.ones(10)), bytes)
    assert check(oob_zlib, "arr", np.ones(10)).status == "exact"


def test_composition_with_unknown_compressor_lists_the_known_ones() -> None:
    with pytest.raises(UserError, match="unknown compressor 'gzip'") as info:
        get_codec("msgpack+gzip")
    for known in ["zlib", "zstd", "lz4"]:
        assert known in str(info.value)


def test_unknown_codec_lists_the_known_ones() -> None:
    with pytest.raises(UserError, match="unknown codec 'nope'") as info:
        get_codec("nope")
    for known in known_names():
        assert known in str(info.value)


CAPABILITIES = {
    # name: (safe_for_untrusted_input, cross_language, same_python_only, human_readable)
    "pickle": (False, False, False, False),
    "pickle-oob": (False, False, False, False),
    "cloudpickle": (False, False, True, False),
    "msgpack": (True, True, False, False),
    "cbor2": (True, True, False, False),
    "msgspec-msgpack": (True, True, False, False),
    "orjson": (True, True, False, True),
    "json": (True, True, False, True),
    "msgspec-json": (True, True, False, True),
    "null": (True, True, False, False),
    "native": (False, False, False, False),
    "ujson": (True, True, False, True),
    "rapidjson": (True, True, False, True),
    "simplejson": (True, True, False, True),
    "pysimdjson": (True, True, False, True),
    "ormsgpack": (True, True, False, False),
    "bson": (True, True, False, False),
    "dill": (False, False, True, False),
    "marshal": (False, False, True, False),
    "jsonpickle": (False, False, False, True),
    "serpent": (False, True, False, True),
}


@pytest.mark.parametrize("codec_name", BUILTIN)
def test_capability_flags(codec_name: str) -> None:
    codec = build(codec_name)
    assert codec.name == codec_name
    flags = codec.capabilities()
    assert tuple(flags.values()) == CAPABILITIES[codec_name]
    assert list(flags) == ["safe_for_untrusted_input", "cross_language", "same_python_only",
                           "human_readable"]
    assert codec.library and codec.version and codec.call_path


def _serbench_layer(call: Any) -> bool:
    """True when `call` is a Python function of serbench's own (a layer on the timed path)."""
    return isinstance(call, types.FunctionType) and call.__module__.startswith("serbench.")


#: The codecs whose timed call goes through a Python function of serbench's, and why
#: (docs/codecs.md): every other codec times the library's own callable directly.
SERBENCH_LAYER = {
    # pickle.dumps needs protocol 5 passed where its default protocol is not 5 (before 3.14).
    "pickle": {"encode"} if pickle.DEFAULT_PROTOCOL != 5 else set(),
    "pickle-oob": {"encode", "decode"},  # its out-of-band frame
    "json": {"encode", "decode"},  # json.dumps returns str; json.loads refuses a memoryview
    "null": {"encode", "decode"},  # the identity: nothing to call
    # dumps returns str, loads refuses a memoryview (tests/codecs/test_codecs_zoo.py: the detail).
    "ujson": {"encode", "decode"},
    "rapidjson": {"encode", "decode"},
    "simplejson": {"encode", "decode"},
    "pysimdjson": {"decode"},  # parser.parse(bytes, True) on a reused simdjson.Parser
    "jsonpickle": {"encode", "decode"},
    # dill.dumps(obj, 5) where dill's default protocol (pickle's) is not 5 (before 3.14).
    "dill": {"encode"} if pickle.DEFAULT_PROTOCOL != 5 else set(),
}


@pytest.mark.parametrize("codec_name", BUILTIN)
def test_timed_calls_are_the_librarys_own_callables(codec_name: str) -> None:
    codec = build(codec_name)
    layered = {side for side in ("encode", "decode")
               if _serbench_layer(getattr(codec, side))}
    assert layered == SERBENCH_LAYER.get(codec_name, set())
    for side in layered:  # and such a layer says so in the call path
        assert "def: " in codec.call_path.split(" / ")[side == "decode"] or codec_name == "null"


def test_msgpack_reuses_one_packer_with_packb_defaults() -> None:
    import msgpack

    codec = build("msgpack")
    assert isinstance(codec.encode.__self__, msgpack.Packer)  # type: ignore[attr-defined]
    assert codec.decode is msgpack.unpackb
    for value in [COMMON, [1.5, b"\x00", "é", None, True], {"k": list(range(300))}]:
        assert codec.encode(value) == msgpack.packb(value)  # autoreset: no state between calls
    assert codec.encode(COMMON) == codec.encode(COMMON)


def test_pickle_family_pickles_with_protocol_5() -> None:
    for name in ["pickle", "cloudpickle", "pickle-oob"]:
        encoded = joined(build(name).encode(COMMON))
        body = encoded[12:] if name == "pickle-oob" else encoded  # after its in-band header
        assert body[:2] == b"\x80\x05", name  # PROTO 5
    assert joined(build("pickle").encode(COMMON)) == pickle.dumps(COMMON, 5)


def test_json_wire_is_json_dumps_as_utf8() -> None:
    import json

    codec = build("json")
    assert codec.encode(COMMON) == json.dumps(COMMON).encode("utf-8")
    assert codec.decode(memoryview(json.dumps(COMMON).encode())) == COMMON


def test_public_api_names_exist() -> None:
    import serbench.codecs
    import serbench.codecs.base
    import serbench.plugin

    for module in (serbench.codecs, serbench.codecs.base, serbench.plugin):
        assert module.__all__, module.__name__
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name}"
    # A plugin's one import path; the registry's names are serbench's own.
    plugin_names = {"Codec", "CodecUnavailable", "require", "dist_version", "Encoded", "Payload",
                    "Record", "Field", "ListOf", "Shape", "ShapeUnsupported"}
    assert plugin_names <= set(serbench.plugin.__all__)
    assert "get_codec" in serbench.codecs.__all__ and "get_codec" not in serbench.plugin.__all__
    assert not {"require", "dist_version", "Encoded", "buffers", "GROUP", "CodecEntry"} & set(
        serbench.codecs.__all__)
    # One import path for plugin helpers: the registry re-exports none of them.
    for name in ["require", "dist_version", "Encoded", "buffers", "ShapeUnsupported"]:
        assert not hasattr(serbench.codecs, name), name
    assert serbench.plugin.CODECS_GROUP == serbench.codecs.GROUP == "serbench.codecs"
    assert serbench.plugin.PAYLOADS_GROUP == "serbench.payloads"


# -- what a codec that states only encode and decode gets --------------------------------------

def _plain_function(obj: Any) -> bytes:
    return pickle.dumps(obj)


class _Callable:
    def __call__(self, view: memoryview) -> Any:
        return pickle.loads(view)


def test_a_codec_of_two_callables_derives_the_rest() -> None:
    import marshal

    codec = Codec(encode=marshal.dumps, decode=marshal.loads)
    assert (codec.name, codec.library, codec.version, codec.options) == (
        "", "marshal", python_version(), OPTIONS_NOT_STATED)  # the registry names it
    assert codec.call_path == "marshal.dumps(obj) / marshal.loads(view)"
    assert codec.capabilities() == {"safe_for_untrusted_input": False, "cross_language": False,
                                    "same_python_only": True, "human_readable": False}
    assert (codec.prepare, codec.specialise, codec.family, codec.timing) == (
        None, None, FAMILY_GENERAL, "")
    with pytest.raises(TypeError):
        Codec(encode=marshal.dumps)  # type: ignore[call-arg]  # decode is required


def test_derivation_follows_the_callables_to_their_library() -> None:
    import msgpack

    packer = Codec(encode=msgpack.Packer().pack, decode=msgpack.unpackb)
    assert (packer.library, packer.version) == ("msgpack", dist_version("msgpack"))
    assert packer.call_path == ("msgpack._cmsgpack.Packer.pack(obj) / "
                                "msgpack._cmsgpack.unpackb(view)")
    wrapped = Codec(encode=functools.partial(pickle.dumps, protocol=5), decode=_Callable())
    assert (wrapped.library, wrapped.version) == ("pickle", python_version())
    assert wrapped.call_path == f"_pickle.dumps(obj) / {__name__}._Callable(view)"
    own = Codec(encode=_plain_function, decode=pickle.loads)  # a module no distribution installs
    assert (own.library, own.version) == (__name__.partition(".")[0], "unknown")
    assert own.call_path == f"{__name__}._plain_function(obj) / _pickle.loads(view)"
    assert library_version("orjson") == dist_version("orjson")


def test_what_a_codec_states_is_kept() -> None:
    stated = Codec(name="n", library="lib", version="9", options="o", call_path="p",
                   encode=pickle.dumps, decode=pickle.loads, safe_for_untrusted_input=True,
                   cross_language=True, same_python_only=False, human_readable=True)
    assert (stated.name, stated.library, stated.version, stated.options, stated.call_path) == (
        "n", "lib", "9", "o", "p")
    assert set(stated.capabilities().values()) == {True, False}
    assert dataclasses.replace(stated, encode=_plain_function).library == "lib"
    assert Codec(library="msgpack", encode=_plain_function, decode=pickle.loads).version == \
        dist_version("msgpack")


def test_every_builtin_codec_states_its_description() -> None:
    """The built-ins derive nothing: each states library, version, options and call path."""
    for name in sorted(codec_entries()):
        try:
            codec = get_codec(name)
        except CodecUnavailable:
            continue
        assert codec.name == name
        assert OPTIONS_NOT_STATED not in codec.options, name


def test_workers_build_a_codec_from_its_resolved_target() -> None:
    from serbench.codecs import CodecUnavailable, codec_target, get_codec, get_codec_at

    target = codec_target("msgpack+zstd")
    assert target == "serbench.codecs.binary_codecs:msgpack_codec"
    direct, resolved = get_codec("msgpack+zstd"), get_codec_at("msgpack+zstd", target)
    assert (resolved.name, resolved.call_path) == (direct.name, direct.call_path)
    assert resolved.decode(memoryview(resolved.encode({"a": 1}))) == {"a": 1}
    with pytest.raises(CodecUnavailable, match="registered as 'msgpack'"):
        get_codec_at("msgpack", codec_target("orjson"))
    with pytest.raises(CodecUnavailable, match="cannot import"):
        get_codec_at("msgpack", "no_such_module:factory")
