"""A codec's serbench call against its documented library call, in one process, in
interleaved blocks (serbench.extensions.harness.interleaved): `python -m
serbench.extensions.harness.interleaved_codecs --codec orjson --payload records:1000
--scenario decode --json out.json`.

The floor is the codec's row of `floors.py` as `pyperf timeit` runs it: its set-up lines and
its statement in one `timeit.Timer` (pyperf timeit's template: set-up and loop in one
function, the set-up run again at every call of it, the GC left as the policy set it).
serbench's side is the codec built and bound as a cell builds it, timed by the cell's own loop
(`cells.loops.encode_loop`, `decode_loop` of a memoryview). A block's figure is its mean per
call. `serbench harness` runs this once per codec pair and round, beside the two
pyperf processes, so a miss between processes can be told apart from a cost of the call.
"""

from __future__ import annotations

import argparse
import itertools
import time
import timeit
from typing import Any

from serbench.cells.allocator import apply_malloc_policy
from serbench.cells.loops import decode_loop, encode_loop
from serbench.codecs import get_codec, joined
from serbench.codecs.bind import bound_codec
from serbench.common.vocabulary import MALLOC_STEADY
from serbench.extensions.harness.floors import FLOORS, floor_setup
from serbench.extensions.harness.interleaved import (
    RAW,
    SERBENCH,
    add_options,
    summarize,
    write_result,
)
from serbench.payloads.cache import made_payload
from serbench.stats.block_pairs import calls_per_block, interleave
from serbench.transport import placement


def measure(codec_name: str, spec: str, scenario: str, pairs: int, block_s: float,
            pin: str = "same", gc: str = "on", malloc: str = MALLOC_STEADY) -> dict[str, Any]:
    """Build both sides, warm them, interleave `pairs` pairs of blocks; the summary with the
    block figures (seconds per call) and the policies applied."""
    malloc_applied = apply_malloc_policy(malloc)  # first, as a cell does
    placement.pin_self(placement.cpus_for(pin)[0])
    row = FLOORS[codec_name]
    # pyperf timeit's template runs the set-up in every call of `inner` and leaves the GC as
    # it is; `Timer.timeit` would disable it, so the floor calls `inner` itself.
    timer = timeit.Timer(row.statement(scenario),
                         setup="\n".join(floor_setup(row, spec, scenario)))

    def floor(calls: int) -> float:
        return float(timer.inner(itertools.repeat(None, calls), time.perf_counter))  # type: ignore[attr-defined]

    made = made_payload(spec, None)
    codec = bound_codec(get_codec(codec_name), made)
    obj = codec.prepared(made.obj)
    mine = (encode_loop(codec, obj) if scenario == "encode"
            else decode_loop(codec, memoryview(joined(codec.encode(obj)))))
    calls = calls_per_block(floor, block_s)
    for timed in (floor, mine):  # warm both before the first timed block
        timed(calls)
    placement.apply_gc_policy(gc)
    blocks = interleave({RAW: lambda: floor(calls) / calls,
                         SERBENCH: lambda: mine(calls) / calls}, pairs)
    return {"codec": codec_name, "payload": spec, "scenario": scenario, "pairs": pairs,
            "calls_per_block": calls, "pin": pin, "gc": gc, "malloc": malloc,
            "malloc_applied": malloc_applied, "floor_call": row.statement(scenario),
            "blocks": blocks, **summarize(blocks)}


def main(argv: list[str] | None = None) -> None:
    """Measure one codec, payload and direction; write the summary as JSON."""
    parser = argparse.ArgumentParser(
        prog="python -m serbench.extensions.harness.interleaved_codecs",
        description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--codec", choices=sorted(FLOORS), required=True)
    parser.add_argument("--payload", required=True)
    parser.add_argument("--scenario", choices=("encode", "decode"), required=True)
    add_options(parser, block_s=0.02)
    args = parser.parse_args(argv)
    result = measure(args.codec, args.payload, args.scenario, args.pairs, args.block_s,
                     args.pin, args.gc, args.malloc)
    write_result(args.json, result, f"{args.scenario} {args.codec} {args.payload}, mean")


if __name__ == "__main__":
    main()
