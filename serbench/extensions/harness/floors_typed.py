"""Harness floor rows for the typed codecs (see serbench/extensions/harness/floors.py).

Set-up generates the models with serbench's own generator (`serbench.codecs.typed`, untimed) from
the
payload's shape (the harness binds `shape`), and rebinds `obj` to the prepared model instances;
the timed statements are the libraries' documented calls on those models.
"""

from __future__ import annotations

from serbench.extensions.harness.floor_model import Floor

# `shape` is bound by the harness's set-up to the payload's own shape (declared by the catalog,
# else inferred: `serbench.extensions.harness.floors.shape_once`), the one serbench's cell binds to;
# inferred here only when a caller gave none.
_MODELS = ("from serbench.payloads.shapes import infer_shape",
           "shape = shape if shape is not None else infer_shape(obj)")


def _prepared(maker: str) -> tuple[str, ...]:
    return (*_MODELS, f"from serbench.codecs.typed import {maker}", f"models = {maker}(shape)",
            "obj = models.prepare(obj)", "T = models.top")


ROWS: tuple[Floor, ...] = (
    Floor("msgspec-struct",
          ("import msgspec", *_prepared("msgspec_models"), "encoder = msgspec.json.Encoder()"),
          "encoder.encode(obj)",
          ("decoder = msgspec.json.Decoder(T)", "data = encoder.encode(obj)"),
          "decoder.decode(data)"),
    Floor("msgspec-struct-msgpack",
          ("import msgspec", *_prepared("msgspec_models"),
           "encoder = msgspec.msgpack.Encoder()"),
          "encoder.encode(obj)",
          ("decoder = msgspec.msgpack.Decoder(T)", "data = encoder.encode(obj)"),
          "decoder.decode(data)"),
    Floor("pydantic",
          ("import pydantic", *_prepared("pydantic_models"),
           "adapter = pydantic.TypeAdapter(T)"),
          "adapter.dump_json(obj)",
          ("data = adapter.dump_json(obj)",),
          "adapter.validate_json(data)"),
    Floor("cattrs",
          ("from cattrs.preconf.orjson import make_converter", *_prepared("attrs_models"),
           "converter = make_converter()"),
          "converter.dumps(obj)",
          ("data = converter.dumps(obj)",),
          "converter.loads(data, T)"),
    Floor("mashumaro",
          ("from mashumaro.codecs.orjson import ORJSONDecoder, ORJSONEncoder",
           *_prepared("dataclass_models"), "encoder = ORJSONEncoder(T)"),
          "encoder.encode(obj)",
          ("decoder = ORJSONDecoder(T)", "data = encoder.encode(obj)"),
          "decoder.decode(data)"),
    # orjson has no typed decode: `decode` is the hand-written construction after
    # orjson.loads (`[Row(**d) for d in orjson.loads(data)]` for records), generated for the
    # shape, the same function the codec times.
    Floor("orjson-dataclass",
          ("import orjson", *_prepared("dataclass_models")),
          "orjson.dumps(obj)",
          ("from serbench.codecs.typed.baseline import dataclass_decoder",
           "decode = dataclass_decoder(shape, models.classes, orjson.loads)",
           "data = orjson.dumps(obj)"),
          "decode(data)"),
    Floor("orjson-dict", ("import orjson",), "orjson.dumps(obj)",
          ("data = orjson.dumps(obj)",), "orjson.loads(data)"),
)
