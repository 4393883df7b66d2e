"""A path's `null` round trip against its hand-written loop, in one process, in interleaved
blocks: `python -m serbench.extensions.harness.interleaved_paths --transport zmq-ipc --size 64
--json out.json`.

Two processes measured one after the other see different phases of a shared machine (on a
noisy 2-vCPU guest a pure-Python loop's speed moves 1.6-2.8x within seconds), and a 1.2x target
drowns in that. Here one process opens both: the hand-written loop of `raw_paths` and its
forked peer, and serbench's path (`open_path`) timed by the cell's own loop
(`path_loops.roundtrip_loop`) with its forked peer. Blocks of about `--block-s` each alternate
(raw then serbench, then serbench then raw, ...), so each pair of blocks shares the machine's
phase; the figure is the median over pairs of serbench's block p50 / the loop's block p50.
Placement, GC and allocator policy are a cell's. `serbench harness` runs this once per round,
each time in a fresh process.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import pickle
import statistics
import sys
from array import array
from collections.abc import Callable
from pathlib import Path
from typing import Any

from serbench.cells.allocator import apply_malloc_policy
from serbench.cells.loops import TimeFunc, recorded_loop
from serbench.cells.path_loops import roundtrip_loop
from serbench.codecs import get_codec
from serbench.codecs.pickle_codecs import PROTOCOL
from serbench.common.vocabulary import FLOOR_CODEC, MALLOC_POLICIES, MALLOC_STEADY, PATH_TRANSPORTS
from serbench.extensions.harness.frames import bytes_with_pickle_size
from serbench.extensions.harness.raw_paths import OPENERS
from serbench.transport import placement
from serbench.transport.paths import PathConfig, open_path

RAW, SERBENCH = "raw", "serbench"
#: The payload factory of each frame size (what the peer binds serbench's codec to).
FRAME_FACTORIES = {64: "serbench.extensions.harness.frames:frame_64",
                   2**20: "serbench.extensions.harness.frames:frame_1m"}


def block_p50(timed: TimeFunc, samples: list[array[int]], calls: int) -> float:
    """Run one block of `calls` round trips; its median per-call latency in seconds."""
    samples.clear()
    timed(calls)
    return statistics.median(samples[-1]) / 1e9


def interleave(sides: dict[str, Callable[[], float]], pairs: int) -> dict[str, list[float]]:
    """Run `pairs` pairs of blocks, the side that goes first alternating by pair; each side's
    block figures in pair order."""
    names = list(sides)
    out: dict[str, list[float]] = {name: [] for name in names}
    for i in range(pairs):
        for name in (names if i % 2 == 0 else names[::-1]):
            out[name].append(sides[name]())
    return out


def summarize(blocks: dict[str, list[float]]) -> dict[str, Any]:
    """Each side's median block p50 and the per-pair ratios serbench / raw (median, range)."""
    ratios = [s / r for s, r in zip(blocks[SERBENCH], blocks[RAW], strict=True)]
    return {"raw_p50_s": statistics.median(blocks[RAW]),
            "serbench_p50_s": statistics.median(blocks[SERBENCH]),
            "ratios": ratios, "ratio": statistics.median(ratios),
            "ratio_min": min(ratios), "ratio_max": max(ratios)}


def calls_per_block(timed: TimeFunc, samples: list[array[int]], block_s: float) -> int:
    """How many round trips make a block of about `block_s` (from a short untimed trial)."""
    samples.clear()
    trial = timed(20)
    return max(20, int(block_s / max(trial / 20, 1e-9)))


def measure(transport: str, size: int, pairs: int, block_s: float, pin: str = "same",
            gc: str = "on", malloc: str = MALLOC_STEADY) -> dict[str, Any]:
    """Open both sides, warm them, interleave `pairs` pairs of blocks; the summary with the
    block figures and the policies applied."""
    malloc_applied = apply_malloc_policy(malloc)  # first, as a cell does
    client_cpu, peer_cpu = placement.cpus_for(pin)
    placement.pin_self(client_cpu)
    value = bytes_with_pickle_size(size)
    frame = pickle.dumps(value, protocol=PROTOCOL)
    codec = get_codec(FLOOR_CODEC)
    samples: list[array[int]] = []
    with contextlib.ExitStack() as cleanup:
        raw_timed = recorded_loop(OPENERS[transport](cleanup, peer_cpu, size), frame, samples)
        config = PathConfig(codec=FLOOR_CODEC, payload=FRAME_FACTORIES[size], cpu=peer_cpu)
        path = cleanup.enter_context(open_path(transport, config))
        path.start("roundtrip", None)
        mine_timed = roundtrip_loop(codec, codec.prepared(value), path, samples)
        calls = calls_per_block(raw_timed, samples, block_s)
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
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--transport", choices=PATH_TRANSPORTS, required=True)
    parser.add_argument("--size", type=int, choices=sorted(FRAME_FACTORIES), required=True)
    parser.add_argument("--pairs", type=int, default=8)
    parser.add_argument("--block-s", type=float, default=0.05)
    parser.add_argument("--pin", choices=placement.PIN_MODES, default="same")
    parser.add_argument("--gc", choices=placement.GC_POLICIES, default="on")
    parser.add_argument("--malloc", choices=MALLOC_POLICIES, default=MALLOC_STEADY)
    parser.add_argument("--json", type=Path, required=True)
    args = parser.parse_args(argv)
    result = measure(args.transport, args.size, args.pairs, args.block_s, args.pin, args.gc,
                     args.malloc)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=1), encoding="utf-8")
    print(f"{args.transport} {result['bytes']} B: serbench/raw p50 median {result['ratio']:.3f} "
          f"({result['ratio_min']:.3f}-{result['ratio_max']:.3f}) over {args.pairs} block pairs",
          file=sys.stderr)


if __name__ == "__main__":
    main()
