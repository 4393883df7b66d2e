"""`serbench merge DIR... -o OUT`: runs from several machines (or shards of one) as one fleet
directory, one results directory per machine; `serbench report OUT` puts them side by side."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from serbench.cli.helptext import command_help
from serbench.cli.report import write_report
from serbench.extensions.fleet.merge import merge, shard_coverage

if TYPE_CHECKING:
    from serbench.cli.common import Subparsers


def add_merge_command(sub: Subparsers) -> None:
    """Register `merge` on the CLI's subparsers."""
    p = sub.add_parser("merge", **command_help("merge"))
    p.add_argument("directories", nargs="+", metavar="DIR", help="results directories")
    p.add_argument("-o", "--output", required=True, metavar="OUT",
                   help="the fleet directory to create (must not exist)")
    p.add_argument("--machine", "--name", dest="name", metavar="MACHINE",
                   help="file every DIR under this machine name (e.g. the node type, when "
                   "each shard ran on a differently named pod)")
    p.add_argument("--no-report", action="store_true", help="skip the report")
    p.set_defaults(func=cmd_merge)


def cmd_merge(args: argparse.Namespace) -> int:
    """Merge, then report."""

    out = Path(args.output)
    machines = merge([Path(d) for d in args.directories], out, args.name)
    for machine in machines:
        cells = sum(len(s.rows) for s in machine.sources)
        shards = ""
        cover = shard_coverage(machine)
        if cover is not None:
            shards = f", shards {cover['present']} of {cover['count']}"
            if cover["missing"]:
                shards += f" (missing {cover['missing']}: its payloads are not in the results)"
        print(f"serbench merge: {machine.name}: {len(machine.sources)} run(s), {cells} cells"
              f"{shards}")
    print(f"serbench merge: {len(machines)} machine(s) in {out}")
    if not args.no_report:
        paths = write_report(out)
        print(f"serbench merge: report in {paths[0]}")
    return 0
