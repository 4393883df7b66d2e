"""`serbench verify`: round-trip every codec x payload and print the fidelity matrix.

Nothing is timed; this is what decides which cells `run` may time (exact and lossy only)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from typing import TYPE_CHECKING

from serbench.cli.common import split_list
from serbench.cli.helptext import command_help
from serbench.cli.inventory import fidelity_matrix
from serbench.codecs import check_names, known_names
from serbench.common.tables import format_table
from serbench.payloads import payload_entries

if TYPE_CHECKING:
    from serbench.cli.common import Subparsers


def add_verify_command(sub: Subparsers) -> None:
    """Register `verify` on the CLI's subparsers."""
    p = sub.add_parser("verify", **command_help("verify"))
    p.add_argument("--codecs", help="comma-separated codec names (default: all registered)")
    p.add_argument("--payloads", help="comma-separated payload specs, e.g. records:5000,small")
    p.add_argument("--payload-file", action="append", default=[], metavar="PATH",
                   help="a .json/.msgpack/.cbor/.pickle file to use as a payload (repeatable)")
    p.add_argument("--json", action="store_true", help="print JSON for scripts")
    p.set_defaults(func=cmd_verify)


def cmd_verify(args: argparse.Namespace) -> int:
    """Print the fidelity matrix and a note for every cell that is not exact."""

    codec_names = split_list(args.codecs) if args.codecs else known_names()
    check_names(codec_names)
    specs = split_list(args.payloads) if args.payloads else sorted(payload_entries())
    specs += [f"file:{p}" for p in args.payload_file]
    results = fidelity_matrix(codec_names, specs)
    if args.json:
        json.dump([dataclasses.asdict(r) for r in results], sys.stdout, indent=2)
        print()
        return 0
    labels = list(dict.fromkeys(r.payload for r in results))
    by_cell = {(r.codec, r.payload): r for r in results}
    print("Fidelity matrix (exact / lossy / unsupported / wrong); only exact and lossy are timed")
    print(format_table(["codec", *labels],
                       [[name, *(by_cell[name, label].status for label in labels)]
                        for name in codec_names]))
    notes = [r for r in results if r.status != "exact"]
    if notes:
        print()
        print(format_table(["codec", "payload", "class", "what happened"],
                           [[r.codec, r.payload, r.status, r.detail] for r in notes]))
    return 0
