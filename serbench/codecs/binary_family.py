"""Cross-language binary codecs: msgpack, CBOR and msgspec's MessagePack, with their defaults."""

from __future__ import annotations

from serbench.codecs.base import Codec, dist_version, require


def msgpack_codec() -> Codec:
    """msgpack with its defaults (bin type on, strict map keys on decode)."""
    msgpack = require("msgpack")
    return Codec(
        name="msgpack",
        library="msgpack",
        version=dist_version("msgpack"),
        options="packb/unpackb defaults (use_bin_type=True, raw=False, strict_map_key=True)",
        encode=msgpack.packb,
        decode=msgpack.unpackb,
        call_path="msgpack.packb(obj) / msgpack.unpackb(view)",
        safe_for_untrusted_input=True,
        cross_language=True,
        same_python_only=False,
        human_readable=False,
    )


def cbor2_codec() -> Codec:
    """CBOR (RFC 8949) via cbor2 with its defaults."""
    cbor2 = require("cbor2")
    return Codec(
        name="cbor2",
        library="cbor2",
        version=dist_version("cbor2"),
        options="dumps/loads defaults",
        encode=cbor2.dumps,
        decode=cbor2.loads,
        call_path="cbor2.dumps(obj) / cbor2.loads(view)",
        safe_for_untrusted_input=True,
        cross_language=True,
        same_python_only=False,
        human_readable=False,
    )


def msgspec_msgpack_codec() -> Codec:
    """msgspec's MessagePack, untyped: one Encoder and one Decoder built outside the timed loop."""
    msgspec = require("msgspec")
    encoder = msgspec.msgpack.Encoder()
    decoder = msgspec.msgpack.Decoder()
    return Codec(
        name="msgspec-msgpack",
        library="msgspec",
        version=dist_version("msgspec"),
        options="msgspec.msgpack.Encoder() / Decoder() (untyped)",
        encode=encoder.encode,
        decode=decoder.decode,
        call_path="msgspec.msgpack.Encoder().encode(obj) / Decoder().decode(view)",
        safe_for_untrusted_input=True,
        cross_language=True,
        same_python_only=False,
        human_readable=False,
    )
