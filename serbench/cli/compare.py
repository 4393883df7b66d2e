"""`serbench compare`: run B against run A, cell by cell, with significance.

It only reads the two results directories; nothing is re-run."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from serbench.cli.common import SUMMARIES, check_results_directory
from serbench.report.compare import compare_runs
from serbench.report.compare_text import format_markdown, format_terminal

if TYPE_CHECKING:
    from serbench.cli.common import Subparsers


def add_compare_command(sub: Subparsers) -> None:
    """Register `compare` on the CLI's subparsers."""
    p = sub.add_parser("compare", help=SUMMARIES["compare"])
    p.add_argument("dir_a", metavar="DIR_A", help="the baseline results directory")
    p.add_argument("dir_b", metavar="DIR_B", help="the results directory to compare with it")
    p.add_argument("--md", action="store_true", help="print Markdown instead of a text table")
    p.add_argument("--absolute", action="store_true",
                   help="judge absolute times, not each cell against the whole run's B/A "
                        "(the machine's drift between the runs)")
    p.set_defaults(func=cmd_compare)


def cmd_compare(args: argparse.Namespace) -> int:
    """Print run B against run A."""

    for name in (args.dir_a, args.dir_b):
        check_results_directory(Path(name))
    comparison = compare_runs(Path(args.dir_a), Path(args.dir_b), absolute=args.absolute)
    print(format_markdown(comparison) if args.md else format_terminal(comparison))
    return 0
