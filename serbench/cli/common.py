"""Helpers every subcommand shares, kept free of imports from the other cli modules so that
any of them can use these without an import cycle."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from serbench.results.files import ResultsError

#: Exit code of a usage error (argparse's own) and of a `UserError`.
EXIT_USAGE = 2
#: Exit code after Ctrl-C, as a shell reports a process killed by SIGINT.
EXIT_INTERRUPTED = 130

if TYPE_CHECKING:
    #: What `add_subparsers` returns; each command module registers itself on it.
    Subparsers: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]
    Register: TypeAlias = Callable[[Subparsers], None]


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
