"""The timed loops of every scenario, kept apart from pyperf so they can be read in one place.

What each loop times (everything else, connection, payload and codec set-up, happens before):
- `encode`: `codec.encode(obj)`;
- `decode`: `codec.decode(view)` of the codec's own encoding, as a memoryview;
- `roundtrip`: `send_frame(sock, codec.encode(obj))` then `codec.decode(reader.read_frame())`
  (what `Connection.request` does, inlined): the client encodes and sends one frame, the
  server decodes and re-encodes the decoded object, the client reads the reply into its
  buffer and decodes it. Every request is timed on its own with one chained
  `perf_counter_ns()` into a preallocated `array('q')`;
- `stream`: `batch` x `send_frame(sock, codec.encode(obj))` back to back, then one read of the
  server's acknowledgement (the server decodes every frame before it acknowledges).
Every codec takes exactly this path: the loops see a codec only through `encode` and `decode`.
"""

from __future__ import annotations

import time
from array import array
from collections.abc import Callable
from itertools import repeat
from typing import Any

from serbench.codecs import Codec
from serbench.transport.connection import Connection
from serbench.transport.framing import send_frame

TimeFunc = Callable[[int], float]


def call_loop(call: Callable[[Any], Any], arg: Any) -> TimeFunc:
    """Time `loops` calls of `call(arg)`: the in-process scenarios."""
    clock = time.perf_counter

    def timed(loops: int) -> float:
        t0 = clock()
        for _ in repeat(None, loops):  # pyperf timeit's loop: no int per iteration
            call(arg)
        return clock() - t0

    return timed


def recorded_loop(call: Callable[[Any], Any], arg: Any, samples: list[array[int]]) -> TimeFunc:
    """Time `loops` calls of `call(arg)`, each on its own with one chained `perf_counter_ns()`
    into a preallocated `array('q')`, appended to `samples`: the round trips of the paths (the
    native codec's, and the harness's hand-written loops)."""
    clock = time.perf_counter_ns

    def timed(loops: int) -> float:
        lat = array("q", bytes(8 * loops))
        t0 = prev = clock()
        for i in range(loops):
            call(arg)
            now = clock()
            lat[i] = now - prev
            prev = now
        samples.append(lat)
        return (prev - t0) / 1e9

    return timed


def encode_loop(codec: Codec, obj: Any) -> TimeFunc:
    """Time `loops` encodes of `obj`."""
    return call_loop(codec.encode, obj)


def decode_loop(codec: Codec, view: memoryview) -> TimeFunc:
    """Time `loops` decodes of one encoded message."""
    return call_loop(codec.decode, view)


def roundtrip_loop(codec: Codec, obj: Any, conn: Connection,
                   samples: list[array[int]]) -> TimeFunc:
    """Time `loops` request/reply round trips; append each call's per-request ns to `samples`."""
    encode, decode = codec.encode, codec.decode
    sock, read = conn.sock, conn.reader.read_frame
    clock = time.perf_counter_ns

    def timed(loops: int) -> float:
        lat = array("q", bytes(8 * loops))
        t0 = prev = clock()
        for i in range(loops):
            send_frame(sock, encode(obj))
            decode(read())
            now = clock()
            lat[i] = now - prev
            prev = now
        samples.append(lat)
        return (prev - t0) / 1e9

    return timed


def stream_loop(codec: Codec, obj: Any, conn: Connection, batch: int) -> TimeFunc:
    """Time `loops` batches of `batch` frames, each batch closed by the server's ack."""
    encode, sock, read_ack = codec.encode, conn.sock, conn.read_ack
    clock = time.perf_counter

    def timed(loops: int) -> float:
        t0 = clock()
        for _ in repeat(None, loops):
            for _ in repeat(None, batch):
                send_frame(sock, encode(obj))
            read_ack()
        return clock() - t0

    return timed
