"""JSON codecs: orjson, the standard library and msgspec.json, each with its defaults.

orjson and msgspec time their own C callables directly (msgspec's Encoder/Decoder built once).
The standard library's json is the one codec that needs a Python layer on both sides, because
`json.dumps` returns `str` and `json.loads` refuses a `memoryview`: see `_json_encode`/
`_json_decode`, and docs/codecs.md for the figures.
"""

from __future__ import annotations

import json
import platform
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
