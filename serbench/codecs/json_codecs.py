"""Every JSON codec, each with its library's defaults: the standard library, orjson and
msgspec.json; the zoo's ujson, python-rapidjson, simplejson and pysimdjson.

JSON codecs: orjson, the standard library and msgspec.json, each with its defaults.

orjson and msgspec time their own C callables directly (msgspec's Encoder/Decoder built once).
The standard library's json is the one codec that needs a Python layer on both sides, because
`json.dumps` returns `str` and `json.loads` refuses a `memoryview`: see `_json_encode`/
`_json_decode`, and docs/codecs.md for the figures.

The zoo's JSON codecs: ujson, python-rapidjson, simplejson and pysimdjson, with defaults.

None of them both returns `bytes` and reads a `memoryview`, so each has one thin `def` where
its API forces it (figures in docs/codecs.md):
- ujson, rapidjson and simplejson encode to `str`: `def: <lib>.dumps(obj).encode()`;
- ujson and rapidjson refuse a `memoryview`: `def: <lib>.loads(view.tobytes())` (cheaper than
  decoding the view to `str`, which both re-encode to UTF-8 before parsing);
- simplejson refuses `bytearray`/`memoryview` and decodes `bytes` to `str` itself:
  `def: simplejson.loads(str(view, "utf-8"))`, as the standard library's json codec does;
- pysimdjson only decodes: orjson encodes for it, and one `simdjson.Parser` built with the
  codec decodes with `parse(bytes, True)` (a `def`: `recursive=True` has to be passed).
"""

from __future__ import annotations

import json
import platform
from collections.abc import Callable
from typing import Any

from serbench.codecs.base import Codec, dist_version, require


def orjson_codec() -> Codec:
    """orjson with default options (str keys only, no numpy, NaN written as null)."""
    orjson = require("orjson")
    return Codec(
        name="orjson",
        library="orjson",
        version=dist_version("orjson"),
        options="dumps/loads defaults (no OPT_* flags)",
        encode=orjson.dumps,
        decode=orjson.loads,
        call_path="orjson.dumps(obj) / orjson.loads(view)",
        safe_for_untrusted_input=True,
        cross_language=True,
        same_python_only=False,
        human_readable=True,
    )


_json_dumps = json.dumps
_json_loads = json.loads


def _json_encode(obj: Any) -> bytes:
    """`json.dumps(obj).encode()`: the wire carries bytes, and `json.dumps` returns `str`."""
    return _json_dumps(obj).encode()


def _json_decode(view: memoryview) -> Any:
    """`json.loads(str(view, "utf-8"))`: `json.loads` takes str/bytes but not a memoryview.

    Decoding the view as UTF-8 (what `_json_encode` writes) copies nothing first; handing
    `json.loads` bytes instead would cost a copy plus its encoding sniffing (~0.3 us per call).
    """
    return _json_loads(str(view, "utf-8"))


def stdlib_json_codec() -> Codec:
    """The standard library's json, defaults (ensure_ascii=True), UTF-8 on the wire."""
    return Codec(
        name="json",
        library="python",
        version=f"{platform.python_implementation()} {platform.python_version()}",
        options="json.dumps/json.loads defaults (ensure_ascii=True), UTF-8 on the wire",
        encode=_json_encode,
        decode=_json_decode,
        call_path='def: json.dumps(obj).encode() / def: json.loads(str(view, "utf-8"))',
        safe_for_untrusted_input=True,
        cross_language=True,
        same_python_only=False,
        human_readable=True,
    )


def msgspec_json_codec() -> Codec:
    """msgspec.json, untyped: one Encoder and one Decoder built outside the timed loop."""
    msgspec = require("msgspec")
    encoder = msgspec.json.Encoder()
    decoder = msgspec.json.Decoder()
    return Codec(
        name="msgspec-json",
        library="msgspec",
        version=dist_version("msgspec"),
        options="msgspec.json.Encoder() / Decoder() defaults (untyped; bytes as base64)",
        encode=encoder.encode,
        decode=decoder.decode,
        call_path="encoder.encode(obj) [encoder = msgspec.json.Encoder(), built once] / "
        "decoder.decode(view) [decoder = msgspec.json.Decoder(), built once]",
        safe_for_untrusted_input=True,
        cross_language=True,
        same_python_only=False,
        human_readable=True,
    )


def _str_encoder(dumps: Callable[[Any], str]) -> Callable[[Any], bytes]:
    """`dumps(obj).encode()`: the wire carries bytes and these `dumps` return `str`."""

    def encode(obj: Any) -> bytes:
        return dumps(obj).encode()

    return encode


def _bytes_decoder(loads: Callable[[bytes], Any]) -> Callable[[memoryview], Any]:
    """`loads(view.tobytes())`: for a `loads` that takes bytes but refuses a memoryview."""

    def decode(view: memoryview) -> Any:
        return loads(view.tobytes())

    return decode


def ujson_codec() -> Codec:
    """ujson with its defaults (ASCII output, NaN written as `NaN`, bytes refused)."""
    ujson = require("ujson")
    return Codec(
        name="ujson",
        library="ujson",
        version=dist_version("ujson"),
        options="dumps/loads defaults (ensure_ascii=True, escape_forward_slashes=True, "
        "allow_nan=True; bytes refused)",
        encode=_str_encoder(ujson.dumps),
        decode=_bytes_decoder(ujson.loads),
        call_path="def: ujson.dumps(obj).encode() / def: ujson.loads(view.tobytes())",
        safe_for_untrusted_input=True,
        cross_language=True,
        same_python_only=False,
        human_readable=True,
    )


def rapidjson_codec() -> Codec:
    """python-rapidjson's `dumps`/`loads` with their defaults (bytes written as UTF-8 text)."""
    rapidjson = require("rapidjson", "python-rapidjson")
    return Codec(
        name="rapidjson",
        library="python-rapidjson",
        version=dist_version("python-rapidjson"),
        options="dumps/loads defaults (number_mode=None, datetime_mode=None, "
        "bytes_mode=BM_UTF8, allow_nan=True)",
        encode=_str_encoder(rapidjson.dumps),
        decode=_bytes_decoder(rapidjson.loads),
        call_path="def: rapidjson.dumps(obj).encode() / def: rapidjson.loads(view.tobytes())",
        safe_for_untrusted_input=True,
        cross_language=True,
        same_python_only=False,
        human_readable=True,
    )


def _simplejson_decoder(loads: Callable[[str], Any]) -> Callable[[memoryview], Any]:
    """`simplejson.loads(str(view, "utf-8"))`: it refuses a memoryview, and given `bytes` it
    decodes them to `str` itself, so decoding the view directly saves a copy."""

    def decode(view: memoryview) -> Any:
        return loads(str(view, "utf-8"))

    return decode


def simplejson_codec() -> Codec:
    """simplejson with its defaults (its C speedups; ASCII output, NaN refused)."""
    simplejson = require("simplejson")
    return Codec(
        name="simplejson",
        library="simplejson",
        version=dist_version("simplejson"),
        options="dumps/loads defaults (ensure_ascii=True, allow_nan=False, tuple_as_array=True, "
        "bytes decoded as UTF-8 text)",
        encode=_str_encoder(simplejson.dumps),
        decode=_simplejson_decoder(simplejson.loads),
        call_path='def: simplejson.dumps(obj).encode() / def: simplejson.loads(str(view, '
        '"utf-8"))',
        safe_for_untrusted_input=True,
        cross_language=True,
        same_python_only=False,
        human_readable=True,
    )


def _simdjson_decoder(parser: Any) -> Callable[[memoryview], Any]:
    """`parser.parse(view.tobytes(), True)` on one reused `simdjson.Parser`.

    `True` (recursive) builds plain dicts and lists, so nothing decoded refers to the parser's
    document, which the next parse overwrites; `bytes` is pysimdjson's fast path (the buffer
    protocol path for a memoryview costs more than the copy).
    """
    parse = parser.parse

    def decode(view: memoryview) -> Any:
        return parse(view.tobytes(), True)

    return decode


def pysimdjson_codec() -> Codec:
    """pysimdjson decodes; orjson (the fastest bytes-producing JSON encoder) encodes for it."""
    simdjson = require("simdjson", "pysimdjson")
    orjson = require("orjson")
    return Codec(
        name="pysimdjson",
        library="pysimdjson",
        version=dist_version("pysimdjson"),
        options=f"decode: one simdjson.Parser() (default max_capacity), recursive=True; "
        f"encode: orjson {dist_version('orjson')} dumps defaults (no OPT_* flags)",
        encode=orjson.dumps,
        decode=_simdjson_decoder(simdjson.Parser()),
        call_path="orjson.dumps(obj) / def: parser.parse(view.tobytes(), True) "
        "[parser = simdjson.Parser(), built once]",
        safe_for_untrusted_input=True,
        cross_language=True,
        same_python_only=False,
        human_readable=True,
    )
