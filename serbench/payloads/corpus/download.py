"""Download a source's package archive with the registry's own client, into a directory.

The client (npm, or this interpreter's pip) does the talking to the registry: its proxy,
mirror and certificate settings apply as they do for everything else the user installs.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from serbench.common.errors import UserError
from serbench.payloads.corpus.table import SOURCES, Source

#: A registry that answers at all answers well within this; a hung client must not hang us.
TIMEOUT_S = 600


def client_command(source: Source, directory: Path) -> list[str]:
    """The command that leaves the package's archive (and nothing else) in `directory`."""
    if source.client == "npm":
        return ["npm", "pack", source.package, "--ignore-scripts", "--loglevel", "error",
                "--pack-destination", str(directory)]
    if source.client == "pip":
        return [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                "--disable-pip-version-check", "--quiet", "--dest", str(directory),
                source.package]
    raise ValueError(f"source {source.name!r}: unknown client {source.client!r}")


def download_archive(source: Source, directory: Path) -> Path:
    """Run the client and return the one archive it saved; `UserError` naming the alternative
    source when the client is missing or fails."""
    command = client_command(source, directory)
    other = _alternative(source)
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S,
                              check=False, cwd=directory)
    except FileNotFoundError as exc:
        raise UserError(f"corpus fetch: {command[0]!r} is not installed or not on PATH; "
                        f"{other}") from exc
    except subprocess.TimeoutExpired as exc:
        raise UserError(f"corpus fetch: {command[0]} gave no answer in {TIMEOUT_S} s while "
                        f"downloading {source.package}; {other}") from exc
    if proc.returncode != 0:
        raise UserError(f"corpus fetch: {source.client} could not download {source.package} "
                        f"(exit {proc.returncode}: {_reason(proc.stderr)}); {other}")
    archives = sorted(p for p in directory.iterdir()
                      if p.name.endswith((".tgz", ".tar.gz")) and p.is_file())
    if len(archives) != 1:
        raise UserError(f"corpus fetch: {source.client} left {len(archives)} archives for "
                        f"{source.package} instead of one; {other}")
    return archives[0]


def _alternative(source: Source) -> str:
    others = [name for name in SOURCES if name != source.name]
    options = " or ".join(f"`serbench corpus fetch --source {name}`" for name in others)
    return f"try {options}" if others else "check the network"


def _reason(text: str) -> str:
    """The line of a client's stderr that says why: its first error line that is not a
    code, a stack frame or a pointer to a log file (npm and pip both print those)."""
    lines = [_NOISE_PREFIX.sub("", line).strip() for line in text.splitlines()]
    errors = [line for line, raw in zip(lines, text.splitlines(), strict=True)
              if line and "error" in raw.lower() and not _NOISE.match(line)]
    rest = [line for line in lines if line]
    return (errors or rest or ["no message"])[0]


_NOISE_PREFIX = re.compile(r"^\s*(npm (error|ERR!)|ERROR:)\s*")
_NOISE = re.compile(r"^(code|syscall|errno|at|A complete log)\b|^[{}]|^\w+: '")
