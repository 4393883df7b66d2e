"""The `serbench` command: argparse subcommands (pyperf's workers re-run programs with their own
flags, which click and typer reject; argparse is what pyperf itself uses).

Each subcommand lives in its own module and registers itself through `add_*_command`; this
module only builds the parser and turns errors into exit codes. A `UserError` anywhere becomes
one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from serbench import __version__
from serbench.cli.common import EXIT_INTERRUPTED, EXIT_USAGE, SUMMARIES, Parser, print_error
from serbench.common.errors import UserError

if TYPE_CHECKING:
    from serbench.cli.common import Register

__all__ = ["COMMANDS", "EXIT_USAGE", "build_parser", "main"]


@dataclass(frozen=True)
class Command:
    """A subcommand: its name, its old names, and the module whose `register` function adds it."""

    name: str
    module: str
    register: str
    aliases: tuple[str, ...] = ()


#: Every subcommand, in the order `serbench --help` lists them. Only the module of the command
#: being run is imported: the others need nothing but their line in `--help` (`SUMMARIES`), and
#: importing every command would load the runner, the report and the extensions (~0.3 s) for
#: each `serbench list` or `serbench --help`.
COMMANDS = (
    Command("list", "serbench.cli.list_cmd", "add_list_command"),
    Command("verify", "serbench.cli.verify", "add_verify_command"),
    Command("run", "serbench.cli.run", "add_run_command"),
    Command("report", "serbench.cli.report", "add_report_command"),
    Command("compare", "serbench.cli.compare", "add_compare_command"),
    Command("merge", "serbench.cli.merge_cmd", "add_merge_command"),
    Command("serve", "serbench.cli.serve", "add_serve_command"),
    Command("harness", "serbench.cli.harness", "add_harness_command"),
    Command("crosscheck", "serbench.cli.crosscheck", "add_crosscheck_command"),
    Command("variance", "serbench.cli.variance", "add_variance_command"),
    Command("load", "serbench.cli.load_cmd", "add_load_command"),
    Command("corpus", "serbench.cli.corpus_cmd", "add_corpus_command"),
    Command("wiremodel", "serbench.cli.wiremodel_cmd", "add_wiremodel_command", ("model",)),
)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser: complete for the subcommand named in `argv` (for every subcommand
    when `argv` is None), a one-line entry for each of the others."""
    parser = Parser(
        prog="serbench",
        description="What each serializer costs on the wire, for your payload shapes.",
        epilog="Every subcommand's --help has an example and the exit codes (docs/cli.md).",
    )
    parser.add_argument("--version", action="version", version=f"serbench {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    named = _command_named(argv) if argv is not None else None
    for command in COMMANDS:
        if argv is None or command is named:
            register: Register = getattr(importlib.import_module(command.module),
                                         command.register)
            register(sub)  # type: ignore[arg-type]  # a Parser is an ArgumentParser
        else:
            sub.add_parser(command.name, aliases=list(command.aliases),
                           help=SUMMARIES[command.name])
    return parser


def _command_named(argv: Sequence[str]) -> Command | None:
    """The subcommand `argv` runs: its first word that is not an option."""
    word = next((a for a in argv if not a.startswith("-")), None)
    return next((c for c in COMMANDS if word == c.name or word in c.aliases), None)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `serbench` command."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
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
