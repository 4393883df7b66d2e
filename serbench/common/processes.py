"""Child processes, one way: stop them in stages and always reap them; wait for a READY line.

Stopping (`stop`, `stop_all`) goes in bounded stages. The child's pipes are closed first (a
child watching its stdin ends on EOF) and it gets `grace_s` to do so; then SIGTERM and
`term_s`; then SIGKILL and `kill_s` for the kernel to let it go. With `group=True` the signals
go to the child's process group (a child started in a session of its own, and whatever it
started), and the group is SIGKILLed at the end for stragglers whose leader already exited.
SIGINT and SIGTERM are held meanwhile, so a Ctrl-C cannot cut a stop in half; should anything
be raised all the same, what still runs is SIGKILLed and reaped before it propagates. Many
children stop together, stage by stage, so stopping ten costs no more than stopping one.

A child is a `subprocess.Popen` or the pid of an `os.fork()`ed child. A pid is signalled only
while `waitpid` says it is still our unreaped child, so a recycled pid is never hit.

`wait_ready` reads a child's first stdout line, expects it to start with `READY` (or another
word) and returns the words after it; `NotReady` says, naming the child, whether it exited
first (with its exit status), printed something else or said nothing in time, with the tail
of its log file or its stderr pipe.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, TypeAlias

__all__ = ["HELD_SIGNALS", "Child", "NotReady", "exit_status", "file_tail", "signals_held",
           "stop", "stop_all", "wait_all_ready", "wait_exact", "wait_ready"]

#: A child: a started `Popen`, or the pid of a forked child.
Child: TypeAlias = "subprocess.Popen[bytes] | int"
#: What `signals_held` blocks.
HELD_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})
#: After the READY pipe closes, how long to wait for the child's exit status.
_EXIT_STATUS_S = 2.0
#: How much of a stderr pipe an error quotes.
_TAIL_BYTES = 300


class NotReady(RuntimeError):
    """A child exited, printed another line, or said nothing in time instead of READY."""


def pid_alive(pid: int) -> bool:
    """Whether a process `pid` exists (one of another user's counts as alive): the sweeps of
    what a dead run left behind (redis directories, network namespaces) ask this."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Block SIGINT and SIGTERM in this thread (the kernel keeps them pending) for a step that
    must not be cut short; they are delivered when the block ends. Start no process inside:
    a child would inherit the mask."""
    old = signal.pthread_sigmask(signal.SIG_BLOCK, HELD_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


class _Tracked:
    """One child being waited for: a `Popen`, or a forked pid reaped with `waitpid`."""

    def __init__(self, child: Child) -> None:
        self.popen = child if isinstance(child, subprocess.Popen) else None
        self.pid = child.pid if isinstance(child, subprocess.Popen) else child
        self._code: int | None = None
        self._gone = False

    def ended(self) -> bool:
        """Whether the child has ended and been reaped (reaping it if it just ended)."""
        if self.popen is not None:
            return self.popen.poll() is not None
        if not self._gone:
            try:
                done, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:  # reaped already, or never ours: nothing to signal
                self._gone = True
            else:
                if done:
                    self._gone, self._code = True, os.waitstatus_to_exitcode(status)
        return self._gone

    @property
    def returncode(self) -> int | None:
        return self.popen.returncode if self.popen is not None else self._code

    def signal(self, sig: int, group: bool) -> None:
        """Send `sig` while the child runs: to its process group, or to it alone (also when
        `group` is asked for and it leads no group of its own)."""
        if self.ended():
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if group and self.pid != os.getpgrp():
                try:
                    os.killpg(self.pid, sig)
                    return
                except ProcessLookupError:
                    pass
            os.kill(self.pid, sig)

    def wait_until(self, deadline: float) -> bool:
        """Wait until the child ends (reaped) or the monotonic `deadline`; whether it ended."""
        while not self.ended():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            _sleep_until_exit(self.pid, left)
        return True


def _sleep_until_exit(pid: int, timeout_s: float) -> None:
    """Return when `pid` (an unreaped child) ends or `timeout_s` passes: at once through a
    pidfd where Linux has one (`Popen.wait` polls with sleeps of up to 50 ms), else soon."""
    if hasattr(os, "pidfd_open"):
        try:
            fd = os.pidfd_open(pid)
        except OSError:  # an old kernel
            pass
        else:
            try:
                select.select([fd], [], [], timeout_s)
            finally:
                os.close(fd)
            return
    time.sleep(min(timeout_s, 0.002))


def wait_exact(proc: subprocess.Popen[bytes], timeout_s: float) -> int:
    """Wait for the process to end, noticing at once; `subprocess.TimeoutExpired` after
    `timeout_s`."""
    if not _Tracked(proc).wait_until(time.monotonic() + timeout_s):
        raise subprocess.TimeoutExpired(proc.args, timeout_s)
    assert proc.returncode is not None
    return proc.returncode


def stop(child: Child, *, group: bool = False, close_fds: Iterable[int] = (),
         grace_s: float = 2.0, term_s: float = 2.0, kill_s: float = 5.0) -> int | None:
    """Stop one child in stages (see the module's docstring); its exit code (negative: the
    signal), or None if even SIGKILL did not end it within `kill_s`. `close_fds` are closed
    first (a forked child's stdin pipe); a `Popen`'s own pipes always are."""
    return stop_all([child], group=group, close_fds=close_fds, grace_s=grace_s,
                    term_s=term_s, kill_s=kill_s)[0]


def stop_all(children: Sequence[Child], *, group: bool = False, close_fds: Iterable[int] = (),
             grace_s: float = 2.0, term_s: float = 2.0, kill_s: float = 5.0
             ) -> list[int | None]:
    """Stop every child together, stage by stage: close pipes, wait `grace_s`; SIGTERM, wait
    `term_s`; SIGKILL, wait `kill_s`. A stage with nothing left running is skipped and a zero
    wait skips the waiting, not the signal. Their exit codes, in order."""
    tracked = [_Tracked(child) for child in children]
    with signals_held():
        try:
            _close_pipes(tracked, close_fds)
            for sig, wait_s in ((None, grace_s), (signal.SIGTERM, term_s),
                                (signal.SIGKILL, kill_s)):
                alive = [t for t in tracked if not t.ended()]
                if not alive:
                    break
                for t in alive:
                    if sig is not None:
                        t.signal(sig, group)
                deadline = time.monotonic() + wait_s
                for t in alive:
                    t.wait_until(deadline)
        except BaseException:  # a signal got through after all: leave nothing running
            for t in tracked:
                t.signal(signal.SIGKILL, group)
            deadline = time.monotonic() + kill_s
            for t in tracked:
                t.wait_until(deadline)
            raise
        finally:
            if group:
                for t in tracked:
                    _kill_stragglers(t.pid)
    return [t.returncode for t in tracked]


def _close_pipes(tracked: list[_Tracked], fds: Iterable[int]) -> None:
    for fd in fds:
        with contextlib.suppress(OSError):
            os.close(fd)
    for t in tracked:
        if t.popen is not None:
            for stream in (t.popen.stdin, t.popen.stdout, t.popen.stderr):
                with contextlib.suppress(OSError):
                    if stream is not None:
                        stream.close()


def _kill_stragglers(pgid: int) -> None:
    """SIGKILL what is left of a process group whose leader has ended (never our own)."""
    if pgid != os.getpgrp():
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)


def exit_status(code: int) -> str:
    """`exit code 1`, or `killed by signal SIGKILL` for a negative (`Popen`) code."""
    if code < 0:
        try:
            return f"killed by signal {signal.Signals(-code).name}"
        except ValueError:  # a real-time signal has no name
            return f"killed by signal {-code}"
    return f"exit code {code}"


def file_tail(path: Path, lines: int = 3) -> str:
    """The last `lines` non-blank lines of a log file, joined by ` | ` ("" when unreadable)."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return " | ".join([line for line in text.splitlines() if line.strip()][-lines:])


def _pipe_tail(stream: IO[bytes] | None) -> str:
    """What a stderr pipe holds now, its end, without blocking ("" for no pipe)."""
    if stream is None or stream.closed:
        return ""
    data = b""
    with contextlib.suppress(OSError, ValueError):
        fd = stream.fileno()
        while len(data) < 1 << 20 and select.select([fd], [], [], 0)[0]:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            data += chunk
    text = data[-_TAIL_BYTES:].decode(errors="replace").strip()
    return " | ".join(line for line in text.splitlines() if line.strip())


def _tail(child: subprocess.Popen[bytes], log: Path | None) -> str:
    text = file_tail(log) if log is not None else _pipe_tail(child.stderr)
    return f": {text}" if text else ""


def wait_ready(child: subprocess.Popen[bytes], name: str, timeout_s: float, *,
               word: str = "READY", log: Path | None = None) -> list[str]:
    """The words after `word` on the child's first stdout line (a pipe). `NotReady`, naming
    it as `name` ("the json server"), when it exits first, prints another line or nothing
    within `timeout_s`; the message ends with the tail of `log` (where its stderr goes) or
    of its stderr pipe. The caller still owns the child and stops it."""
    return wait_all_ready([child], [name], timeout_s, word=word, logs=[log])[0]


def wait_all_ready(children: Sequence[subprocess.Popen[bytes]], names: Sequence[str],
                   timeout_s: float, *, word: str = "READY",
                   logs: Sequence[Path | None] | None = None) -> list[list[str]]:
    """`wait_ready` for several children at once, within one `timeout_s` for all."""
    logs = list(logs) if logs is not None else [None] * len(children)
    deadline = time.monotonic() + timeout_s
    pending: dict[int, int] = {}
    for index, child in enumerate(children):
        if child.stdout is None:
            raise ValueError(f"{names[index]}: its stdout is not a pipe")
        pending[child.stdout.fileno()] = index
    read = {fd: b"" for fd in pending}
    words: list[list[str]] = [[] for _ in children]
    while pending:
        ready, _, _ = select.select(list(pending), [], [],
                                    max(0.0, deadline - time.monotonic()))
        if not ready:
            index = min(pending.values())
            more = f" (and {len(pending) - 1} more)" if len(pending) > 1 else ""
            raise NotReady(f"{names[index]}{more} was not ready within {timeout_s:g} s (no "
                           f"{word} line){_tail(children[index], logs[index])}")
        for fd in ready:
            index, child = pending[fd], children[pending[fd]]
            chunk = os.read(fd, 4096)
            if not chunk:
                if not _Tracked(child).wait_until(time.monotonic() + _EXIT_STATUS_S):
                    raise NotReady(f"{names[index]} closed its stdout before it was ready "
                                   f"(it still runs){_tail(child, logs[index])}")
                raise NotReady(f"{names[index]} exited before it was ready "
                               f"({exit_status(child.returncode)}){_tail(child, logs[index])}")
            read[fd] += chunk
            if b"\n" in read[fd]:
                line = read[fd].partition(b"\n")[0]
                found = line.decode(errors="replace").split()
                if found[:1] != [word]:
                    raise NotReady(f"{names[index]} printed {line!r} instead of its {word} "
                                   f"line{_tail(child, logs[index])}")
                words[index] = found[1:]
                del pending[fd]
    return words
