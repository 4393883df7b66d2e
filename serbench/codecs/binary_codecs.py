"""Every schema-less binary codec, each with its library's defaults: msgpack, CBOR and msgspec's
MessagePack; the zoo's ormsgpack and BSON.

Cross-language binary codecs: msgpack, CBOR and msgspec's MessagePack, with their defaults.

Every `encode`/`decode` here is the library's own C callable, with no Python layer in between
(figures in docs/codecs.md):
- msgpack encodes with one reused `msgpack.Packer()`: `msgpack.packb` builds a Packer (and its
  256 KiB buffer) on every call, which doubles the cost of a small message. A Packer is not
  re-entrant; the server shares one codec between connection threads, which is safe under the
  GIL because packing what `unpackb` returned (plain builtins) never runs Python code.
- cbor2 has no reusable one-call encoder (`CBOREncoder` writes to a file object), so
  `cbor2.dumps`/`cbor2.loads` are both the idiomatic and (within noise) the cheapest calls.
- msgspec's Encoder/Decoder are built once, as msgspec's documentation recommends.

The zoo's binary codecs: ormsgpack and BSON (pymongo's `bson`), with their defaults.

Both time the library's own callables with no Python layer (figures in docs/codecs.md):
- ormsgpack: `ormsgpack.packb` / `ormsgpack.unpackb`, C functions that read a `memoryview`;
- bson: `bson.encode` / `bson.decode`, pymongo's documented one-call API over its C extension;
  `bson.decode` reads a `memoryview`. A BSON document is a mapping: `bson.encode` refuses a
  list or a scalar at the top level, and serbench does not wrap one in a document for it, so
  such a payload is `unsupported` for bson (the fidelity check records the encoder's refusal).
"""

from __future__ import annotations

from serbench.codecs.base import Codec, CodecUnavailable, dist_version, require


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


def ormsgpack_codec() -> Codec:
    """ormsgpack (MessagePack, orjson's sibling) with default options (no OPT_* flags)."""
    ormsgpack = require("ormsgpack")
    return Codec(
        name="ormsgpack",
        library="ormsgpack",
        version=dist_version("ormsgpack"),
        options="packb/unpackb defaults (option=None: str keys only, no numpy; dataclasses "
        "and datetimes serialized natively)",
        encode=ormsgpack.packb,
        decode=ormsgpack.unpackb,
        call_path="ormsgpack.packb(obj) / ormsgpack.unpackb(view)",
        safe_for_untrusted_input=True,
        cross_language=True,
        same_python_only=False,
        human_readable=False,
    )


def bson_codec() -> Codec:
    """BSON via pymongo's `bson` (never PyPI's unrelated `bson`): top-level mappings only."""
    bson = require("bson", "pymongo")
    if not hasattr(bson, "decode_all"):  # PyPI's unrelated `bson` installs the same module
        where = getattr(bson, "__file__", "?")
        raise CodecUnavailable(
            f"the bson module at {where} is not pymongo's; uninstall PyPI's bson and "
            "reinstall pymongo: pip uninstall bson && pip install --force-reinstall pymongo")
    return Codec(
        name="bson",
        library="pymongo",
        version=dist_version("pymongo"),
        options="bson.encode/bson.decode defaults (DEFAULT_CODEC_OPTIONS: document_class=dict, "
        "tz_aware=False; check_keys=False); top-level mappings only, never wrapped",
        encode=bson.encode,
        decode=bson.decode,
        call_path="bson.encode(obj) / bson.decode(view)",
        safe_for_untrusted_input=True,
        cross_language=True,
        same_python_only=False,
        human_readable=False,
    )
