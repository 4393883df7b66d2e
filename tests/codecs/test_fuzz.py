"""Fuzzing every codec flagged `safe_for_untrusted_input` (hypothesis).

The server decodes whatever an authenticated peer sends; for these codecs that must be safe even
for a hostile peer. Each codec gets random bytes, mutations of its own valid encodings, and a
fixed list of known-nasty inputs (deep nesting, absurd length claims, huge numbers). For every
input, `decode` must return or raise one of the exception types listed for that codec below
(the library's documented errors, plus what the fuzzer observed and we accept, each with the
reason); never another exception, never hang (`HANG_GUARD_S`), and never grow the process by
more than `MAX_GROWTH_MB`. A crash of a C extension would take the test process down.

How many inputs: `SERBENCH_FUZZ_EXAMPLES` per codec (default 2000, half random, half mutated,
plus the fixed list); the goal for a release check is 10000. The fast path (`-m "not slow"`)
fuzzes the core codecs with random bytes at the zoo's share; the full suite gives them all of
it. The last test sends `SERBENCH_FUZZ_FRAMES` mutated frames per codec (default 1000) through
a running `serbench serve` in round-trip mode:

    SERBENCH_FUZZ_EXAMPLES=10000 SERBENCH_FUZZ_FRAMES=10000 \
        python -m pytest tests/codecs/test_fuzz.py -s

Each test prints `fuzz <codec> <strategy>: N inputs ...` (see it with `-s`) and, when
`SERBENCH_FUZZ_REPORT=FILE` is set, appends the same figures to FILE as JSON lines.
"""

from __future__ import annotations

import collections
import functools
import json
import os
import resource
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from serbench.codecs import Codec, codec_entries, get_codec, joined

#: The seven codecs fuzzed since the start keep the full default budget; the zoo's codecs get
#: `ZOO_SHARE` of it by default so that the whole file stays about a minute on CI's two cores.
#: Setting SERBENCH_FUZZ_EXAMPLES / SERBENCH_FUZZ_FRAMES gives every codec that many.
CORE = frozenset({"msgpack", "cbor2", "orjson", "json", "msgspec-msgpack", "msgspec-json",
                  "null"})
ZOO_SHARE = 10
EXAMPLES = int(os.environ.get("SERBENCH_FUZZ_EXAMPLES", "2000"))
PER_STRATEGY = max(1, EXAMPLES // 2)
#: The payload a shape-derived codec (schema, typed) is bound to before it is fuzzed.
BIND_TO = "records:20"
#: An input decoding for longer than this counts as a hang: a guard against a decoder that
#: never returns, generous enough for any stall of a busy machine, never a speed claim.
HANG_GUARD_S = 30.0
#: Peak RSS growth allowed while decoding, over all of one test's inputs (each input is at most a
#: few kB, but the known-nasty list has 1 MiB ones).
MAX_GROWTH_MB = 256
MAX_INPUT = 4096


def _exceptions() -> dict[str, tuple[type[BaseException], ...]]:
    """What each safe codec's decode may raise on bad input, and why that is acceptable."""
    import bson.errors
    import capnp
    import cbor2
    import mashumaro.exceptions
    import msgpack
    import msgspec
    import orjson
    import pyarrow
    import pydantic_core
    import rapidjson
    import simplejson
    import ujson
    from google.protobuf import message as protobuf_message

    orjson_typed = (orjson.JSONDecodeError, TypeError, ValueError)

    return {
        # msgpack.unpackb documents ExtraData (trailing bytes), FormatError (invalid bytes),
        # StackError (nesting deeper than its stack) and ValueError (incomplete input, a
        # length over the buffer's size); invalid UTF-8 in a str raises UnicodeDecodeError.
        # All are ValueError subclasses.
        "msgpack": (msgpack.ExtraData, msgpack.FormatError, msgpack.StackError,
                    UnicodeDecodeError, ValueError),
        # cbor2 documents CBORDecodeError (CBORDecodeEOF and CBORDecodeValueError are
        # subclasses; semantic tags wrap their errors in it, e.g. a bad datetime or UUID).
        "cbor2": (cbor2.CBORDecodeError,),
        # orjson documents one type, orjson.JSONDecodeError (a json.JSONDecodeError and a
        # ValueError), also for invalid UTF-8 and its 1024-level depth limit.
        "orjson": (orjson.JSONDecodeError,),
        # json.loads: JSONDecodeError for bad documents, UnicodeDecodeError for bytes in no
        # UTF-8/16/32 encoding, RecursionError for nesting deeper than the interpreter's
        # recursion limit, ValueError for integers over the 4300-digit limit.
        "json": (json.JSONDecodeError, UnicodeDecodeError, RecursionError, ValueError),
        # msgspec documents DecodeError (ValidationError, e.g. an integer out of range, is a
        # subclass); invalid UTF-8 in a str raises UnicodeDecodeError; nesting deeper than the
        # recursion limit raises RecursionError.
        "msgspec-msgpack": (msgspec.DecodeError, UnicodeDecodeError, RecursionError),
        "msgspec-json": (msgspec.DecodeError, UnicodeDecodeError, RecursionError),
        # null hands back the received view and never parses anything.
        "null": (),
        # ujson raises ujson.JSONDecodeError (a ValueError; also for its 1024-level depth
        # limit) and plain ValueError for integers over the interpreter's 4300-digit limit.
        "ujson": (ujson.JSONDecodeError, ValueError),
        # rapidjson.loads takes str: UnicodeDecodeError for bytes that are not UTF-8;
        # JSONDecodeError for bad documents, ValueError for an integer it cannot read, and
        # RecursionError past its parse depth (1000).
        "rapidjson": (rapidjson.JSONDecodeError, UnicodeDecodeError, ValueError,
                      RecursionError),
        # As json: str(view, "utf-8") raises UnicodeDecodeError; simplejson's JSONDecodeError,
        # RecursionError for deep nesting, ValueError over the 4300-digit integer limit.
        "simplejson": (simplejson.JSONDecodeError, UnicodeDecodeError, RecursionError,
                       ValueError),
        # pysimdjson reports simdjson's error codes as ValueError (UnicodeDecodeError for
        # invalid UTF-8) and RuntimeError for an integer beyond 64 bits (BIGINT_ERROR).
        "pysimdjson": (ValueError, UnicodeDecodeError, RuntimeError),
        # ormsgpack raises MsgpackDecodeError, a ValueError (also past its recursion limit).
        "ormsgpack": (ValueError,),
        # pymongo's bson.decode documents InvalidBSON for any malformed document.
        "bson": (bson.errors.InvalidBSON,),
        # protobuf's FromString documents message.DecodeError for every malformed input.
        "protobuf": (protobuf_message.DecodeError,),
        "protobuf-prepared": (protobuf_message.DecodeError,),
        # fastavro's schemaless_reader has no error type of its own: a truncated input raises
        # EOFError, a union branch out of range IndexError, bad UTF-8 in a string
        # UnicodeDecodeError.
        "avro": (EOFError, IndexError, UnicodeDecodeError),
        "avro-prepared": (EOFError, IndexError, UnicodeDecodeError),
        # pyarrow's IPC reader raises ArrowInvalid (claimed lengths past the buffer, failed
        # validate(full=True)), OSError for a bad stream header, ArrowNotImplementedError for
        # types it does not read; serbench's own check raises ValueError for another schema.
        "arrow": (pyarrow.ArrowInvalid, pyarrow.ArrowNotImplementedError, OSError,
                  ValueError),
        "arrow-prepared": (pyarrow.ArrowInvalid, pyarrow.ArrowNotImplementedError, OSError,
                           ValueError),
        # pycapnp raises KjException for a bad segment table, a pointer out of bounds or its
        # traversal limit, ValueError for a length not a multiple of 8; Text that is not
        # UTF-8 raises UnicodeDecodeError when read.
        "capnp": (capnp.KjException, ValueError, UnicodeDecodeError),
        # msgspec typed decoders: DecodeError, ValidationError (a subclass) for the wrong type.
        "msgspec-struct": (msgspec.DecodeError, UnicodeDecodeError, RecursionError),
        "msgspec-struct-msgpack": (msgspec.DecodeError, UnicodeDecodeError, RecursionError),
        # pydantic's validate_json reports invalid JSON and invalid data as ValidationError.
        "pydantic": (pydantic_core.ValidationError,),
        # cattrs: orjson's error, then its structuring errors (ClassValidationError and
        # IterableValidationError are BaseValidationError), TypeError/ValueError/KeyError
        # from structuring hooks on data of the wrong type.
        # mashumaro: orjson's error, MissingField / InvalidFieldValue, and TypeError or
        # ValueError for a value of the wrong type (its generated from_dict checks).
        "mashumaro": (*orjson_typed, mashumaro.exceptions.MissingField,
                      mashumaro.exceptions.InvalidFieldValue),
        # The unvalidated baseline: orjson's error, then `Model(**d)` raises TypeError on a
        # non-mapping or a missing/extra field.
        "orjson-dataclass": orjson_typed,
        "orjson-dict": (orjson.JSONDecodeError,),
    }


#: Codecs flagged safe whose decoder the fuzzer found unsafe: not fuzzed until that is fixed
#: (their flag, or the library), each with the finding. The first test keeps
#: the list honest: a suspended codec must still be flagged safe.
SUSPENDED: dict[str, str] = {
    # decode returns a CapnpMessage for corrupt input; KjException/UnicodeDecodeError only
    # surface later, from its __eq__/content() (serbench/codecs/schemas/capnp_schema.py).
    "capnp-prepared": "capnp-prepared: decode accepts corrupt messages, errors surface later",
}
#: One frame per suspended codec showing its finding (decoding it is not attempted here).
SUSPENDED_INPUTS: dict[str, bytes] = {
    "capnp-prepared": b"",  # any mutated records:20 message: see the report
}

EXCEPTIONS = _exceptions()
SAFE = sorted(name for name in codec_entries() if get_codec(name).safe_for_untrusted_input)
FUZZED = [name for name in SAFE if name not in SUSPENDED]


@functools.cache
def _bound(name: str) -> Codec:
    """The codec as the server runs it: a shape-derived one bound to `BIND_TO`."""
    from serbench.codecs.bind import bound_codec
    from serbench.payloads import make_payload

    return bound_codec(get_codec(name), make_payload(BIND_TO))


def _shape_derived(name: str) -> bool:
    return get_codec(name).specialise is not None


def _budget(name: str, default: int, env: str) -> int:
    """How many inputs `name` gets: the default for a core codec, `ZOO_SHARE` of it for the
    zoo's, unless the environment sets a count for everyone."""
    if env in os.environ or name in CORE:
        return default
    return _zoo_share(default)


def _zoo_share(default: int) -> int:
    return max(1, default * ZOO_SHARE // 100)


def test_every_safe_codec_is_fuzzed_with_its_errors_listed() -> None:
    """A codec newly flagged safe must say here which errors its decoder may raise."""
    assert sorted(set(EXCEPTIONS) | set(SUSPENDED)) == SAFE
    assert not set(EXCEPTIONS) & set(SUSPENDED)
    assert sorted(SUSPENDED_INPUTS) == sorted(SUSPENDED)
    assert {"msgpack", "cbor2", "orjson", "json", "msgspec-msgpack", "msgspec-json",
            "null"} <= set(SAFE)


class Tally:
    """Feeds inputs to a decoder the way the server does, and counts what happened."""

    def __init__(self, codec: Codec, strategy: str, hang_s: float = HANG_GUARD_S) -> None:
        self.codec = codec
        self.hang_s = hang_s
        self.strategy = strategy
        self.allowed = EXCEPTIONS[codec.name]
        self.inputs = 0
        self.outcomes: collections.Counter[str] = collections.Counter()
        self.slowest_s = 0.0
        #: How much the process's peak RSS rose while a decode ran (not while hypothesis
        #: generated inputs), summed over all inputs.
        self.decode_growth_kb = 0

    def feed(self, data: bytes) -> None:
        """Decode `data` as a view into a larger reused buffer (as the server's reader hands
        frames out), with bytes before and after it that the decoder must not read."""
        self.inputs += 1
        buffer = bytearray(b"\x93" * 7 + data + b"\x91\x00{[\"" * 3)
        view = memoryview(buffer)[7 : 7 + len(data)]
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        try:
            result = self.codec.decode(view)
            outcome = "decoded"
        except self.allowed as exc:
            result, outcome = None, type(exc).__name__
        took = time.perf_counter() - start
        self.decode_growth_kb += resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak
        self.slowest_s = max(self.slowest_s, took)
        self.outcomes[outcome] += 1
        assert took < self.hang_s, f"{self.codec.name} took {took:.2f} s on {data[:64]!r}..."
        if outcome == "decoded":
            # The view is honoured: decoding a copy of exactly those bytes gives the same.
            again = self.codec.decode(memoryview(bytes(data)))
            assert _same(result, again), data[:64]

    def report(self) -> str:
        growth_mb = self.decode_growth_kb / 1024
        top = ", ".join(f"{name} {count}" for name, count in self.outcomes.most_common())
        line = (f"fuzz {self.codec.name} {self.strategy}: {self.inputs} inputs, crashes 0, "
                f"slowest {self.slowest_s * 1e3:.1f} ms, peak RSS growth {growth_mb:.1f} MB; "
                f"{top}")
        print(line)
        target = os.environ.get("SERBENCH_FUZZ_REPORT")
        if target:
            with open(target, "a", encoding="utf-8") as out:
                out.write(json.dumps({"codec": self.codec.name, "strategy": self.strategy,
                                      "inputs": self.inputs, "outcomes": dict(self.outcomes),
                                      "slowest_ms": round(self.slowest_s * 1e3, 3),
                                      "rss_growth_mb": round(growth_mb, 1)}) + "\n")
        assert growth_mb < MAX_GROWTH_MB, line
        return line


def _same(a: Any, b: Any) -> bool:
    """Equal, or equal in repr (NaN != NaN); views compare by their bytes."""
    if isinstance(a, memoryview) and isinstance(b, memoryview):
        return a.tobytes() == b.tobytes()
    if a == b:
        return True
    try:
        return repr(a) == repr(b)
    except ValueError:  # an int too long for repr: equality already said no
        return False


def _run(tally: Tally, strategy: st.SearchStrategy[bytes], examples: int) -> None:
    @settings(max_examples=examples, deadline=None, database=None, derandomize=False,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.large_base_example,
                                     HealthCheck.filter_too_much])
    @given(strategy)
    def fuzz(data: bytes) -> None:
        tally.feed(data)

    fuzz()
    tally.report()
    assert tally.inputs >= examples


# --- random bytes ----------------------------------------------------------------------------


#: The core codecs' full budgets run in the full suite; the fast path fuzzes them briefly.
SLOW_IF_CORE = [pytest.param(n, marks=pytest.mark.slow) if n in CORE else n for n in FUZZED]


@pytest.mark.parametrize("name", SLOW_IF_CORE)
def test_random_bytes(name: str) -> None:
    examples = _budget(name, PER_STRATEGY, "SERBENCH_FUZZ_EXAMPLES")
    _run(Tally(_bound(name), "random"), st.binary(max_size=MAX_INPUT), examples)


@pytest.mark.parametrize("name", sorted(CORE & set(FUZZED)))
def test_random_bytes_briefly(name: str) -> None:
    examples = _zoo_share(PER_STRATEGY)
    _run(Tally(_bound(name), "random, brief"), st.binary(max_size=MAX_INPUT), examples)


# --- mutated valid encodings -----------------------------------------------------------------

_LEAVES = (st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=24))
_BINARY_LEAVES = _LEAVES | st.binary(max_size=24)


def _values(leaves: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        leaves,
        lambda children: st.lists(children, max_size=6)
        | st.dictionaries(st.text(max_size=8), children, max_size=6),
        max_leaves=24)


#: Byte strings that mean something to some decoder: type bytes, length headers claiming
#: gigabytes, container openers, escapes, huge numbers, invalid UTF-8.
INTERESTING = [
    b"\x00", b"\xff", b"\x7f", b"\x80", b"\xc1", b"\xc0", b"\x9f", b"\xbf", b"\xfb",
    b"\xdd\xff\xff\xff\xff", b"\xdf\xff\xff\xff\xff", b"\xc6\xff\xff\xff\xff",
    b"\xdb\x7f\xff\xff\xff", b"\xd9\xff", b"\xcf\xff\xff\xff\xff\xff\xff\xff\xff",
    b"\xd4\xff", b"\xc7\xff\xff", b"\xd6\xff\x00\x00\x00\x00",  # msgpack ext, timestamp
    b"\x9b\xff\xff\xff\xff\xff\xff\xff\xff", b"\x5b\x7f\xff\xff\xff\xff\xff\xff\xff",
    b"\xbb\x00\x00\x00\xff\xff\xff\xff\xff", b"\x7b\x00\x00\x00\x01\x00\x00\x00\x00",
    b"\xc1\x1b\x7f\xff\xff\xff\xff\xff\xff\xff", b"\xc2\x59\xff\xff", b"\xc4\x82",
    b"\xd8\x1e\x82\x01\x00", b"\xd9\x01\x02\x81\x80", b"\xd8\x1c", b"\xd8\x1d\x00",
    b"\xd8\x19\x00", b"\xd9\x01\x00", b"\xd8\x23\x61(", b"\xd8\x25\x41\x00",
    b"[" * 64, b"{" * 32, b'{"":' * 32, b"\x91" * 64, b"\x81" * 64, b"\x9f" * 64,
    b'"\\u', b'"\\ud800"', b"\\", b"1e999999", b"-" + b"9" * 400, b"0." + b"1" * 300,
    b"\xed\xa0\x80", b"\xf0\x9f", b"\xc3\x28", b"\xf8\x88\x80\x80\x80", b"NaN", b"Infinity",
]

_OPS = ("flip", "insert", "delete", "truncate", "duplicate", "interesting")


@st.composite
def _mutated(draw: st.DrawFn, codec: Codec, values: st.SearchStrategy[Any]) -> bytes:
    value = draw(values)
    try:
        data = bytearray(joined(codec.encode(codec.prepared(value))))
    except Exception:  # a value this codec cannot encode: mutate nothing into something
        data = bytearray()
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(_OPS))
        at = draw(st.integers(0, len(data)))
        if op == "flip" and data:
            data[min(at, len(data) - 1)] = draw(st.integers(0, 255))
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 16))]
        elif op == "truncate":
            del data[at:]
        elif op == "duplicate" and data:
            chunk = data[at : at + draw(st.integers(1, 64))]
            data[at:at] = chunk * draw(st.integers(1, 8))
        elif op == "interesting":
            piece = draw(st.sampled_from(INTERESTING))
            if draw(st.booleans()):
                data[at : at + len(piece)] = piece
            else:
                data[at:at] = piece
    return bytes(data[:MAX_INPUT])


@pytest.mark.slow
@pytest.mark.parametrize("name", FUZZED)
def test_mutated_valid_encodings(name: str) -> None:
    codec = _bound(name)
    values: st.SearchStrategy[Any]
    if _shape_derived(name):  # its valid encodings are of the payload it is bound to
        from serbench.payloads import make_payload

        values = st.just(make_payload(BIND_TO).obj)
    else:
        values = _values(_LEAVES if codec.human_readable else _BINARY_LEAVES)
    examples = _budget(name, PER_STRATEGY, "SERBENCH_FUZZ_EXAMPLES")
    _run(Tally(codec, "mutated"), _mutated(codec, values), examples)


# --- known-nasty inputs ----------------------------------------------------------------------


def _nasty_inputs() -> dict[str, bytes]:
    cases = {
        "json array nesting 200k": b"[" * 200_000,
        "json object nesting 100k": b'{"a":' * 100_000,
        "msgpack array nesting 200k": b"\x91" * 200_000,
        "msgpack map nesting 100k": b"\x81\xa1a" * 100_000,
        "cbor array nesting 200k": b"\x81" * 200_000,
        "cbor indefinite nesting 100k": b"\x9f" * 100_000,
        "cbor tag nesting 100k": b"\xc6" * 100_000 + b"\x00",
        "msgpack array of 2^32-1 claimed": b"\xdd\xff\xff\xff\xff",
        "msgpack map of 2^32-1 claimed": b"\xdf\xff\xff\xff\xff",
        "msgpack bin of 4 GiB claimed": b"\xc6\xff\xff\xff\xff",
        "msgpack str of 4 GiB claimed": b"\xdb\xff\xff\xff\xff",
        "msgpack ext of 4 GiB claimed": b"\xc9\xff\xff\xff\xff\x01",
        "cbor array of 2^64-1 claimed": b"\x9b" + b"\xff" * 8,
        "cbor bytes of 2^63 claimed": b"\x5b\x7f" + b"\xff" * 7,
        "cbor text of 2^63 claimed": b"\x7b\x7f" + b"\xff" * 7,
        "cbor map of 2^40 claimed": b"\xbb\x00\x00\x01" + b"\x00" * 5,
        "cbor epoch datetime overflow": b"\xc1\x1b\x7f" + b"\xff" * 7,
        "cbor decimal with huge exponent": b"\xc4\x82\x1b\x7f" + b"\xff" * 7 + b"\x01",
        "cbor bigfloat with huge exponent": b"\xc5\x82\x1b\x7f" + b"\xff" * 7 + b"\x01",
        "cbor rational over zero": b"\xd8\x1e\x82\x01\x00",
        "cbor set of unhashable": b"\xd9\x01\x02\x81\x80",
        "cbor bignum 1 MiB": b"\xc2\x5a\x00\x10\x00\x00" + b"\xff" * 2**20,
        "cbor regex": b"\xd8\x23\x61(",
        "cbor uuid too short": b"\xd8\x25\x41\x00",
        "cbor shared reference missing": b"\xd8\x1d\x00",
        "cbor string reference outside namespace": b"\xd8\x19\x00",
        "json integer of 100k digits": b"1" * 100_000,
        "json float overflow": b"1e999999",
        "json lone surrogate": b'"\\ud800"',
        "json 1 MiB string": b'"' + b"a" * 2**20 + b'"',
        "utf-16 bom": b"\xff\xfe[\x001\x00]\x00",
        "empty": b"",
    }
    for byte in range(256):
        cases[f"single byte {byte:#04x}"] = bytes([byte])
    return cases


NASTY = _nasty_inputs()


@pytest.mark.parametrize("name", FUZZED)
def test_known_nasty_inputs(name: str) -> None:
    tally = Tally(_bound(name), "nasty")
    for data in NASTY.values():
        tally.feed(data)
    tally.report()
    assert tally.inputs == len(NASTY)


def test_undocumented_exceptions_are_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The harness itself: a decoder raising something unlisted, or hanging, fails the test."""
    from dataclasses import replace

    def bad_decode(view: memoryview) -> Any:
        if bytes(view[:1]) == b"\x00":
            raise KeyError("surprise")
        return None

    codec = replace(get_codec("null"), decode=bad_decode)
    tally = Tally(codec, "self-check")
    with pytest.raises(KeyError):
        tally.feed(b"\x00")
    # A decoder that "hangs" on a fake clock: the guard fires, and nothing really waits.
    now = [1000.0]
    monkeypatch.setattr(time, "perf_counter", lambda: now[0])

    def hangs(view: memoryview) -> Any:
        now[0] += HANG_GUARD_S + 1
        return None

    Tally(replace(codec, decode=lambda view: None), "self-check").feed(b"\x01")  # in time
    with pytest.raises(AssertionError, match=r"took 31\.00 s"):
        Tally(replace(codec, decode=hangs), "self-check").feed(b"\x01")


# --- the same, over the wire: fuzzed frames at a running server ------------------------------

FRAMES = int(os.environ.get("SERBENCH_FUZZ_FRAMES", "1000"))


def _frames(codec: Codec, count: int, seed: int) -> list[bytes]:
    """`count` frames: the codec's encodings of catalog payloads, most of them mutated."""
    import random

    from serbench.payloads import make_payload

    rng = random.Random(seed)
    valid = []
    specs = ("small", "records:3", "nested:3", "text:3", "floats:5", "blob:20")
    for spec in (BIND_TO,) if _shape_derived(codec.name) else specs:
        try:
            valid.append(joined(codec.encode(codec.prepared(make_payload(spec).obj))))
        except Exception:  # unsupported by this codec (bytes in JSON): not a seed then
            continue
    frames = []
    for _ in range(count):
        data = bytearray(rng.choice(valid))
        for _ in range(rng.randrange(0 if rng.random() < 0.1 else 1, 4)):
            at = rng.randrange(len(data) + 1)
            op = rng.randrange(5)
            if op == 0 and data:
                data[min(at, len(data) - 1)] = rng.randrange(256)
            elif op == 1:
                data[at:at] = rng.randbytes(rng.randrange(1, 8))
            elif op == 2:
                del data[at : at + rng.randrange(1, 16)]
            elif op == 3:
                del data[at:]
            else:
                piece = rng.choice(INTERESTING)
                data[at : at + len(piece)] = piece
        frames.append(bytes(data))
    return frames


#: Frames each codec must refuse, with the exception its decoder raises on them.
KNOWN_BAD: dict[str, list[tuple[bytes, str]]] = {
    "msgpack": [(b"\xc1", "FormatError"), (b"\x92\x01", "ValueError"),
                (b"\x01\x02", "ExtraData")],
    "cbor2": [(b"\xff", "CBORDecodeError"), (b"\x82\x01", "CBORDecodeEOF")],
    "orjson": [(b"{", "JSONDecodeError"), (b"\xff", "JSONDecodeError")],
    "json": [(b"[1,", "JSONDecodeError"), (b"\xff", "UnicodeDecodeError")],
    "msgspec-msgpack": [(b"\xc1", "DecodeError"), (b"\x92\x01", "DecodeError")],
    "msgspec-json": [(b"{", "DecodeError"), (b"\xff", "DecodeError")],
    "null": [],  # null never parses: every frame is answered with itself
}


def test_every_safe_codec_has_known_bad_frames() -> None:
    """The core codecs each name frames they refuse (the zoo's are fuzzed without a list)."""
    assert sorted(KNOWN_BAD) == sorted(CORE)
    for name, cases in KNOWN_BAD.items():
        assert [_expected_reply(get_codec(name), body) for body, _ in cases] == [
            (None, error) for _, error in cases]


def _expected_reply(codec: Codec, body: bytes) -> tuple[bytes | None, str]:
    """What the server does with `body` in round-trip mode, worked out in this process: the
    re-encoded reply, or None and the name of the exception that costs the connection."""
    try:
        return joined(codec.encode(codec.decode(memoryview(body)))), ""
    except Exception as exc:
        return None, type(exc).__name__


def _serve_takes_payload() -> bool:
    """Whether the `serbench serve` command line offers --payload (its parser's source)."""
    import inspect

    import serbench.cli.serve

    return '"--payload"' in inspect.getsource(serbench.cli.serve)


@pytest.mark.slow
@pytest.mark.parametrize("name", FUZZED)
def test_server_survives_fuzzed_frames(tmp_path: Any, name: str) -> None:
    """Each frame goes to `serbench serve` in round-trip mode, the known-bad ones first. A frame
    the codec decodes in this process is answered with what it decodes to; one it cannot costs
    only that connection, with one log line naming the same exception (then we reconnect); the
    server never stops and serves a good client at the end."""
    from serve_helpers import serve

    from serbench.transport.errors import PeerClosed

    if _shape_derived(name) and not _serve_takes_payload():
        pytest.skip("`serbench serve` has no --payload option yet to bind a shape-derived codec")
    codec = _bound(name)
    known = KNOWN_BAD.get(name, [])
    frames = [body for body, _ in known]
    frames += _frames(codec, _budget(name, FRAMES, "SERBENCH_FUZZ_FRAMES"),
                      seed=sum(name.encode()))
    expected = [_expected_reply(codec, body) for body in frames]
    got: list[Any] = []
    bind = ("--payload", BIND_TO) if _shape_derived(name) else ()
    with serve(tmp_path, name, "--timeout", str(HANG_GUARD_S), *bind) as server:
        conn = server.connect(timeout_s=HANG_GUARD_S)
        conn.start_roundtrip()
        try:
            for body in frames:
                try:
                    got.append(bytes(conn.request(body)))  # the view is reused: copy
                except PeerClosed:
                    got.append(None)
                    conn.close()
                    conn = server.connect(timeout_s=HANG_GUARD_S)
                    conn.start_roundtrip()
        finally:
            conn.close()
        errors = [error for reply, error in expected if reply is None]
        failed = f"closed in roundtrip mode: the {name} codec failed on a frame: "
        if errors:
            server.wait_for_log(failed, count=len(errors), timeout_s=HANG_GUARD_S)
        assert server.proc.poll() is None
        with server.connect() as good:
            good.start_roundtrip()
            still: Any = {"still": "serving"}
            if _shape_derived(name):
                from serbench.payloads import make_payload

                still = make_payload(BIND_TO).obj
            body = joined(codec.encode(codec.prepared(still)))
            assert _same(codec.decode(good.request(body)), codec.decode(memoryview(body)))
        log = server.log_text()
    # The known-bad frames were refused, for the reason this process gives.
    assert got[: len(known)] == [None] * len(known)
    # Every frame got what this process says it should: its reply, or the connection closed
    # (compared decoded: a set's order differs between processes).
    for i, (body, (reply, _), answer) in enumerate(zip(frames, expected, got, strict=True)):
        if reply is None:
            assert answer is None, (i, body[:64])
        else:
            assert answer is not None, (i, body[:64], "refused, but it decodes here")
            assert _same(codec.decode(memoryview(answer)), codec.decode(memoryview(reply))), (
                i, body[:64])
    # One log line per refused frame, in order, naming the exception.
    logged = [line.split(failed, 1)[1].split(":", 1)[0] for line in log.splitlines()
              if failed in line]
    assert logged == errors
    assert errors[: len(known)] == [error for _, error in known]
    answered = sum(reply is not None for reply, _ in expected)
    assert answered > 0  # some fuzzed frames stay valid: the answering path was exercised too
    line = (f"fuzz {name} server: {len(frames)} frames, answered {answered}, rejected "
            f"{len(errors)} (one log line each), server crashes 0")
    print(line)
    target = os.environ.get("SERBENCH_FUZZ_REPORT")
    if target:
        with open(target, "a", encoding="utf-8") as out:
            out.write(json.dumps({"codec": name, "strategy": "server frames",
                                  "inputs": len(frames), "answered": answered,
                                  "rejected": len(errors)}) + "\n")
