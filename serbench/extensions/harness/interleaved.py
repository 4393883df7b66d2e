"""Two sides timed in one process, in interleaved blocks: what `serbench harness` uses to hold
serbench's call against a floor with the machine's phases taken out.

Both sides run in one process, in alternating blocks (`serbench.stats.block_pairs`: why, the
schedule and the block size); the figure is the median over pairs of serbench's block figure /
the floor's.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any

from serbench.common.vocabulary import MALLOC_POLICIES, MALLOC_STEADY
from serbench.stats.block_pairs import pair_ratios
from serbench.transport import placement

__all__ = ["RAW", "SERBENCH", "add_options", "summarize", "write_result"]

RAW, SERBENCH = "raw", "serbench"


def add_options(parser: argparse.ArgumentParser, block_s: float) -> None:
    """The options every check in one process takes: its blocks, a cell's placement, GC and
    allocator policy, and where its JSON goes."""
    parser.add_argument("--pairs", type=int, default=8, help="pairs of blocks")
    parser.add_argument("--block-s", type=float, default=block_s, help="seconds a block")
    parser.add_argument("--pin", choices=placement.PIN_MODES, default="same")
    parser.add_argument("--gc", choices=placement.GC_POLICIES, default="on")
    parser.add_argument("--malloc", choices=MALLOC_POLICIES, default=MALLOC_STEADY)
    parser.add_argument("--json", type=Path, required=True)


def summarize(blocks: dict[str, list[float]]) -> dict[str, Any]:
    """Each side's median block figure and the per-pair ratios serbench / raw (median,
    range)."""
    ratios = pair_ratios(blocks[SERBENCH], blocks[RAW])
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
