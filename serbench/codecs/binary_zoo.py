"""The zoo's binary codecs: ormsgpack and BSON (pymongo's `bson`), with their defaults.

Both time the library's own callables with no Python layer (figures in docs/codecs.md):
- ormsgpack: `ormsgpack.packb` / `ormsgpack.unpackb`, C functions that read a `memoryview`;
- bson: `bson.encode` / `bson.decode`, pymongo's documented one-call API over its C extension;
  `bson.decode` reads a `memoryview`. A BSON document is a mapping: `bson.encode` refuses a
  list or a scalar at the top level, and serbench does not wrap one in a document for it, so
  such a payload is `unsupported` for bson (the fidelity check records the encoder's refusal).
"""

from __future__ import annotations

from serbench.codecs.base import Codec, CodecUnavailable, dist_version, require


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
