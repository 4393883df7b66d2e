"""`serbench report`: charts, report.html and report.md from a results directory.

It only reads results; nothing is re-run, so a report can be rebuilt anywhere."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from serbench.cli.common import check_results_directory
from serbench.cli.helptext import command_help
from serbench.common.errors import UserError
from serbench.extensions.fleet.merge import read_fleet
from serbench.extensions.fleet.report import build_fleet_report
from serbench.report.build import build_report
from serbench.report.data import load_run
from serbench.report.verdict import verdict_text

if TYPE_CHECKING:
    from serbench.cli.common import Subparsers


def add_report_command(sub: Subparsers) -> None:
    """Register `report` on the CLI's subparsers."""
    p = sub.add_parser("report", **command_help("report"))
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
    print_verdict(directory)
    return 0


def print_verdict(directory: Path) -> None:
    """The verdict, last on the terminal (hyperfine's style): per payload and measure the
    fastest codec. Nothing for a fleet directory (machines are never ranked together) or a
    directory whose results cannot be read (the report has said why)."""
    if read_fleet(directory) is not None:
        return
    try:
        lines = verdict_text(load_run(directory))
    except UserError:
        return
    if lines:
        print("\nverdict (fastest per payload and measure; ties said as ties):")
        print("\n".join(f"  {line}" for line in lines))


def write_report(directory: Path, out: Path | None = None) -> list[Path]:
    """The report of a run, or of `serbench merge`'s output: each machine's report, then the
    machines side by side. Returns [report.html, report.md, *chart files]."""
    fleet = read_fleet(directory)
    if fleet is not None:
        return build_fleet_report(directory, fleet, out, build_report)
    return build_report(directory, out)
