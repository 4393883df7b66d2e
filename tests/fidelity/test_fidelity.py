"""The fidelity check: the built-in codec x payload matrix, and each rule on fake codecs."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import math
import pickle
from typing import Any

import numpy as np
import pytest
from conftest import fake_codec

from serbench.cli.inventory import fidelity_matrix
from serbench.codecs import get_codec
from serbench.common import vocabulary
from serbench.fidelity.roundtrip import EXACT, LOSSY, UNSUPPORTED, WRONG, Fidelity, check
from serbench.payloads import MadePayload, make_payload, payload_entries

SPECS = ["small", "records:20", "nested:50", "blob:1000", "floats:100", "text:20", "numpy:100",
         "objects:10"]

E = "exact"
OBJECTS_JSON_LOSSES = ("bytes→str", "dataclass→dict", "datetime→str", "frozenset→list",
                       "non-str keys→str", "tuple→list")
OBJECTS_MSGPACK_LOSSES = ("dataclass→dict", "frozenset→list", "tuple→list")


def U(text: str) -> tuple[str, str]:
    return ("unsupported", text)


def L(*losses: str) -> tuple[str, tuple[str, ...]]:
    return ("lossy", losses)


#: The observed matrix: codec -> one expectation per spec in SPECS.
MATRIX: dict[str, list[Any]] = {
    #                 small records nested blob                 floats text numpy
    "pickle":          [E, E, E, E, E, E, E, E],
    "pickle-oob":      [E, E, E, E, E, E, E, E],
    "cloudpickle":     [E, E, E, E, E, E, E, E],
    "null":            [E, E, E, E, E, E, E, E],
    "native":          [E, E, E, E, E, E, E, E],
    "msgpack":         [E, E, E, E, E, E, U("numpy.ndarray"), U("'Event'")],
    "cbor2":           [E, E, E, E, E, E, U("numpy.ndarray"), U("Event")],
    "msgspec-msgpack": [E, E, E, E, E, E, U("numpy.ndarray"), L(*OBJECTS_MSGPACK_LOSSES)],
    "msgspec-json":    [E, E, E, L("bytes→str"), E, E, U("numpy.ndarray"),
                        L(*OBJECTS_JSON_LOSSES)],
    "orjson":          [E, E, E, U("bytes"), E, E, U("numpy.ndarray"), U("frozenset")],
    "json":            [E, E, E, U("bytes"), E, E, U("ndarray"), U("Event")],
}


@functools.cache
def _payload(spec: str) -> MadePayload:
    return make_payload(spec)


def test_matrix_covers_every_builtin_codec_and_payload() -> None:
    """Every built-in codec has its fidelity row asserted: the original ten here, the zoo's in
    the test files of their own families."""
    from test_codecs_zoo import FIDELITY as ZOO
    from test_schema_codecs import CODECS as SCHEMA
    from test_typed_codecs import TYPED

    from serbench.codecs import codec_entries

    builtin = {n for n, e in codec_entries().items() if e.distribution == "serbench"}
    families = [set(MATRIX), set(ZOO), set(SCHEMA), set(TYPED)]
    assert set().union(*families) == builtin
    assert sum(len(f) for f in families) == len(builtin)  # each in exactly one table
    assert {s.partition(":")[0] for s in SPECS} == set(payload_entries())
    assert all(len(row) == len(SPECS) for row in MATRIX.values())


@pytest.mark.parametrize("spec", SPECS)
@pytest.mark.parametrize("codec_name", sorted(MATRIX))
def test_builtin_matrix(codec_name: str, spec: str) -> None:
    made = _payload(spec)
    result = check(get_codec(codec_name), made.label, made.obj)
    expected = MATRIX[codec_name][SPECS.index(spec)]
    assert (result.codec, result.payload) == (codec_name, made.label)
    if expected == E:
        assert (result.status, result.losses, result.detail) == (EXACT, (), "")
    elif expected[0] == "lossy":
        assert result.status == LOSSY, result.detail
        assert result.losses == expected[1]
        assert result.detail == ", ".join(expected[1])
    else:
        assert result.status == UNSUPPORTED, result
        assert result.detail.startswith("encode: ")
        assert expected[1] in result.detail
    assert result.timed == (result.status in (EXACT, LOSSY))
    assert (result.encoded_bytes is None) == (result.status == UNSUPPORTED)


def test_fidelity_matrix_rows() -> None:
    rows = fidelity_matrix(["pickle", "orjson"], ["small", "blob:10"])
    assert [(r.codec, r.payload, r.status) for r in rows] == [
        ("pickle", "small-2", EXACT), ("pickle", "blob-10", EXACT),
        ("orjson", "small-2", EXACT), ("orjson", "blob-10", UNSUPPORTED),
    ]
    assert rows[0].encoded_bytes == len(pickle.dumps(make_payload("small").obj, protocol=5))
    # The rows are what `verify --json` prints.
    assert json.loads(json.dumps([dataclasses.asdict(r) for r in rows]))[3]["status"] == UNSUPPORTED


# -- the rules, on fake codecs -------------------------------------------------------------------

def via(decoded: Any) -> Any:
    """A codec that encodes with pickle and decodes to `decoded`, whatever was sent."""
    return fake_codec(lambda obj: pickle.dumps(obj, protocol=5), lambda view: decoded)


def identity_pickle() -> Any:
    return fake_codec(lambda obj: pickle.dumps(obj, protocol=5), pickle.loads)


def test_exact() -> None:
    result = check(identity_pickle(), "p", {"a": [1, 2.5, "x", None, True, (1, 2)]})
    assert result == Fidelity("fake", "p", EXACT, "", (), result.encoded_bytes)
    assert result.timed and result.encoded_bytes


@pytest.mark.parametrize(("original", "decoded", "where", "why"), [
    ({"a": [1, 2]}, {"a": [1, 3]}, "['a'][1]", "2 != 3"),
    ({"a": 1, "b": 2}, {"a": 1, "c": 2}, "top level", "key 'b' is missing"),
    ({"a": 1}, {"a": 1, "b": 2}, "top level", "1 keys came back as 2"),
    ([1, 2], [1, 2, 3], "top level", "2 items came back as 3"),
    ("text", b"text", "top level", "str came back as bytes"),
    (1, True, "top level", "int came back as bool"),
    (True, 1, "top level", "bool came back as int"),
    (1.5, None, "top level", "float came back as NoneType"),
    (2**60 + 1, float(2**60 + 1), "top level", "came back as"),
    ({"k": b"\x00\x01"}, {"k": "something else"}, "['k']", "unrelated str"),
    (dt.datetime(2024, 1, 1), "2023-01-01T00:00:00", "top level", "came back as"),
    ([1.0, 2.0], [1.0, 2.5], "[1]", "2.0 != 2.5"),
    ({1, 2}, [1, 3], "top level", "set members differ"),
    ("x" * 100, "y" * 100, "top level", "..."),
])
def test_wrong_names_the_first_difference(original: Any, decoded: Any, where: str,
                                          why: str) -> None:
    result = check(via(decoded), "p", original)
    assert result.status == WRONG
    assert not result.timed
    assert result.detail.startswith(f"at {where}: ")
    assert why in result.detail
    assert result.losses == ()
    assert result.encoded_bytes is not None


def test_wrong_detail_is_short_for_big_values() -> None:
    result = check(via("y" * 10_000), "p", "x" * 10_000)
    assert result.status == WRONG
    assert len(result.detail) < 200


def test_decoder_that_raises_is_unsupported() -> None:
    def decode(view: memoryview) -> Any:
        raise ValueError("cannot read this\nsecond line")

    result = check(fake_codec(lambda obj: b"abc", decode), "p", {"a": 1})
    assert result.status == UNSUPPORTED
    assert "decode" in result.detail
    assert result.detail == "decode of its own output: ValueError: cannot read this"
    assert result.encoded_bytes == 3
    assert not result.timed


def test_encoder_that_raises_is_unsupported() -> None:
    def encode(obj: Any) -> bytes:
        raise TypeError("x" * 1000)

    result = check(fake_codec(encode, bytes), "p", {"a": 1})
    assert result.status == UNSUPPORTED
    assert result.detail.startswith("encode: TypeError: xxx")
    assert len(result.detail) < 400  # the message is cut, not the whole 1000 characters
    assert result.encoded_bytes is None


def test_prepare_that_raises_is_unsupported() -> None:
    def prepare(obj: Any) -> bytes:
        raise RuntimeError("cannot prepare")

    result = check(fake_codec(bytes, bytes, prepare=prepare), "p", 1)
    assert (result.status, result.detail) == (UNSUPPORTED, "encode: RuntimeError: cannot prepare")


def test_exception_without_message() -> None:
    def encode(obj: Any) -> bytes:
        raise KeyError

    assert check(fake_codec(encode, bytes), "p", 1).detail == "encode: KeyError: "


def test_multi_part_encoding_is_joined_for_decode_and_counted() -> None:
    seen: list[bytes] = []

    def decode(view: memoryview) -> Any:
        assert isinstance(view, memoryview)
        seen.append(view.tobytes())
        return {"a": 1}

    result = check(fake_codec(lambda obj: [b"ab", bytearray(b"cd"), memoryview(b"ef")], decode),
                   "p", {"a": 1})
    assert result.status == EXACT
    assert result.encoded_bytes == 6
    assert seen == [b"abcdef"]


@dataclasses.dataclass
class Pt:
    x: int
    when: dt.datetime


class Plain:
    def __init__(self, x: Any) -> None:
        self.x = x


@pytest.mark.parametrize(("original", "decoded", "losses"), [
    ((1, 2), [1, 2], ("tuple→list",)),
    ({"t": (1, (2, 3))}, {"t": [1, [2, 3]]}, ("tuple→list",)),
    ({3, 1, 2}, [1, 2, 3], ("set→list",)),
    (frozenset({1, 2}), (2, 1), ("frozenset→tuple",)),
    ({1: "a", 2: "b"}, {"1": "a", "2": "b"}, ("non-str keys→str",)),
    (b"\x00\xff", "AP8=", ("bytes→str",)),  # base64
    (b"\x00\xff", "\x00\xff", ("bytes→str",)),  # latin-1
    (b"abc", bytearray(b"abc"), ("bytes→bytearray",)),
    (dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC), "2024-01-02T03:04:05Z",
     ("datetime→str",)),
    (dt.date(2024, 1, 2), "2024-01-02", ("date→str",)),
    (Pt(1, dt.datetime(2024, 1, 1)), {"x": 1, "when": "2024-01-01T00:00:00"},
     ("dataclass→dict", "datetime→str")),
    (math.nan, None, ("NaN/inf→null",)),
    ([math.inf, -math.inf], [None, None], ("NaN/inf→null",)),
    (3, 3.0, ("int→float",)),
    (np.arange(3), [0, 1, 2], ("ndarray→list",)),
    ({"a": (1,), 5: {7}}, {"a": [1], "5": [7]}, ("non-str keys→str", "set→list", "tuple→list")),
])
def test_lossy_lists_what_was_lost(original: Any, decoded: Any, losses: tuple[str, ...]) -> None:
    result = check(via(decoded), "p", original)
    assert result.status == LOSSY, result.detail
    assert result.losses == losses
    assert result.detail == ", ".join(losses)
    assert result.timed


@pytest.mark.parametrize(("original", "decoded"), [
    (math.nan, math.nan),
    ([1.0, math.nan], [1.0, math.nan]),
    (b"blob", memoryview(b"blob")),  # the null codec hands back the received view
    (np.array([1.0, np.nan]), np.array([1.0, np.nan])),
    (Pt(1, dt.datetime(2024, 1, 1)), Pt(1, dt.datetime(2024, 1, 1))),
    (Plain([1, 2]), Plain([1, 2])),
    ({"k": (1, 2)}, {"k": (1, 2)}),
])
def test_exact_cases(original: Any, decoded: Any) -> None:
    result = check(via(decoded), "p", original)
    assert (result.status, result.detail) == (EXACT, "")


@pytest.mark.parametrize(("original", "decoded", "why"), [
    (np.arange(3), np.arange(3, dtype=np.int8), "came back as int8"),
    (np.arange(4), np.arange(4).reshape(2, 2), "came back as"),
    (np.arange(3.0), np.array([0.0, 1.0, 5.0]), "array values differ"),
    (np.arange(3), (0, 1, 2), "ndarray came back as tuple"),
    (Plain([1, 2]), Plain([1, 3]), "2 != 3"),
    (Pt(1, dt.datetime(2024, 1, 1)), Pt(2, dt.datetime(2024, 1, 1)), "1 != 2"),
    (b"abc", memoryview(b"abd"), "bytes differ"),
])
def test_wrong_cases(original: Any, decoded: Any, why: str) -> None:
    result = check(via(decoded), "p", original)
    assert result.status == WRONG
    assert why in result.detail


def test_plain_objects_round_trip_exactly_through_pickle() -> None:
    result = check(get_codec("pickle"), "plain", [Plain({"a": (1, 2)}), Plain(b"x")])
    assert result.status == EXACT


def test_check_speaks_the_vocabulary() -> None:
    """One round trip of each kind: the statuses `check` writes are the vocabulary's fidelity
    classes (what the report and summary.csv read), and `timed` holds for exactly the
    vocabulary's timed classes."""
    def refuses(obj: Any) -> bytes:
        raise TypeError("no")

    results = [
        check(identity_pickle(), "p", {"a": 1}),  # exact
        check(via([1, 2]), "p", (1, 2)),  # lossy: tuple→list
        check(fake_codec(refuses, bytes), "p", 1),  # unsupported
        check(via(3), "p", 2),  # wrong
    ]
    assert tuple(r.status for r in results) == vocabulary.FIDELITY_CLASSES
    assert {r.status for r in results if r.timed} == vocabulary.TIMED_CLASSES
    assert [r.timed for r in results] == [True, True, False, False]


# -- a refusal names the problem, never the payload ---------------------------------------------

HUGE = {"rows": [{"name": "x" * 5000, "id": i} for i in range(200)]}


def _refuse(obj: Any) -> bytes:
    raise TypeError(f"cannot encode {obj!r}\nsecond line")


@pytest.mark.parametrize(("codec", "klass"), [
    (fake_codec(_refuse, pickle.loads), UNSUPPORTED),
    (fake_codec(pickle.dumps, lambda v: (_ for _ in ()).throw(ValueError(repr(HUGE) * 2))),
     UNSUPPORTED),
    (fake_codec(pickle.dumps, lambda v: {"rows": [{"name": "y" * 5000, "id": 0},
                                                  *pickle.loads(v)["rows"][1:]]}), WRONG),
    (fake_codec(pickle.dumps, lambda v: {"y" * 5000 if k == "rows" else k: x
                                         for k, x in pickle.loads(v).items()}), WRONG),
])
def test_a_refusal_quotes_at_most_a_short_prefix_of_the_object(codec: Any, klass: str) -> None:
    found = check(codec, "huge", HUGE)
    assert found.status == klass
    assert "\n" not in found.detail and len(found.detail) <= 200, found.detail
    assert found.detail.count("x") < 100 and found.detail.count("y") < 100
