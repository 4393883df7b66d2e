"""`serbench report`: charts, report.html and report.md from a results directory.

It only reads results; nothing is re-run, so a report can be rebuilt anywhere."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from serbench.cli.common import SUMMARIES, check_results_directory
from serbench.extensions.fleet.merge import read_fleet
from serbench.extensions.fleet.report import build_fleet_report
from serbench.report.build import build_report

if TYPE_CHECKING:
    from serbench.cli.common import Subparsers


def add_report_command(sub: Subparsers) -> None:
    """Register `report` on the CLI's subparsers."""
    p = sub.add_parser("report", help=SUMMARIES["report"])
    p.add_argument("directory", metavar="DIR", help="a results directory (from serbench run)")
    p.add_argument("-o", "--output", metavar="OUT",
                   help="write report.html, report.md and charts/ here (default: DIR)")
    p.set_defaults(func=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    """Regenerate the report of one results directory."""
    directory = Path(args.directory)
    check_results_directory(directory)
    paths = write_report(directory, Path(args.output) if args.output else None)
    charts = len([p for p in paths[2:] if p.suffix == ".png"])
    print(f"serbench report: {paths[0]}, {paths[1]} and {charts} charts in "
          f"{paths[2].parent if charts else paths[0].parent / 'charts'}")
    return 0


def write_report(directory: Path, out: Path | None = None) -> list[Path]:
    """The report of a run, or of `serbench merge`'s output: each machine's report, then the
    machines side by side. Returns [report.html, report.md, *chart files]."""
    fleet = read_fleet(directory)
    if fleet is not None:
        return build_fleet_report(directory, fleet, out, build_report)
    return build_report(directory, out)
