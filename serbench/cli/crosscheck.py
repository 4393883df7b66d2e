"""`serbench crosscheck`: serbench's encode/decode figures against orjson's and msgspec's own
benchmark methods, on the same calls and inputs, in paired rounds (docs/crosscheck.md)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING

from serbench.cli.common import say, split_list
from serbench.cli.helptext import command_help
from serbench.common.errors import UserError
from serbench.common.units import parse_duration
from serbench.extensions.crosscheck.alternating import PAIRS
from serbench.extensions.crosscheck.documents import CORPUS_DOCUMENTS
from serbench.extensions.crosscheck.output import format_alternating, format_rows, summary_line
from serbench.extensions.crosscheck.pytest_method import PytestBudget
from serbench.extensions.crosscheck.run import (
    MODES,
    PEERS,
    ROUNDS,
    TOLERANCE,
    CrossConfig,
    run_crosscheck,
    split_pytest_budget,
)

if TYPE_CHECKING:
    from serbench.cli.common import Subparsers

#: --quick: pytest-benchmark's times per round, and serbench's total (every run at its minimum).
QUICK_PYTEST = PytestBudget(0.05, 0.2)
QUICK_SERBENCH_S = 1.0


def add_crosscheck_command(sub: Subparsers) -> None:
    """Register `crosscheck` on the CLI's subparsers."""
    p = sub.add_parser("crosscheck", **command_help("crosscheck"))
    p.add_argument("-o", "--output", metavar="DIR",
                   help="results directory (default: results/crosscheck-<time>)")
    p.add_argument("--peers", default=",".join(PEERS),
                   help="peer methods to run (default: orjson,msgspec)")
    p.add_argument("--documents", default=",".join(CORPUS_DOCUMENTS),
                   help="corpus documents for orjson's method (default: all four)")
    p.add_argument("--rounds", type=int, default=ROUNDS, metavar="K",
                   help="paired rounds: per round and document, serbench's run and the peer's "
                        "method back to back, the first alternating (default: 3, minimum 1)")
    p.add_argument("--time", default="3m", metavar="DURATION",
                   help="serbench's total time budget, split over rounds and documents; each "
                        "run still times its minimum rounds of workers (default: 3m)")
    p.add_argument("--pytest-times", metavar="MIN,MAX",
                   help="pytest-benchmark's --benchmark-min-time and --benchmark-max-time in "
                        "each round (default: orjson's 1s,5s divided by --rounds; 1s,5s gives "
                        "orjson's own in every round, about K times as long)")
    p.add_argument("--malloc", choices=["steady", "default"], default="steady",
                   help="serbench's allocator policy (default: steady)")
    p.add_argument("--mode", choices=MODES, default="both",
                   help="rounds: the peers' whole methods in paired rounds; alternating: "
                        "serbench's worker and the peer's process set up side by side, taking "
                        "turns in 20 ms blocks on one CPU; both (default)")
    p.add_argument("--pairs", type=int, default=PAIRS, metavar="N",
                   help=f"pairs of blocks per case and round, alternating (default: {PAIRS})")
    p.add_argument("--history", choices=["on", "off"], default="on",
                   help="alternating: the peer's process runs the document's earlier cases "
                        "first, as its method does (on, default), or starts at the case (off)")
    p.add_argument("--quick", action="store_true",
                   help="pytest-benchmark at 0.05 s/0.2 s per round and serbench at its minimum "
                        "rounds, still --rounds paired rounds (checks that it works, not a "
                        "figure)")
    p.set_defaults(func=cmd_crosscheck)


def pytest_times(text: str | None, rounds: int) -> PytestBudget:
    """`--pytest-times MIN,MAX`, or orjson's times split over the rounds."""
    if text is None:
        return split_pytest_budget(rounds)
    parts = split_list(text)
    if len(parts) != 2:
        raise UserError(f"--pytest-times takes MIN,MAX (e.g. 1s,5s), not {text!r}")
    low, high = (parse_duration(part, positive=True) for part in parts)
    if low > high:
        raise UserError(f"--pytest-times: MIN is above MAX in {text!r}")
    return PytestBudget(low, high)


def config(args: argparse.Namespace) -> CrossConfig:
    """The run's configuration from the command line; a bad value is one UserError line."""
    peers = tuple(split_list(args.peers))
    unknown = [p for p in peers if p not in PEERS]
    if unknown:
        raise UserError(f"unknown peer method {unknown[0]!r}; known: {', '.join(PEERS)}")
    documents = tuple(split_list(args.documents))
    bad = [d for d in documents if d not in CORPUS_DOCUMENTS]
    if bad:
        raise UserError(f"unknown document {bad[0]!r}; known: {', '.join(CORPUS_DOCUMENTS)}")
    if args.rounds < 1:
        raise UserError(f"--rounds must be 1 or more, not {args.rounds}")
    if args.pairs < 1:
        raise UserError(f"--pairs must be 1 or more, not {args.pairs}")
    outdir = Path(args.output or Path("results") / time.strftime("crosscheck-%Y%m%d-%H%M%S"))
    total_s = parse_duration(args.time, positive=True)
    budget = pytest_times(args.pytest_times, args.rounds)
    if args.quick:
        total_s, budget = QUICK_SERBENCH_S, QUICK_PYTEST
    return CrossConfig(outdir, peers, documents, total_s, budget, args.malloc, args.rounds,
                       mode=args.mode, pairs=args.pairs, history=args.history == "on")


def cmd_crosscheck(args: argparse.Namespace) -> int:
    """Run the parts asked for and print their tables; exit 0 (a disagreement is a finding,
    not an error)."""
    cfg = config(args)
    result = run_crosscheck(cfg, lambda line: say("crosscheck", line))
    files = []
    if result.rounds:
        print("The peers' whole methods, in paired rounds:")
        print(format_rows(result.rounds))
        print(summary_line(result.rounds, TOLERANCE))
        files += ["crosscheck.csv", "crosscheck-rounds.csv", "round-N/ with each side's output"]
    if result.alternating:
        print("serbench's worker and the peer's process, alternating 20 ms blocks on one CPU:")
        print(format_alternating(result.alternating))
        print(summary_line(result.alternating, TOLERANCE))
        files += ["crosscheck-alternating.csv", "crosscheck-alternating-rounds.csv",
                  "alternating/ with each side's log"]
    print(f"serbench crosscheck: results in {cfg.outdir} ({', '.join(files)})")
    return 0
