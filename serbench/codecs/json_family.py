"""JSON codecs: orjson, the standard library and msgspec.json, each with its defaults."""

from __future__ import annotations

import json
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


def _json_encode(obj: Any) -> bytes:
    return json.dumps(obj).encode("utf-8")


def _json_decode(view: memoryview) -> Any:
    # json.loads takes str, bytes or bytearray but not memoryview: one copy to bytes.
    return json.loads(view.tobytes())


def stdlib_json_codec() -> Codec:
    """The standard library's json, defaults (ensure_ascii=True), UTF-8 on the wire."""
    import platform

    return Codec(
        name="json",
        library="python",
        version=f"{platform.python_implementation()} {platform.python_version()}",
        options="json.dumps defaults (ensure_ascii=True), UTF-8",
        encode=_json_encode,
        decode=_json_decode,
        call_path='json.dumps(obj).encode("utf-8") / json.loads(view.tobytes())',
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
        options="msgspec.json.Encoder() / Decoder() (untyped; bytes as base64)",
        encode=encoder.encode,
        decode=decoder.decode,
        call_path="msgspec.json.Encoder().encode(obj) / Decoder().decode(view)",
        safe_for_untrusted_input=True,
        cross_language=True,
        same_python_only=False,
        human_readable=True,
    )
