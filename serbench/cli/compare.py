"""`serbench compare`: run B against run A, cell by cell, with significance.

It only reads the two results directories; nothing is re-run."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from serbench.cli.common import EXIT_CHECK_FAILED, check_results_directory
from serbench.cli.helptext import command_help
from serbench.report.compare import compare_runs, slower_cells
from serbench.report.compare_text import format_markdown, format_terminal

if TYPE_CHECKING:
    from serbench.cli.common import Subparsers


def add_compare_command(sub: Subparsers) -> None:
    """Register `compare` on the CLI's subparsers."""
    p = sub.add_parser("compare", **command_help("compare"))
    p.add_argument("dir_a", metavar="DIR_A", help="the baseline results directory")
    p.add_argument("dir_b", metavar="DIR_B", help="the results directory to compare with it")
    p.add_argument("--md", action="store_true", help="print Markdown instead of a text table")
    p.add_argument("--absolute", action="store_true",
                   help="judge absolute times, not each cell against the whole run's B/A "
                        "(the machine's drift between the runs)")
    p.add_argument("--fail-slower", type=_percent, metavar="PCT",
                   help="exit 1 when any cell is significantly slower in B by more than PCT "
                        "percent (relative to the whole run's B/A unless --absolute): a CI "
                        "gate (docs/ci.md)")
    p.set_defaults(func=cmd_compare)


def _percent(text: str) -> float:
    """A threshold in percent (`10`, `10%`, `2.5`), zero or more."""
    try:
        value = float(text.strip().rstrip("%"))
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"not a percentage: {text!r} (e.g. 10 or 2.5%)")
    return value


def cmd_compare(args: argparse.Namespace) -> int:
    """Print run B against run A."""

    for name in (args.dir_a, args.dir_b):
        check_results_directory(Path(name))
    comparison = compare_runs(Path(args.dir_a), Path(args.dir_b), absolute=args.absolute)
    print(format_markdown(comparison) if args.md else format_terminal(comparison))
    if args.fail_slower is None:
        return 0
    slower = slower_cells(comparison, args.fail_slower)
    against = "absolute times" if comparison.factor is None else (
        f"relative to the whole run's B/A of {comparison.factor:.3f}")
    for cell in slower:
        assert cell.ratio is not None
        print(f"serbench compare: slower: {' '.join(k for k in cell.key if k)}: B/A "
              f"{cell.ratio.estimate:.3f} [{cell.ratio.low:.3f}, {cell.ratio.high:.3f}]",
              file=sys.stderr)
    verdict = (f"{len(slower)} cell(s) significantly slower in B by more than "
               f"{args.fail_slower:g}%" if slower else
               f"no cell significantly slower in B by more than {args.fail_slower:g}%")
    print(f"serbench compare: --fail-slower: {verdict} ({against})", file=sys.stderr)
    return EXIT_CHECK_FAILED if slower else 0
