"""`serbench crosscheck`: serbench's encode/decode figures against orjson's and msgspec's own
benchmark methods, on the same calls and inputs (docs/crosscheck.md)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING

from serbench.cli.common import say, split_list
from serbench.cli.helptext import command_help
from serbench.common.errors import UserError
from serbench.extensions.crosscheck.documents import CORPUS_DOCUMENTS
from serbench.extensions.crosscheck.output import format_rows, summary_line
from serbench.extensions.crosscheck.pytest_method import PytestBudget
from serbench.extensions.crosscheck.run import PEERS, TOLERANCE, CrossConfig, run_crosscheck

if TYPE_CHECKING:
    from serbench.cli.common import Subparsers


def add_crosscheck_command(sub: Subparsers) -> None:
    """Register `crosscheck` on the CLI's subparsers."""
    p = sub.add_parser("crosscheck", **command_help("crosscheck"))
    p.add_argument("-o", "--output", metavar="DIR",
                   help="results directory (default: results/crosscheck-<time>)")
    p.add_argument("--peers", default=",".join(PEERS),
                   help="peer methods to run (default: orjson,msgspec)")
    p.add_argument("--documents", default=",".join(CORPUS_DOCUMENTS),
                   help="corpus documents for orjson's method (default: all four)")
    p.add_argument("--time", default="3m", help="serbench's time budget (default: 3m)")
    p.add_argument("--malloc", choices=["steady", "default"], default="steady",
                   help="serbench's allocator policy (default: steady)")
    p.add_argument("--quick", action="store_true",
                   help="pytest-benchmark at 0.05 s/0.2 s and serbench at its minimum rounds "
                        "(checks that it works, not a figure)")
    p.set_defaults(func=cmd_crosscheck)


def cmd_crosscheck(args: argparse.Namespace) -> int:
    """Run both sides and print the table; exit 0 (a disagreement is a finding, not an error)."""
    peers = tuple(split_list(args.peers))
    unknown = [p for p in peers if p not in PEERS]
    if unknown:
        raise UserError(f"unknown peer method {unknown[0]!r}; known: {', '.join(PEERS)}")
    documents = tuple(split_list(args.documents))
    bad = [d for d in documents if d not in CORPUS_DOCUMENTS]
    if bad:
        raise UserError(f"unknown document {bad[0]!r}; known: {', '.join(CORPUS_DOCUMENTS)}")
    outdir = Path(args.output or Path("results") / time.strftime("crosscheck-%Y%m%d-%H%M%S"))
    budget = PytestBudget(0.05, 0.2) if args.quick else PytestBudget()
    cfg = CrossConfig(outdir, peers, documents, "1s" if args.quick else args.time, budget,
                      args.malloc)
    rows = run_crosscheck(cfg, lambda line: say("crosscheck", line))
    print(format_rows(rows))
    print(summary_line(rows, TOLERANCE))
    print(f"serbench crosscheck: results in {outdir} (crosscheck.csv, serbench/, "
          "orjson-method/, msgspec-method/)")
    return 0
