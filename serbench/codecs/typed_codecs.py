"""Typed codecs: decode into models generated from the payload's shape (msgspec Structs,
pydantic v2, cattrs with attrs classes, mashumaro with dataclasses) and two orjson baselines
(→ dataclasses without validation, → dicts).

Each factory returns an unbound codec; `specialise` (run by
`serbench.codecs.bind.bound_codec`, untimed) generates the models, binds the library's
encoder/decoder to them and runs the validation gate that decides the codec's family. The
timed calls are the library's own (see `serbench.codecs.typed.libraries` and docs/typed.md).
"""

from __future__ import annotations

from serbench.codecs.base import Codec, require
from serbench.codecs.typed import libraries as lib
from serbench.codecs.typed.binding import TypedLibrary, unbound_codec
from serbench.common.vocabulary import FAMILY_UNVALIDATED

__all__ = [
    "cattrs_codec",
    "mashumaro_codec",
    "msgspec_struct_json_codec",
    "msgspec_struct_msgpack_codec",
    "orjson_dataclass_codec",
    "orjson_dict_codec",
    "pydantic_codec",
]


def msgspec_struct_json_codec() -> Codec:
    """msgspec.json into Structs: `Decoder(type=Model)`, msgspec's typed encoder/decoder."""
    require("msgspec")
    return unbound_codec(TypedLibrary(
        "msgspec-struct", "msgspec", "msgspec",
        "msgspec.json Encoder() / Decoder(type=<models>) defaults; Structs (kw_only); bytes "
        "as base64, datetimes as RFC 3339 strings, int map keys as strings",
        "encoder.encode(models) / decoder.decode(view) [msgspec.json, built once per shape]",
        lib.bind_msgspec_json, lib.JSON_PLAIN))


def msgspec_struct_msgpack_codec() -> Codec:
    """msgspec.msgpack into Structs."""
    require("msgspec")
    return unbound_codec(TypedLibrary(
        "msgspec-struct-msgpack", "msgspec", "msgspec",
        "msgspec.msgpack Encoder() / Decoder(type=<models>) defaults; Structs (kw_only); "
        "bytes as bin, datetimes as the timestamp extension",
        "encoder.encode(models) / decoder.decode(view) [msgspec.msgpack, built once per "
        "shape]", lib.bind_msgspec_msgpack, lib.msgpack_plain(), human_readable=False))


def pydantic_codec() -> Codec:
    """pydantic v2 models through one TypeAdapter of the top-level type."""
    require("pydantic")
    return unbound_codec(TypedLibrary(
        "pydantic", "pydantic", "pydantic",
        "TypeAdapter(<top-level type>).dump_json / validate_json, lax mode (the default); "
        "models with ser_json_bytes/val_json_bytes='base64'; datetimes as ISO 8601 strings",
        "adapter.dump_json(models) / def: adapter.validate_json(bytes(view))",
        lib.bind_pydantic, lib.JSON_PLAIN))


def cattrs_codec() -> Codec:
    """cattrs' preconfigured orjson converter into attrs classes."""
    require("cattrs")
    return unbound_codec(TypedLibrary(
        "cattrs", "cattrs", "cattrs",
        "cattrs.preconf.orjson.make_converter() defaults; attrs classes (slots, kw_only); "
        "bytes as base85 (cattrs' orjson preset), datetimes as ISO 8601 strings",
        "converter.dumps(models) / def: converter.loads(view, <top-level type>)",
        lib.bind_cattrs, lib.JSON_PLAIN,
        # Fuzzed: a 1 MiB JSON string where a list of records is declared is structured
        # character by character, one collected error each: minutes for one frame.
        safe_for_untrusted_input=False))


def mashumaro_codec() -> Codec:
    """mashumaro's orjson codecs into dataclasses."""
    require("mashumaro")
    return unbound_codec(TypedLibrary(
        "mashumaro", "mashumaro", "mashumaro",
        "mashumaro.codecs.orjson ORJSONEncoder/ORJSONDecoder(<top-level type>) defaults; "
        "plain dataclasses; bytes as base64, datetimes as ISO 8601 strings",
        "encoder.encode(models) / decoder.decode(view) [mashumaro.codecs.orjson]",
        lib.bind_mashumaro, lib.JSON_PLAIN))


def orjson_dataclass_codec() -> Codec:
    """Baseline: orjson.dumps of dataclasses, orjson.loads then `Model(**d)`, no checks."""
    require("orjson")
    return unbound_codec(TypedLibrary(
        "orjson-dataclass", "orjson", "orjson",
        "baseline: orjson.dumps defaults (dataclasses natively); decode builds the "
        "dataclasses from orjson.loads' dicts with no conversion or validation",
        "orjson.dumps(models) / def: build(orjson.loads(view))",
        lib.bind_orjson_dataclass, lib.JSON_PLAIN, claimed_family=FAMILY_UNVALIDATED))


def orjson_dict_codec() -> Codec:
    """Baseline: the orjson codec (dicts), labelled for the typed table."""
    require("orjson")
    return unbound_codec(TypedLibrary(
        "orjson-dict", "orjson", "orjson",
        "baseline: orjson.dumps/loads defaults, no model (the typed table's dict baseline)",
        "orjson.dumps(obj) / orjson.loads(view)",
        lib.bind_orjson_dict, lib.JSON_PLAIN, claimed_family=FAMILY_UNVALIDATED))
