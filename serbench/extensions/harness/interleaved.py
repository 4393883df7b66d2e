"""Two sides timed in one process, in interleaved blocks: what `serbench harness` uses to hold
serbench's call against a floor with the machine's phases taken out.

Two processes measured one after the other see different phases of a shared machine (on a
noisy 2-vCPU guest a pure-Python loop's speed moved 1.6-2.8x within seconds), and a target of
1.2x or ±5 % drowns in that. Here both sides run in one process, in blocks of about the same
length; the side that goes first alternates by pair, so each pair of blocks shares a phase,
and the figure is the median over pairs of serbench's block figure / the floor's.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from serbench.common.vocabulary import MALLOC_POLICIES, MALLOC_STEADY
from serbench.transport import placement

__all__ = ["RAW", "SERBENCH", "add_options", "calls_per_block", "interleave", "summarize",
           "write_result"]

RAW, SERBENCH = "raw", "serbench"
#: A trial shorter than this says too little about a call's cost (the clock's and the
#: loop's own cost); calls_per_block grows it tenfold until it is not.
_TRIAL_S = 0.001


def add_options(parser: argparse.ArgumentParser, block_s: float) -> None:
    """The options every check in one process takes: its blocks, a cell's placement, GC and
    allocator policy, and where its JSON goes."""
    parser.add_argument("--pairs", type=int, default=8, help="pairs of blocks")
    parser.add_argument("--block-s", type=float, default=block_s, help="seconds a block")
    parser.add_argument("--pin", choices=placement.PIN_MODES, default="same")
    parser.add_argument("--gc", choices=placement.GC_POLICIES, default="on")
    parser.add_argument("--malloc", choices=MALLOC_POLICIES, default=MALLOC_STEADY)
    parser.add_argument("--json", type=Path, required=True)


def calls_per_block(timed: Callable[[int], float], block_s: float) -> int:
    """How many calls make a block of about `block_s`: `timed(n)` (seconds for n calls) on
    1, 10, 100... calls until a trial lasts a millisecond."""
    n = 1
    while True:
        took = timed(n)
        if took >= _TRIAL_S or n >= 10**7:
            return max(1, int(block_s * n / max(took, 1e-9)))
        n *= 10


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
    """Each side's median block figure and the per-pair ratios serbench / raw (median,
    range)."""
    ratios = [s / r for s, r in zip(blocks[SERBENCH], blocks[RAW], strict=True)]
    return {"raw_s": statistics.median(blocks[RAW]),
            "serbench_s": statistics.median(blocks[SERBENCH]),
            "ratios": ratios, "ratio": statistics.median(ratios),
            "ratio_min": min(ratios), "ratio_max": max(ratios)}


def write_result(path: Path, result: dict[str, Any], what: str) -> None:
    """The result as JSON at `path`, and one line on stderr."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1), encoding="utf-8")
    print(f"{what}: serbench/raw median {result['ratio']:.3f} ({result['ratio_min']:.3f}-"
          f"{result['ratio_max']:.3f}) over {len(result['ratios'])} block pairs",
          file=sys.stderr)
