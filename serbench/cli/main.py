"""The `serbench` command: argparse subcommands (pyperf's workers re-run programs with their own
flags, which click and typer reject; argparse is what pyperf itself uses).

Each subcommand lives in its own module and registers itself through `add_*_command`; this
module only builds the parser and turns errors into exit codes. A `UserError` anywhere becomes
one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from serbench.cli.common import EXIT_INTERRUPTED, EXIT_USAGE, print_error
from serbench.cli.compare import add_compare_command
from serbench.cli.corpus_cmd import add_corpus_command
from serbench.cli.harness import add_harness_command
from serbench.cli.list_cmd import add_list_command
from serbench.cli.load_cmd import add_load_command
from serbench.cli.merge_cmd import add_merge_command
from serbench.cli.report import add_report_command
from serbench.cli.run import add_run_command
from serbench.cli.serve import add_serve_command
from serbench.cli.variance import add_variance_command
from serbench.cli.verify import add_verify_command
from serbench.cli.wiremodel_cmd import add_wiremodel_command
from serbench.common.errors import UserError

if TYPE_CHECKING:
    from serbench.cli.common import Register

__all__ = ["COMMANDS", "EXIT_USAGE", "build_parser", "main"]

#: Every subcommand, in the order `serbench --help` lists them.
COMMANDS: list[Register] = [
    add_list_command,
    add_verify_command,
    add_run_command,
    add_report_command,
    add_compare_command,
    add_merge_command,
    add_serve_command,
    add_harness_command,
    add_variance_command,
    add_load_command,
    add_corpus_command,
    add_wiremodel_command,
]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(
        prog="serbench",
        description="What each serializer costs on the wire, for your payload shapes.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in COMMANDS:
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `serbench` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result: int = args.func(args)
        return result
    except UserError as exc:
        print_error(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a further Ctrl-C changes nothing now
        print("serbench: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `serbench list | head`: the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
