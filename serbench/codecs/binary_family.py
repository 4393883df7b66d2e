"""Cross-language binary codecs: msgpack, CBOR and msgspec's MessagePack, with their defaults.

Every `encode`/`decode` here is the library's own C callable, with no Python layer in between
(figures in docs/codecs.md):
- msgpack encodes with one reused `msgpack.Packer()`: `msgpack.packb` builds a Packer (and its
  256 KiB buffer) on every call, which doubles the cost of a small message. A Packer is not
  re-entrant; the server shares one codec between connection threads, which is safe under the
  GIL because packing what `unpackb` returned (plain builtins) never runs Python code.
- cbor2 has no reusable one-call encoder (`CBOREncoder` writes to a file object), so
  `cbor2.dumps`/`cbor2.loads` are both the idiomatic and (within noise) the cheapest calls.
- msgspec's Encoder/Decoder are built once, as msgspec's documentation recommends.
"""

from __future__ import annotations

from serbench.codecs.base import Codec, dist_version, require


def msgpack_codec() -> Codec:
    """msgpack with its defaults (bin type on, strict map keys on decode)."""
    msgpack = require("msgpack")
    packer = msgpack.Packer()
    return Codec(
        name="msgpack",
        library="msgpack",
        version=dist_version("msgpack"),
        options="Packer()/unpackb defaults (use_bin_type=True, autoreset=True; raw=False, "
        "strict_map_key=True)",
        encode=packer.pack,
        decode=msgpack.unpackb,
        call_path="packer.pack(obj) [packer = msgpack.Packer(), built once] / "
        "msgpack.unpackb(view)",
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
        options="msgspec.msgpack.Encoder() / Decoder() defaults (untyped)",
        encode=encoder.encode,
        decode=decoder.decode,
        call_path="encoder.encode(obj) [encoder = msgspec.msgpack.Encoder(), built once] / "
        "decoder.decode(view) [decoder = msgspec.msgpack.Decoder(), built once]",
        safe_for_untrusted_input=True,
        cross_language=True,
        same_python_only=False,
        human_readable=False,
    )
