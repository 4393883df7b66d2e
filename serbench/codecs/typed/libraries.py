"""Each typed library bound to a shape: the models, the encoder and decoder built once, and
the call path the harness floor (serbench/extensions/harness/floors_typed.py) writes out by hand."""

from __future__ import annotations

import re
from typing import Any

import orjson

from serbench.codecs.base import require
from serbench.codecs.typed import makers
from serbench.codecs.typed.baseline import dataclass_decoder
from serbench.codecs.typed.binding import Bound
from serbench.payloads.shapes import Shape

__all__ = [
    "JSON_PLAIN",
    "bind_cattrs",
    "bind_mashumaro",
    "bind_msgspec_json",
    "bind_msgspec_msgpack",
    "bind_orjson_dataclass",
    "bind_orjson_dict",
    "bind_pydantic",
    "msgpack_plain",
    "type_name",
]


#: The gate's untyped JSON pair (orjson, a core dependency: fast on large payloads).
JSON_PLAIN = (orjson.loads, orjson.dumps)


def msgpack_plain() -> tuple[Any, Any]:
    """The gate's untyped msgpack pair (msgspec.msgpack without a type)."""
    msgspec = require("msgspec")
    return msgspec.msgpack.decode, msgspec.msgpack.encode


def type_name(annotation: Any) -> str:
    """`list[Row]` rather than `list[types.Row]`, for call paths."""
    text = annotation.__name__ if isinstance(annotation, type) else repr(annotation)
    return re.sub(r"(?:[A-Za-z_][\w]*\.)+([A-Za-z_]\w*)", r"\1", text)


def bind_msgspec_json(shape: Shape) -> Bound:
    """msgspec.json Encoder / Decoder(type=...) over generated Structs."""
    return _bind_msgspec(shape, "json")


def bind_msgspec_msgpack(shape: Shape) -> Bound:
    """msgspec.msgpack Encoder / Decoder(type=...) over generated Structs."""
    return _bind_msgspec(shape, "msgpack")


def _bind_msgspec(shape: Shape, protocol: str) -> Bound:
    """msgspec.<protocol> (json or msgpack) Encoder / Decoder(type=...) over generated
    Structs: the two protocols' typed calls are the same."""
    module = getattr(require("msgspec"), protocol)
    models = makers.msgspec_models(shape)
    encoder = module.Encoder()
    decoder = module.Decoder(models.top)
    return Bound(models, encoder.encode, decoder.decode,
                 f"encoder.encode(models) [msgspec.{protocol}.Encoder(), built once] / "
                 f"decoder.decode(view) [msgspec.{protocol}.Decoder({type_name(models.top)}), "
                 "built once; Structs from msgspec.defstruct]")


def bind_pydantic(shape: Shape) -> Bound:
    """pydantic v2: one TypeAdapter of the top-level type for both directions."""
    pydantic = require("pydantic")
    models = makers.pydantic_models(shape)
    adapter = pydantic.TypeAdapter(models.top)
    validate_json = adapter.validate_json

    def decode(view: memoryview) -> Any:
        """`adapter.validate_json(bytes(view))`: pydantic refuses a memoryview ("JSON input
        should be string, bytes or bytearray"), so the frame is copied to bytes first."""
        return validate_json(bytes(view))

    return Bound(models, adapter.dump_json, decode,
                 f"adapter.dump_json(models) / def: adapter.validate_json(bytes(view)) "
                 f"[adapter = pydantic.TypeAdapter({type_name(models.top)}), built once; "
                 "models from pydantic.create_model]")


def bind_cattrs(shape: Shape) -> Bound:
    """cattrs' preconfigured orjson converter over generated attrs classes."""
    require("cattrs")
    from cattrs.preconf.orjson import make_converter

    models = makers.attrs_models(shape)
    converter = make_converter()
    loads, top = converter.loads, models.top

    def decode(view: memoryview) -> Any:
        """`converter.loads(view, T)`: the type is loads' second positional argument, which
        `functools.partial` can only bind by keyword (a kwargs dict per call: ~0.15 us,
        dearer than this def)."""
        return loads(view, top)

    return Bound(models, converter.dumps, decode,
                 f"converter.dumps(models) / def: converter.loads(view, {type_name(top)}) "
                 "[converter = cattrs.preconf.orjson.make_converter(), built once; classes "
                 "from attrs.make_class]")


def bind_mashumaro(shape: Shape) -> Bound:
    """mashumaro's orjson codecs for the top-level type over generated dataclasses."""
    require("mashumaro")
    from mashumaro.codecs.orjson import ORJSONDecoder, ORJSONEncoder

    models = makers.dataclass_models(shape)
    encoder: Any = ORJSONEncoder(models.top)
    decoder: Any = ORJSONDecoder(models.top)
    name = type_name(models.top)
    return Bound(models, encoder.encode, decoder.decode,
                 f"encoder.encode(models) / decoder.decode(view) [ORJSONEncoder({name}) / "
                 f"ORJSONDecoder({name}) from mashumaro.codecs.orjson, built once; "
                 "dataclasses from dataclasses.make_dataclass]")


def bind_orjson_dataclass(shape: Shape) -> Bound:
    """Baseline: orjson.dumps of dataclasses, orjson.loads then plain construction."""
    orjson = require("orjson")
    models = makers.dataclass_models(shape)
    return Bound(models, orjson.dumps, dataclass_decoder(shape, models.classes, orjson.loads),
                 "orjson.dumps(models) / def: orjson.loads(view) then Record(**d) per record "
                 "dict, no conversion or checks (e.g. [Row(**d) for d in orjson.loads(view)]; "
                 "orjson.loads itself when the shape has no record); dataclasses from "
                 "dataclasses.make_dataclass")


def bind_orjson_dict(shape: Shape) -> Bound:
    """Baseline: the orjson codec itself (dicts and lists, no model at all)."""
    orjson = require("orjson")
    return Bound(makers.plain_models(shape), orjson.dumps, orjson.loads,
                 "orjson.dumps(obj) / orjson.loads(view) (no model: dicts and lists)")
