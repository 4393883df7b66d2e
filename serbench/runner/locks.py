"""Two locks keep runs from spoiling each other's figures or files.

- The results directory's lock: a second run into the same `-o` directory refuses at once,
  naming the holder's pid (two runs would overwrite each other's summary rows).
- The machine's measuring lock: two runs on one machine measure each other, so a second run
  waits for the first (or refuses with `--no-wait`); `--concurrent` measures anyway and the
  results record that it did.
Both are `flock` locks: the kernel drops them when the holder dies, even by `kill -9`.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from serbench.common.errors import UserError

MACHINE_LOCK = "serbench-measuring.lock"


class LockBusy(UserError):
    """Another serbench run holds the lock."""


def machine_lock_path() -> Path:
    """One path for every user's runs on this machine (not per-user TMPDIR)."""
    base = Path("/tmp") if Path("/tmp").is_dir() else Path(tempfile.gettempdir())
    return base / MACHINE_LOCK


def _try_lock(handle: IO[str]) -> bool:
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _holder(path: Path) -> str:
    with contextlib.suppress(OSError):
        text = path.read_text().strip()
        if text:
            return text
    return "unknown"


def _claim(handle: IO[str]) -> None:
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()


def _open(path: Path) -> IO[str]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    with contextlib.suppress(OSError):
        os.fchmod(fd, 0o666)  # every user's runs share the machine lock
    return os.fdopen(fd, "r+")


def _lock_holder(inode: int) -> str:
    """The pid holding a flock on this inode, from /proc/locks (Linux), or "unknown"."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/locks").read_text().splitlines():
            fields = line.split()
            if len(fields) > 5 and fields[1] == "FLOCK" and fields[5].endswith(f":{inode}"):
                return fields[4]
    return "unknown"


@contextlib.contextmanager
def results_dir_lock(outdir: Path) -> Iterator[None]:
    """Hold the results directory for this run, or refuse naming the holder.

    The lock is on the directory itself, so it leaves no file behind in the results.
    """
    try:
        fd = os.open(outdir, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise UserError(f"cannot lock the results directory {outdir}: "
                        f"{exc.strerror or exc}") from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _lock_holder(os.fstat(fd).st_ino)
            raise LockBusy(f"results directory {outdir} is in use by another serbench run "
                           f"(pid {holder}); choose another -o, or wait for it") from None
        yield
    finally:
        os.close(fd)


@contextlib.contextmanager
def machine_lock(wait: bool, concurrent: bool, say: Callable[[str], None],
                 path: Path | None = None, poll_s: float = 1.0,
                 sleep: Callable[[float], None] = time.sleep) -> Iterator[bool]:
    """Hold the machine's measuring lock; yields whether another run was measuring beside
    this one (only possible with `concurrent`)."""
    path = path or machine_lock_path()
    try:
        handle = _open(path)
    except OSError as exc:
        raise UserError(f"cannot open the measuring lock {path}: {exc.strerror or exc}") from exc
    with handle:
        beside = False
        if not _try_lock(handle):
            holder = _holder(path)
            if concurrent:
                say(f"warning: another serbench run (pid {holder}) is measuring on this "
                    "machine; measuring beside it (--concurrent), as the results record")
                beside = True
            elif not wait:
                raise LockBusy(f"another serbench run (pid {holder}) is measuring on this "
                               "machine; wait for it, or pass --concurrent to measure beside "
                               "it (both runs' figures suffer)")
            else:
                say(f"another serbench run (pid {holder}) is measuring on this machine; "
                    "waiting for it (Ctrl-C to stop, --no-wait to refuse, --concurrent to "
                    "measure beside it)")
                while not _try_lock(handle):
                    sleep(poll_s)
        if not beside:
            _claim(handle)
        yield beside
