"""Harness floor rows for the zoo's schema-less codecs (see serbench/extensions/harness/floors.py).

Written by hand from each library's documentation, like the rows in floors.py: the call a
user holding `obj` (encode) or `bytes` (decode) would write, with the options serbench's codec
records. A codec that cannot encode a floor payload (bson on a top-level list) has no pair for
it: `serbench.extensions.harness.run.build_pairs` leaves out the codec/payload pairs serbench would
not
time.
"""

from __future__ import annotations

import marshal

from serbench.common.vocabulary import PICKLE_PROTOCOL
from serbench.extensions.harness.floor_model import Floor

_P = PICKLE_PROTOCOL
_M = marshal.version

ROWS: tuple[Floor, ...] = (
    Floor("ujson", ("import ujson",), "ujson.dumps(obj).encode()",
          ("data = ujson.dumps(obj).encode()",), "ujson.loads(data)"),
    Floor("rapidjson", ("import rapidjson",), "rapidjson.dumps(obj).encode()",
          ("data = rapidjson.dumps(obj).encode()",), "rapidjson.loads(data)"),
    Floor("simplejson", ("import simplejson",), "simplejson.dumps(obj).encode()",
          ("data = simplejson.dumps(obj).encode()",), "simplejson.loads(data)"),
    Floor("pysimdjson", ("import orjson", "import simdjson", "parser = simdjson.Parser()"),
          "orjson.dumps(obj)", ("data = orjson.dumps(obj)",), "parser.parse(data, True)"),
    Floor("ormsgpack", ("import ormsgpack",), "ormsgpack.packb(obj)",
          ("data = ormsgpack.packb(obj)",), "ormsgpack.unpackb(data)"),
    Floor("bson", ("import bson",), "bson.encode(obj)",
          ("data = bson.encode(obj)",), "bson.decode(data)"),
    Floor("dill", ("import dill",), f"dill.dumps(obj, {_P})",
          (f"data = dill.dumps(obj, {_P})",), "dill.loads(data)"),
    Floor("marshal", ("import marshal",), f"marshal.dumps(obj, {_M})",
          (f"data = marshal.dumps(obj, {_M})",), "marshal.loads(data)"),
    Floor("jsonpickle", ("import jsonpickle",), "jsonpickle.encode(obj, keys=True).encode()",
          ("data = jsonpickle.encode(obj, keys=True).encode()",),
          "jsonpickle.decode(data.decode(), keys=True)"),
    Floor("serpent", ("import serpent",), "serpent.dumps(obj)",
          ("data = serpent.dumps(obj)",), "serpent.loads(data)"),
)
