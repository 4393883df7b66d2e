"""Each built-in codec's library call without serbench: the `pyperf timeit` floor that
`serbench harness` holds serbench's encode and decode cells against.

The rows are written out by hand from each library's documentation, never derived from a
`Codec` object, so a codec whose `encode`/`decode` drifts from its documented call (a wrapper on
the timed path, a per-call encoder, other options) stops meeting the target. `check_floor`
checks only that a row and its codec still produce the same bytes, i.e. that they call the
same thing with the same options; how much each costs is the harness's measurement.

Decode floors are timed on `bytes`, what a user of the library holds; serbench hands its
decoders a `memoryview` of the receive buffer, and any cost of that shows in the ratio.
"""

from __future__ import annotations

import functools
from typing import Any

from serbench.codecs import Codec, joined
from serbench.common.vocabulary import PICKLE_PROTOCOL
from serbench.extensions.harness.floor_model import Floor
from serbench.extensions.harness.floors_schema import ROWS as SCHEMA_ROWS
from serbench.extensions.harness.floors_typed import ROWS as TYPED_ROWS
from serbench.extensions.harness.floors_zoo import ROWS as ZOO_ROWS
from serbench.payloads import make_payload, shape_of
from serbench.payloads.shapes import Shape, ShapeUnsupported

__all__ = ["FLOORS", "Floor", "check_floor", "floor_encoding", "floor_setup", "payload_once",
           "shape_once"]


_P = PICKLE_PROTOCOL

#: One row per built-in codec except the `null` floor codec (it calls no library).
FLOORS: dict[str, Floor] = {row.codec: row for row in (
    Floor("pickle", ("import pickle",), f"pickle.dumps(obj, {_P})",
          (f"data = pickle.dumps(obj, {_P})",), "pickle.loads(data)"),
    Floor("pickle-oob", ("import pickle",),
          f"buffers = []; pickle.dumps(obj, {_P}, buffer_callback=buffers.append)",
          ("buffers = []", f"data = pickle.dumps(obj, {_P}, buffer_callback=buffers.append)"),
          "pickle.loads(data, buffers=buffers)", framed=True),
    # The paths' own pickling, in process: multiprocessing's ForkingPickler at the default
    # protocol (serbench/codecs/native.py).
    Floor("native", ("import pickle",), "pickle.dumps(obj)",
          ("data = pickle.dumps(obj)",), "pickle.loads(data)"),
    Floor("cloudpickle", ("import cloudpickle",), f"cloudpickle.dumps(obj, {_P})",
          (f"data = cloudpickle.dumps(obj, {_P})",), "cloudpickle.loads(data)"),
    Floor("msgpack", ("import msgpack", "packer = msgpack.Packer()"), "packer.pack(obj)",
          ("data = msgpack.packb(obj)",), "msgpack.unpackb(data)"),
    Floor("cbor2", ("import cbor2",), "cbor2.dumps(obj)",
          ("data = cbor2.dumps(obj)",), "cbor2.loads(data)"),
    Floor("msgspec-msgpack",
          ("import msgspec", "encoder = msgspec.msgpack.Encoder()",
           "decoder = msgspec.msgpack.Decoder()"),
          "encoder.encode(obj)", ("data = encoder.encode(obj)",), "decoder.decode(data)"),
    Floor("orjson", ("import orjson",), "orjson.dumps(obj)",
          ("data = orjson.dumps(obj)",), "orjson.loads(data)"),
    Floor("json", ("import json",), "json.dumps(obj).encode()",
          ("data = json.dumps(obj).encode()",), "json.loads(data.decode())"),
    Floor("msgspec-json",
          ("import msgspec", "encoder = msgspec.json.Encoder()",
           "decoder = msgspec.json.Decoder()"),
          "encoder.encode(obj)", ("data = encoder.encode(obj)",), "decoder.decode(data)"),
    *ZOO_ROWS, *SCHEMA_ROWS, *TYPED_ROWS,
)}


def floor_setup(row: Floor, spec: str, scenario: str) -> list[str]:
    """The set-up statements of a floor row on the payload `spec`: its payload and shape, made
    once per process, then the row's own lines (what `pyperf timeit -s` runs before each
    value)."""
    return ["from serbench.extensions.harness.floors import payload_once, shape_once",
            f"obj = payload_once({spec!r})", f"shape = shape_once({spec!r})",
            *row.setup_lines(scenario)]


@functools.cache
def payload_once(spec: str) -> Any:
    """The payload of `spec`, made once per process.

    `pyperf timeit` reruns its set-up before every value; a floor that made its payload there
    would time a new object each value, where serbench's cell times one object made once.
    """
    return make_payload(spec).obj


@functools.cache
def shape_once(spec: str) -> Shape | None:
    """The payload's shape (declared or inferred), made once per process: what a schema or
    typed codec's row builds its schema or models from in set-up (None: it has none)."""
    try:
        return shape_of(make_payload(spec))
    except ShapeUnsupported:
        return None


def floor_encoding(floor: Floor, obj: Any, shape: Shape | None = None) -> bytes:
    """The bytes the floor's decode statement is timed on, made by running its set-up here
    (with `obj` the payload and `shape` its shape bound, as the harness's set-up binds them)."""
    namespace: dict[str, Any] = {"obj": obj, "shape": shape}
    exec("\n".join(floor.setup_lines("decode")), namespace)  # the table's own constant text
    data = namespace["data"]
    if not isinstance(data, bytes):
        raise TypeError(f"the {floor.codec} floor made {type(data).__name__}, not bytes")
    return data


def check_floor(floor: Floor, codec: Codec, obj: Any, label: str,
                shape: Shape | None = None) -> int:
    """Raise if `codec` no longer encodes `obj` to the floor's bytes; return their size.

    Equal bytes mean the row and the codec call the same library with the same options, so
    the pair compares like with like.
    """
    data = floor_encoding(floor, obj, shape)
    mine = joined(codec.encode(codec.prepared(obj)))
    same = mine.endswith(data) if floor.framed else mine == data
    if not same:
        raise RuntimeError(
            f"harness floor for {floor.codec} at {label}: the library call in its row "
            f"({floor.encode}) does not produce the bytes serbench's codec does "
            f"({codec.call_path}); update serbench/extensions/harness/floors.py")
    return len(mine)
