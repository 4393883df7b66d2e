"""The timed loops over the paths (serbench.transport.paths), and the one call a cell makes to
open its path.

What each loop times, as `loops.py` does for sockets:
- `roundtrip`: `decode(path.roundtrip(encode(obj)))`: the client encodes, the path carries the
  frame to its peer, which decodes, re-encodes and answers, and the client decodes the reply;
  each request timed on its own into a preallocated `array('q')`. With the native codec the
  object itself goes in and comes out (`path.roundtrip(obj)`): the path's pickling is the codec.
- `stream`: `batch` x `path.send(encode(obj))`, then `path.read_ack()`: the peer decodes every
  frame before it acknowledges the batch.
"""

from __future__ import annotations

import argparse
import contextlib
import time
from array import array
from typing import Any

from serbench.cells.loops import TimeFunc, recorded_loop
from serbench.codecs import Codec
from serbench.common.vocabulary import NATIVE_CODEC
from serbench.transport.paths import PathBase, PathConfig, open_path
from serbench.transport.paths.base import check_frame

__all__ = ["open_cell_path", "path_loop", "roundtrip_loop", "stream_loop"]


def open_cell_path(args: argparse.Namespace, cleanup: contextlib.ExitStack,
                   cpu: int | None) -> PathBase:
    """Open the cell's path (its peer forked now, before the payload exists), closed by
    `cleanup` however the worker ends."""
    config = PathConfig(codec=args.codec, payload=args.payload,
                        payload_cache=args.payload_cache, max_frame=args.max_frame,
                        timeout_s=args.io_timeout, cpu=cpu, native=args.codec == NATIVE_CODEC)
    return cleanup.enter_context(open_path(args.transport, config))


def path_loop(scenario: str, codec: Codec, obj: Any, path: PathBase, size: int,
              batch: int | None, samples: list[array[int]]) -> TimeFunc:
    """Start the path in `scenario` and return its timed loop; a frame over `--max-frame` is
    refused here, before anything is sent."""
    check_frame(size, path.config.max_frame, path.name)
    path.start(scenario, batch)
    native = path.config.native
    if scenario == "roundtrip":
        return roundtrip_loop(codec, obj, path, samples, native=native)
    assert batch is not None
    return stream_loop(codec, obj, path, batch, native=native)


def roundtrip_loop(codec: Codec, obj: Any, path: PathBase, samples: list[array[int]], *,
                   native: bool = False) -> TimeFunc:
    """Time `loops` round trips; append each call's per-request ns to `samples`."""
    roundtrip = path.roundtrip
    if native:
        return recorded_loop(roundtrip, obj, samples)
    clock = time.perf_counter_ns
    encode, decode = codec.encode, codec.decode

    def timed_codec(loops: int) -> float:
        lat = array("q", bytes(8 * loops))
        t0 = prev = clock()
        for i in range(loops):
            decode(_view(roundtrip(encode(obj))))
            now = clock()
            lat[i] = now - prev
            prev = now
        samples.append(lat)
        return (prev - t0) / 1e9

    return timed_codec


def stream_loop(codec: Codec, obj: Any, path: PathBase, batch: int, *,
                native: bool = False) -> TimeFunc:
    """Time `loops` batches of `batch` frames, each batch closed by the peer's ack."""
    send, read_ack = path.send, path.read_ack
    clock = time.perf_counter
    if native:
        def timed_native(loops: int) -> float:
            t0 = clock()
            for _ in range(loops):
                for _ in range(batch):
                    send(obj)
                read_ack()
            return clock() - t0

        return timed_native
    encode = codec.encode

    def timed(loops: int) -> float:
        t0 = clock()
        for _ in range(loops):
            for _ in range(batch):
                send(encode(obj))
            read_ack()
        return clock() - t0

    return timed


def _view(reply: Any) -> memoryview:
    """A decoder takes a memoryview (the codec contract); a path may hand back bytes."""
    return reply if type(reply) is memoryview else memoryview(reply)
