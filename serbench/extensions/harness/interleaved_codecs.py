"""A codec's serbench call against its documented library call, in one process, in
interleaved blocks (serbench.extensions.harness.interleaved): `python -m
serbench.extensions.harness.interleaved_codecs --codec orjson --payload records:1000
--scenario decode --json out.json`.

The floor is the codec's row of `floors.py`: its set-up lines run once, then its statement in
timeit's loop with the set-up's names as locals (`floor_loop`), the GC left as the policy set
it.
serbench's side is the codec built and bound as a cell builds it, timed by the cell's own loop
(`cells.loops.encode_loop`, `decode_loop` of a memoryview). A block's figure is its mean per
call. `serbench harness` runs this once per codec pair and round, beside the two
pyperf processes, so a miss between processes can be told apart from a cost of the call.
"""

from __future__ import annotations

import argparse
import itertools
import time
from collections.abc import Sequence
from typing import Any

from serbench.cells.allocator import apply_malloc_policy
from serbench.cells.loops import TimeFunc, decode_loop, encode_loop
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

_FLOOR_TEMPLATE = """
def inner(_it, _timer, {bound}):
    _t0 = _timer()
    for _i in _it:
        {statement}
    return _timer() - _t0
"""


def floor_loop(statement: str, setup: Sequence[str]) -> TimeFunc:
    """The floor's statement in timeit's loop, its set-up run once beforehand.

    pyperf timeit runs the set-up inside the timed function, again for every value, so each
    value builds fresh objects (a cattrs converter generates its code on its first call, inside
    the loop) and leaves their garbage to the GC; here, where a block is a value, that would be
    timed once per block. The set-up's names the statement uses are bound as the function's
    defaults, so the statement reads them as locals, as in pyperf's template."""
    namespace: dict[str, Any] = {}
    exec("\n".join(setup), namespace)  # the floor table's own constant text
    used = [n for n in compile(statement, "<floor>", "exec").co_names if n in namespace]
    source = _FLOOR_TEMPLATE.format(bound=", ".join(f"{n}={n}" for n in used),
                                    statement=statement.replace("\n", "\n" + " " * 8))
    exec(source, namespace)
    inner = namespace["inner"]

    def timed(calls: int) -> float:
        return float(inner(itertools.repeat(None, calls), time.perf_counter))

    return timed


def measure(codec_name: str, spec: str, scenario: str, pairs: int, block_s: float,
            pin: str = "same", gc: str = "on", malloc: str = MALLOC_STEADY) -> dict[str, Any]:
    """Build both sides, warm them, interleave `pairs` pairs of blocks; the summary with the
    block figures (seconds per call) and the policies applied."""
    malloc_applied = apply_malloc_policy(malloc)  # first, as a cell does
    placement.pin_self(placement.cpus_for(pin)[0])
    row = FLOORS[codec_name]
    floor = floor_loop(row.statement(scenario), floor_setup(row, spec, scenario))
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
