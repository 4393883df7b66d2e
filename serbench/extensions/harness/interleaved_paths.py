"""A path's `null` round trip against its hand-written loop, in one process, in interleaved
blocks (serbench.extensions.harness.interleaved): `python -m
serbench.extensions.harness.interleaved_paths --transport zmq-ipc --size 64 --json out.json`.

One process opens both: the hand-written loop of `raw_paths` and its forked peer, and
serbench's path (`open_path`) timed by the cell's own loop (`path_loops.roundtrip_loop`) with
its forked peer. A block's figure is the median of its round trips. Placement, GC and
allocator policy are a cell's. `serbench harness` runs this once per round, each time in a
fresh process.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
from array import array
from typing import Any

from serbench.cells.allocator import apply_malloc_policy
from serbench.cells.loops import TimeFunc, recorded_loop
from serbench.cells.path_loops import roundtrip_loop
from serbench.codecs import get_codec
from serbench.common.vocabulary import FLOOR_CODEC, MALLOC_STEADY, PATH_TRANSPORTS
from serbench.extensions.harness.frames import FRAME_FACTORIES, bytes_with_pickle_size
from serbench.extensions.harness.interleaved import (
    RAW,
    SERBENCH,
    add_options,
    summarize,
    write_result,
)
from serbench.extensions.harness.raw_paths import OPENERS
from serbench.stats.block_pairs import calls_per_block, interleave
from serbench.transport import placement
from serbench.transport.paths import PathConfig, open_path


def block_p50(timed: TimeFunc, samples: list[array[int]], calls: int) -> float:
    """Run one block of `calls` round trips; its median per-call latency in seconds."""
    samples.clear()
    timed(calls)
    return statistics.median(samples[-1]) / 1e9


def measure(transport: str, size: int, pairs: int, block_s: float, pin: str = "same",
            gc: str = "on", malloc: str = MALLOC_STEADY) -> dict[str, Any]:
    """Open both sides, warm them, interleave `pairs` pairs of blocks; the summary with the
    block figures and the policies applied."""
    malloc_applied = apply_malloc_policy(malloc)  # first, as a cell does
    client_cpu, peer_cpu = placement.cpus_for(pin)
    placement.pin_self(client_cpu)
    codec = get_codec(FLOOR_CODEC)
    frame = codec.prepared(bytes_with_pickle_size(size))  # what `null` ships: both sides send it
    samples: list[array[int]] = []
    with contextlib.ExitStack() as cleanup:
        raw_timed = recorded_loop(OPENERS[transport](cleanup, peer_cpu, size), frame, samples)
        config = PathConfig(codec=FLOOR_CODEC, payload=FRAME_FACTORIES[size], cpu=peer_cpu)
        path = cleanup.enter_context(open_path(transport, config))
        path.start("roundtrip", None)
        mine_timed = roundtrip_loop(codec, frame, path, samples)
        calls = calls_per_block(raw_timed, block_s)
        for timed in (raw_timed, mine_timed):  # warm both before the first timed block
            block_p50(timed, samples, calls)
        placement.apply_gc_policy(gc)
        blocks = interleave({RAW: lambda: block_p50(raw_timed, samples, calls),
                             SERBENCH: lambda: block_p50(mine_timed, samples, calls)}, pairs)
    return {"transport": transport, "bytes": len(frame), "pairs": pairs,
            "calls_per_block": calls, "pin": pin, "gc": gc, "malloc": malloc,
            "malloc_applied": malloc_applied, "blocks": blocks, **summarize(blocks)}



def main(argv: list[str] | None = None) -> None:
    """Measure one transport and frame size; write the summary as JSON."""
    parser = argparse.ArgumentParser(prog="python -m serbench.extensions.harness.interleaved_paths",
                                     description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--transport", choices=PATH_TRANSPORTS, required=True)
    parser.add_argument("--size", type=int, choices=sorted(FRAME_FACTORIES), required=True)
    add_options(parser, block_s=0.05)
    args = parser.parse_args(argv)
    result = measure(args.transport, args.size, args.pairs, args.block_s, args.pin, args.gc,
                     args.malloc)
    write_result(args.json, result, f"{args.transport} {result['bytes']} B, p50")


if __name__ == "__main__":
    main()
