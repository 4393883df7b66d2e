"""`serbench variance DIR`: where a run's variance comes from (between worker processes or
between values of one process) and the values per process that buy the most precision per
second. It reads a results directory; measure one with several values per worker, e.g.
`serbench run -p 8 -n 5 -o results/variance`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from serbench.cli.common import check_results_directory
from serbench.cli.helptext import command_help
from serbench.common.errors import UserError
from serbench.results import files as results
from serbench.stats.variance import Components, components, summary_by_scenario

if TYPE_CHECKING:
    from serbench.cli.common import Subparsers


def add_variance_command(sub: Subparsers) -> None:
    """Register `variance` on the CLI's subparsers."""
    p = sub.add_parser("variance", **command_help("variance"))
    p.add_argument("directory", metavar="DIR", help="a results directory whose workers "
                   "measured two or more values each")
    p.set_defaults(func=cmd_variance)


def cmd_variance(args: argparse.Namespace) -> int:
    """Print the median variance components per scenario, and n*."""
    from tabulate import tabulate


    directory = Path(args.directory)
    check_results_directory(directory)
    found: list[tuple[str, Components]] = []
    for path in sorted(directory.glob("*.json")):
        if path.name == results.ENVIRONMENT:
            continue
        for bench in results.load_suite(path).get_benchmarks():
            comp = components(bench)
            if comp is not None:
                found.append((bench.get_name().split("/")[0], comp))
    if not found:
        raise UserError(f"{directory}: no benchmark has two workers of two or more values "
                        "each; measure with e.g. serbench run -p 8 -n 5")
    print(tabulate(summary_by_scenario(found),
                   headers=["scenario", "cells", "within-process SD", "between-process SD",
                            "value (s)", "process (s)", "best values/process"],
                   disable_numparse=True))
    print("\nSDs are relative to each cell's mean (medians over cells). A process costs its "
          "start, imports,\nset-up and warm-ups; n* = sqrt((process/value) * (within/between)^2)"
          " (Kalibera & Jones, ISMM 2013).")
    return 0
