"""Helpers every subcommand shares, kept free of imports from the other cli modules so that
any of them can use these without an import cycle."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TypeAlias

from serbench.common.errors import UserError
from serbench.common.units import parse_duration
from serbench.results.files import ResultsError

#: Exit code of a check the user asked for that failed: `compare --fail-slower` found a cell
#: slower beyond the threshold, `run --strict` a suspect run or a failed cell.
EXIT_CHECK_FAILED = 1
#: Exit code of a usage error (argparse's own) and of a `UserError`.
EXIT_USAGE = 2
#: Exit code after Ctrl-C, as a shell reports a process killed by SIGINT.
EXIT_INTERRUPTED = 130

if TYPE_CHECKING:
    #: What `add_subparsers` returns; each command module registers itself on it.
    Subparsers: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]
    Register: TypeAlias = Callable[[Subparsers], None]


class Parser(argparse.ArgumentParser):
    """argparse, with its errors as one line (`serbench: error: ...`), like every other error:
    a script's log then holds the reason, not a screen of usage."""

    def error(self, message: str) -> NoReturn:
        """Print one line naming the command and its --help, and exit with `EXIT_USAGE`."""
        command = self.prog.removeprefix("serbench").strip()
        where = f"{command}: " if command else ""
        print_error(f"{where}{message} (see: {self.prog} --help)")
        sys.exit(EXIT_USAGE)


def duration(text: str) -> float:
    """An argparse `type` for every duration flag: seconds, from the one grammar of
    `serbench.common.units` (a number of seconds, or with a unit: ns, us, ms, s, m, h)."""
    try:
        return parse_duration(text, positive=True)
    except UserError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def split_list(text: str) -> list[str]:
    """A comma-separated option value as its items, blanks dropped (`"a, b,"` -> `[a, b]`)."""
    return [item.strip() for item in text.split(",") if item.strip()]


def print_error(message: str) -> None:
    """The one line a user sees for a `UserError`, in argparse's `prog: error:` style."""
    print(f"serbench: error: {message}", file=sys.stderr)


def say(command: str, text: str) -> None:
    """A status line of a long-running command on stderr, flushed (stdout may be a pipe)."""
    print(f"serbench {command}: {text}", file=sys.stderr, flush=True)


def check_results_directory(directory: Path) -> None:
    """Fail with one line, before any reading starts, when a results directory is missing."""

    if not directory.is_dir():
        raise ResultsError(f"{directory}: no such results directory")


#: Each subcommand's one line in `serbench --help`, in that order (`main.COMMANDS` imports a
#: command's module only when it runs, so the list cannot come from the modules).
SUMMARIES = {
    "list": "list codecs, compressors and payloads",
    "verify": "round-trip every codec x payload: the fidelity matrix",
    "run": "run a benchmark matrix (default: scenarios/default.toml)",
    "report": "charts, report.html and report.md from a results directory (nothing is re-run)",
    "compare": "compare two runs cell by cell: B/A with significance",
    "merge": ("combine runs of several machines (or the shards of one) into one directory, one "
              "subdirectory per machine"),
    "serve": "run the scenario server alone (for a fuzzer, tests, a second machine)",
    "harness": "measure serbench's own overhead against the floor",
    "crosscheck": "hold serbench's encode/decode figures against orjson's and msgspec's own "
                  "benchmark methods",
    "variance": ("variance between processes and between values, and the best split of a time "
                 "budget (Kalibera & Jones)"),
    "load": "open-loop load: each codec's latency vs. throughput (the hockey stick)",
    "corpus": "fetch and inspect the real-world JSON documents",
    "wiremodel": ("the wire model: predict round trips and streams on a link, validate against "
                  "link runs, chart the winners"),
}
