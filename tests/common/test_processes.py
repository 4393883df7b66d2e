"""The child-process toolkit (`serbench.common.processes`) on real processes: every stage of a
stop, process groups and forked pids, and the READY line's three ways to fail.

Nothing here claims a duration: the bounds are hang guards, generous on any machine, and
which stage ended a child shows in its exit code (0: it left by itself; -SIGTERM, -SIGKILL).
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from serbench.common.processes import (
    NotReady,
    exit_status,
    file_tail,
    stop,
    stop_all,
    wait_all_ready,
    wait_exact,
    wait_ready,
)

#: A hang guard: how long any wait here may take before the test fails instead of hanging.
GUARD_S = 60.0
#: Ignores SIGTERM, says so, then sleeps (its stdin closing does not end it).
IGNORES_TERM = ("import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                "print('READY', flush=True); time.sleep(600)")
#: Ends on EOF on its stdin, with code 0.
ENDS_ON_EOF = "import sys; print('READY', flush=True); sys.stdin.read()"
#: Starts a grandchild in its own process group that ignores SIGTERM, prints its pid, sleeps.
STARTS_A_GRANDCHILD = (
    "import subprocess, sys, time\n"
    "g = subprocess.Popen([sys.executable, '-c', " + repr(IGNORES_TERM) + "],"
    " stdout=subprocess.PIPE)\n"
    "g.stdout.readline()\n"
    "print('READY', g.pid, flush=True)\n"
    "time.sleep(600)\n")


def _python(code: str, **kwargs: Any) -> subprocess.Popen[bytes]:
    proc: subprocess.Popen[bytes] = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, **kwargs)
    return proc


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[bytes]]]:
    """The children a test starts; whatever is left is killed at the end."""
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def _gone(pid: int) -> bool:
    """Whether `pid` no longer runs (absent, or a zombie someone else will reap)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[0] in ("Z", "X")


def _wait_gone(pid: int) -> bool:
    deadline = time.monotonic() + GUARD_S
    while time.monotonic() < deadline:
        if _gone(pid):
            return True
        time.sleep(0.01)
    return False


def _not_our_child(pid: int) -> bool:
    """Reaped: `waitpid` knows it no more (a zombie of ours would still be known)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


# --- stopping --------------------------------------------------------------------------------


def test_a_child_that_ends_on_eof_leaves_by_itself(started: list[subprocess.Popen[bytes]]
                                                   ) -> None:
    proc = _python(ENDS_ON_EOF)
    started.append(proc)
    wait_ready(proc, "the child", GUARD_S)
    assert stop(proc, grace_s=GUARD_S) == 0  # no signal was needed
    assert _not_our_child(proc.pid)


def test_sigterm_follows_the_grace(started: list[subprocess.Popen[bytes]]) -> None:
    proc = _python("import time; print('READY', flush=True); time.sleep(600)")
    started.append(proc)
    wait_ready(proc, "the child", GUARD_S)
    assert stop(proc, grace_s=0.0, term_s=GUARD_S) == -signal.SIGTERM


def test_a_child_ignoring_sigterm_is_killed_and_reaped(started: list[subprocess.Popen[bytes]]
                                                       ) -> None:
    proc = _python(IGNORES_TERM)
    started.append(proc)
    wait_ready(proc, "the child", GUARD_S)  # its handler is set once it has printed
    assert stop(proc, grace_s=0.1, term_s=0.1, kill_s=GUARD_S) == -signal.SIGKILL
    assert proc.returncode == -signal.SIGKILL
    assert _not_our_child(proc.pid)  # reaped: no zombie left


def test_a_process_group_is_stopped_with_its_stragglers(started: list[subprocess.Popen[bytes]]
                                                        ) -> None:
    """The leader dies of SIGTERM, its grandchild ignores it: the final SIGKILL of the group
    gets the grandchild too."""
    proc = _python(STARTS_A_GRANDCHILD, start_new_session=True)
    started.append(proc)
    (grandchild,) = wait_ready(proc, "the leader", GUARD_S)
    assert stop(proc, group=True, grace_s=0.0, term_s=GUARD_S) == -signal.SIGTERM
    assert _wait_gone(int(grandchild))


def test_without_a_group_of_its_own_only_the_child_is_signalled(
        started: list[subprocess.Popen[bytes]]) -> None:
    """`group=True` on a child in our own process group must not signal ours: the child alone
    is stopped (this test would not see its end otherwise)."""
    proc = _python("import time; print('READY', flush=True); time.sleep(600)")
    started.append(proc)
    wait_ready(proc, "the child", GUARD_S)
    assert os.getpgid(proc.pid) == os.getpgrp()
    assert stop(proc, group=True, grace_s=0.0, term_s=GUARD_S) == -signal.SIGTERM


@pytest.mark.slow  # real processes that ignore SIGTERM: seconds of waiting
def test_many_children_stop_together(started: list[subprocess.Popen[bytes]]) -> None:
    procs = [_python(ENDS_ON_EOF), _python(IGNORES_TERM, start_new_session=True),
             _python("import time; print('READY', flush=True); time.sleep(600)")]
    started.extend(procs)
    wait_all_ready(procs, ["a", "b", "c"], GUARD_S)
    codes = stop_all(procs, group=True, grace_s=2.0, term_s=0.5, kill_s=GUARD_S)
    assert codes == [0, -signal.SIGKILL, -signal.SIGTERM]
    assert all(_not_our_child(p.pid) for p in procs)


def test_stopping_an_ended_child_again_is_harmless(started: list[subprocess.Popen[bytes]]
                                                   ) -> None:
    proc = _python("pass")
    started.append(proc)
    assert wait_exact(proc, GUARD_S) == 0
    assert stop(proc) == 0
    assert stop(proc) == 0


def _fork(body: str) -> tuple[int, int]:
    """A forked child running `body` (Python source) with a pipe as its stdin; (pid, the
    pipe's write end). It prints nothing and never returns into pytest."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(write_end)
            os.dup2(read_end, 0)
            exec(body, {"os": os, "signal": signal, "time": time})
        finally:
            os._exit(0)
    os.close(read_end)
    return pid, write_end


def test_a_forked_child_ends_when_its_stdin_pipe_closes() -> None:
    pid, stdin_w = _fork("while os.read(0, 4096):\n    pass\n")
    assert stop(pid, close_fds=[stdin_w], grace_s=GUARD_S) == 0
    assert _not_our_child(pid)


def test_a_forked_child_ignoring_sigterm_is_killed_and_reaped() -> None:
    read_end, write_end = os.pipe()  # the child says when its handler is set
    pid, stdin_w = _fork(f"signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                         f"os.write({write_end}, b'x')\ntime.sleep(600)\n")
    os.close(write_end)
    assert os.read(read_end, 1) == b"x"
    os.close(read_end)
    assert stop(pid, close_fds=[stdin_w], grace_s=0.1, term_s=0.1,
                kill_s=GUARD_S) == -signal.SIGKILL
    assert _not_our_child(pid)
    assert stop(pid) is None  # reaped already: nothing is signalled, nothing is known


# --- the READY line --------------------------------------------------------------------------


def test_ready_returns_the_words_after_it(started: list[subprocess.Popen[bytes]]) -> None:
    proc = _python("print('READY tcp 127.0.0.1 4242', flush=True)")
    started.append(proc)
    assert wait_ready(proc, "the server", GUARD_S) == ["tcp", "127.0.0.1", "4242"]


def test_another_word_can_stand_for_ready(started: list[subprocess.Popen[bytes]]) -> None:
    procs = [_python("print('CONNECTED', flush=True)"),
             _python("import time; time.sleep(0.2); print('CONNECTED 2', flush=True)")]
    started.extend(procs)
    assert wait_all_ready(procs, ["p0", "p1"], GUARD_S, word="CONNECTED") == [[], ["2"]]


def test_a_child_that_exits_first_is_named_with_its_stderr(
        started: list[subprocess.Popen[bytes]]) -> None:
    proc = _python("import sys; sys.stderr.write('Traceback\\nValueError: no port\\n'); "
                   "sys.exit(3)", stderr=subprocess.PIPE)
    started.append(proc)
    with pytest.raises(NotReady) as info:
        wait_ready(proc, "the json server", GUARD_S)
    assert str(info.value) == ("the json server exited before it was ready (exit code 3): "
                               "Traceback | ValueError: no port")


def test_a_child_killed_first_quotes_its_log(tmp_path: Path,
                                             started: list[subprocess.Popen[bytes]]) -> None:
    log = tmp_path / "server.log"
    with open(log, "wb") as err:
        proc = _python("import os, signal, sys; print('starting', file=sys.stderr, "
                       "flush=True); os.kill(os.getpid(), signal.SIGKILL)", stderr=err)
    started.append(proc)
    with pytest.raises(NotReady, match=r"^the relay exited before it was ready \(killed by "
                                       r"signal SIGKILL\): starting$"):
        wait_ready(proc, "the relay", GUARD_S, log=log)


def test_a_child_that_never_prints_times_out(started: list[subprocess.Popen[bytes]]) -> None:
    proc = _python("import sys, time; print('loading', file=sys.stderr, flush=True); "
                   "time.sleep(600)", stderr=subprocess.PIPE)
    started.append(proc)
    with pytest.raises(NotReady) as info:
        wait_ready(proc, "the server", 0.5)
    assert "the server was not ready within 0.5 s (no READY line)" in str(info.value)
    stop(proc, grace_s=0.0)


def test_a_timeout_among_many_names_the_first_still_waiting(
        started: list[subprocess.Popen[bytes]]) -> None:
    procs = [_python("print('CONNECTED', flush=True)")]
    procs += [_python("import time; time.sleep(600)") for _ in range(2)]
    started.extend(procs)
    assert select.select([procs[0].stdout], [], [], GUARD_S)[0]  # its line is there (unread)
    with pytest.raises(NotReady, match=r"^load process 1 \(and 1 more\) was not ready within "):
        wait_all_ready(procs, ["load process 0", "load process 1", "load process 2"], 0.5,
                       word="CONNECTED")
    stop_all(procs, grace_s=0.0)


def test_another_first_line_is_refused(started: list[subprocess.Popen[bytes]]) -> None:
    proc = _python("print('hello', flush=True)")
    started.append(proc)
    with pytest.raises(NotReady, match=r"^the server printed b'hello' instead of its READY "
                                       r"line$"):
        wait_ready(proc, "the server", GUARD_S)


def test_exit_status_and_file_tail(tmp_path: Path) -> None:
    assert exit_status(1) == "exit code 1"
    assert exit_status(-signal.SIGKILL) == "killed by signal SIGKILL"
    assert exit_status(-40) == "killed by signal 40"
    log = tmp_path / "log"
    log.write_text("one\ntwo\n\nthree\nfour\n")
    assert file_tail(log) == "two | three | four"
    assert file_tail(log, lines=1) == "four"
    assert file_tail(tmp_path / "missing") == ""
