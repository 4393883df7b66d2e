"""`serbench report` and `serbench compare`: read results directories, never run anything."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def add_report_commands(sub: Any) -> None:
    """Register `report` and `compare` on the CLI's subparsers."""
    p = sub.add_parser("report", help="charts, report.html and report.md from a results "
                       "directory (nothing is re-run)")
    p.add_argument("directory", metavar="DIR", help="a results directory (from serbench run)")
    p.add_argument("-o", "--output", metavar="OUT",
                   help="write report.html, report.md and charts/ here (default: DIR)")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("compare", help="compare two runs cell by cell: B/A with significance")
    p.add_argument("dir_a", metavar="DIR_A", help="the baseline results directory")
    p.add_argument("dir_b", metavar="DIR_B", help="the results directory to compare with it")
    p.add_argument("--md", action="store_true", help="print Markdown instead of a text table")
    p.set_defaults(func=cmd_compare)


def cmd_report(args: argparse.Namespace) -> int:
    """Regenerate the report of one results directory."""
    from serbench.report import build_report

    directory = Path(args.directory)
    _check_directory(directory)
    paths = build_report(directory, Path(args.output) if args.output else None)
    charts = len([p for p in paths[2:] if p.suffix == ".png"])
    print(f"serbench report: {paths[0]}, {paths[1]} and {charts} charts in "
          f"{paths[2].parent if charts else paths[0].parent / 'charts'}")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    """Print run B against run A."""
    from serbench.report.compare import compare_runs, format_markdown, format_terminal

    for name in (args.dir_a, args.dir_b):
        _check_directory(Path(name))
    comparison = compare_runs(Path(args.dir_a), Path(args.dir_b))
    print(format_markdown(comparison) if args.md else format_terminal(comparison))
    return 0


def _check_directory(directory: Path) -> None:
    from serbench.results import ResultsError

    if not directory.is_dir():
        raise ResultsError(f"{directory}: no such results directory")
