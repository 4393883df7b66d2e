"""Process control for the run loop: start one worker process, bound it, and leave nothing.

Each worker runs in its own session, so killing its process group also stops the scenario
server it forked. The worker is also tied to the run with `PR_SET_PDEATHSIG`: if `serbench run`
itself is killed (even `kill -9`, which no handler sees), the kernel kills the worker, and the
server, reading its stdin pipe from the worker, sees EOF and exits. SIGINT and SIGTERM are
held or deferred around the steps that must not be cut in half.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import re
import signal
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from serbench.common.processes import HELD_SIGNALS, exit_status, stop, wait_exact

__all__ = ["WORKER_ENVIRON", "Interrupted", "die_with_parent", "failure_reason",
           "raise_interrupted", "run_cell_program",
           "worker_environ"]

#: pyperf's own list of variables a worker inherits (pyperf/_utils.py, create_environ): the
#: same stripped environment for every codec, so no codec runs with a different one.
WORKER_ENVIRON = ("PATH", "HOME", "PYTHONPATH", "PYTHON_CPU_COUNT", "PYTHON_GIL")
_PR_SET_PDEATHSIG = 1
#: A worker stopped by the run: SIGTERM to its group at once (nothing reads its stdin), then
#: SIGKILL after this long.
_WORKER_TERM_S = 3.0


class Interrupted(Exception):
    """SIGTERM (or SIGINT) arrived: stop after cleaning up, keeping finished work."""


def raise_interrupted(signum: int, frame: object) -> None:
    """A SIGTERM handler that unwinds the run like Ctrl-C does."""
    raise Interrupted(f"received signal {signum}")


def worker_environ(tmpdir: Path) -> dict[str, str]:
    """The stripped environment of a worker, with its temporary files under `tmpdir`."""
    env = {k: os.environ[k] for k in WORKER_ENVIRON if k in os.environ}
    env.update(TMPDIR=str(tmpdir), TEMP=str(tmpdir))
    return env


def die_with_parent() -> Callable[[], None] | None:
    """A preexec function asking the kernel to SIGKILL the child when the run dies."""
    name = ctypes.util.find_library("c")
    if not name or not hasattr(os, "getppid"):
        return None
    try:
        libc = ctypes.CDLL(name, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl: do not outlive it
            os._exit(1)

    return preexec


def run_cell_program(cmd: list[str], log_path: Path, timeout_s: float) -> str | None:
    """Run one worker (or pyperf program) in its own session; None on success, else why.

    Its temporary files (the server's directory and Unix socket) go under the log's directory,
    so removing that directory removes everything it made, even when it was killed.
    """
    env = worker_environ(log_path.parent)
    with open(log_path, "wb") as log:
        # A Ctrl-C inside Popen() would leave a started process nobody knows the pid of:
        # defer SIGINT/SIGTERM until `proc` exists, then deliver them where it is killed.
        with _signals_deferred() as pending:
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True,
                                    close_fds=True, env=env, preexec_fn=die_with_parent())
        try:
            for signum in pending:
                os.kill(os.getpid(), signum)  # its handler raises at the next bytecode
            code = wait_exact(proc, timeout_s)
        except subprocess.TimeoutExpired:
            _stop_worker(proc)
            return f"timed out after {timeout_s:g} s (its processes were killed)"
        except BaseException:
            _stop_worker(proc)
            raise
        # A server that outlived its worker has no business running on: the worker is
        # reaped, so this only SIGKILLs what is left of its group.
        _stop_worker(proc)
    if code == 0:
        return None
    return failure_reason(code, log_path.read_text(errors="replace"))


#: Exceptions of the transport, with what they mean for a cell.
_TRANSPORT_HINTS = {
    "PeerClosed": "the scenario server closed the connection or died",
    "PeerTimeout": "the scenario server stopped answering",
    "FrameTooLarge": "a frame exceeded the maximum frame size",
    "HandshakeFailed": "the client and server did not agree on the run's secret",
    "ServerFailed": "the scenario server did not start or died",
    "PathFailed": "the transport's peer (a pool worker, redis-server, a ZeroMQ or "
                  "multiprocessing peer) died or stopped answering",
}
_EXCEPTION_LINE = re.compile(r"^(?:[A-Za-z_][\w]*\.)*([A-Za-z_]\w*(?:Error|Exception|Closed|"
                             r"Timeout|TooLarge|Failed|Interrupt|Exit))(?::\s*(.*))?$")


def failure_reason(code: int, log_text: str) -> str:
    """One line saying why a worker failed: its own exception when there is one (not pyperf's
    "worker failed with exit code"), else the log's last lines."""
    if code < 0:
        return exit_status(code)
    lines = log_text.strip().splitlines()
    found: list[tuple[str, str, str]] = []
    for line in lines:
        match = _EXCEPTION_LINE.match(line)
        if match and not line.startswith(" "):
            found.append((line, match.group(1), match.group(2) or ""))
    useful = [f for f in found if not (f[1] == "RuntimeError" and "failed with exit code"
                                       in f[2])]
    if useful:
        line, name, _ = useful[-1]
        hint = _TRANSPORT_HINTS.get(name)
        return f"exit code {code}: {line.strip()[:400]}" + (f" ({hint})" if hint else "")
    kept = [line for line in lines if line.strip() and not line.startswith("  File ")
            and not set(line.strip()) <= set("^~ ")]
    return f"exit code {code}: " + " | ".join(kept[-3:])[-600:]


def _stop_worker(proc: subprocess.Popen[bytes]) -> None:
    """Stop a worker and everything it started (its session's process group): TERM, then
    KILL, with signals held; always reaped."""
    stop(proc, group=True, grace_s=0.0, term_s=_WORKER_TERM_S)


@contextlib.contextmanager
def _signals_deferred() -> Iterator[list[int]]:
    """Record SIGINT and SIGTERM instead of acting on them (Python-level handlers, which
    `exec` resets in a child, unlike a blocked mask); yields the list of what arrived."""
    pending: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield pending
        return

    def record(signum: int, frame: object) -> None:
        pending.append(signum)

    previous = {sig: signal.signal(sig, record) for sig in HELD_SIGNALS}
    try:
        yield pending
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, signal.SIG_DFL if handler is None else handler)
