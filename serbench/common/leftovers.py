"""Private temporary directories named for the process that owns them, and the sweep that
removes those whose owner is gone.

A `kill -9` runs no handler, so what a killed run had open in the temporary directory (a
cell's work directory with a Unix socket in it, the payload cache, a redis-server's directory)
stays there. Each such directory is made here as `<prefix><owner pid>-<random>`, and the next
run sweeps the ones whose owner no longer runs; another run's directories, whose owners still
run, are left alone.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from serbench.common.processes import pid_alive

__all__ = ["owned_dir", "sweep_owned_dirs"]


def owned_dir(prefix: str, root: str | None = None) -> Path:
    """A new private directory (mode 0700) named for this process."""
    return Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=root))


def sweep_owned_dirs(prefix: str, root: str | None = None) -> list[Path]:
    """Remove the directories `owned_dir(prefix, root)` made for processes that are gone;
    return those removed."""
    removed = []
    for directory in Path(root or tempfile.gettempdir()).glob(f"{prefix}*"):
        owner = directory.name[len(prefix):].split("-", 1)[0]
        if not owner.isdigit() or pid_alive(int(owner)):
            continue
        shutil.rmtree(directory, ignore_errors=True)
        removed.append(directory)
    return removed
