"""Dead peers and interrupts lose nothing: `serbench run` as a user runs it, in a subprocess.

Every run here works in its own directory (its cwd, with `TMPDIR` inside it), so the processes
it started, however deep (cell programs, pyperf workers, scenario servers), are found by their
working directory in /proc, and its temporary files by that `TMPDIR`.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyperf
import pytest
from serve_helpers import processes_in, stop_process, wait_until

from serbench.results import files as results
from serbench.transport.protocol import SERVER_PROCESS_NAME

pytestmark = pytest.mark.slow
#: A stopped run must end at all: a hang guard, generous on any machine, not a timing claim.
HANG_GUARD_S = 60.0


@dataclass
class Run:
    """A `serbench run` subprocess in its own session and directory."""

    proc: subprocess.Popen[bytes]
    cwd: Path
    out: Path

    @property
    def stdout(self) -> str:
        return (self.cwd / "stdout.txt").read_text(errors="replace")

    @property
    def stderr(self) -> str:
        return (self.cwd / "stderr.txt").read_text(errors="replace")

    def wait(self, timeout_s: float) -> int:
        try:
            return self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired as exc:
            raise AssertionError(f"serbench run still running after {timeout_s} s:\n"
                                 f"{self.stdout}\n{self.stderr}") from exc


def start_run(cwd: Path, *args: str, out: str = "out") -> Run:
    cwd.mkdir(parents=True, exist_ok=True)
    (cwd / "tmp").mkdir(exist_ok=True)
    env = dict(os.environ, TMPDIR=str(cwd / "tmp"))
    env.pop("PYTHONPATH", None)
    cmd = [sys.executable, "-m", "serbench", "run", *args, "--no-report"]
    if "--resume" not in args:
        cmd += ["-o", out]
    with open(cwd / "stdout.txt", "wb") as stdout, open(cwd / "stderr.txt", "wb") as stderr:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=stdout, stderr=stderr,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    return Run(proc, cwd, cwd / out)


@pytest.fixture
def workdir(tmp_path: Path) -> Iterator[Path]:
    """The run's directory; whatever still runs there at the end is killed (and fails)."""
    cwd = tmp_path / "run"
    cwd.mkdir()
    yield cwd
    left = processes_in(cwd)
    for pid, _ in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    assert left == [], f"processes left running: {left}"


def _servers(cwd: Path, codec: str) -> list[int]:
    """Scenario servers of `codec`: started with exec (their own command line) or forked from
    a cell's worker (the worker's command line, and the process name `serbench-server`)."""
    return [pid for pid, cmd in processes_in(cwd)
            if f"--codec {codec} " in cmd and ("serbench.transport.server" in cmd
                                               or _name(pid) == SERVER_PROCESS_NAME)]


def _name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _connected(pid: int) -> bool:
    """The server has accepted a connection: a socket besides its listener."""
    try:
        links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
    except OSError:
        return False
    return sum(link.startswith("socket:") for link in links) >= 2


def _rows(out: Path) -> list[dict[str, str]]:
    with open(out / results.SUMMARY, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _assert_consistent(out: Path) -> list[dict[str, str]]:
    """Every file parses; every `ok` row's benchmark is in its codec's suite; no temp files."""
    rows = results.read_summary(out)
    header = (out / results.SUMMARY).read_text().splitlines()[0]
    assert header.split(",") == results.COLUMNS
    json.loads((out / results.ENVIRONMENT).read_text())
    for row in rows:
        if row["status"] == results.OK:
            suite = pyperf.BenchmarkSuite.load(str(out / f"{row['codec']}.json"))
            assert row["benchmark"] in suite.get_benchmark_names(), row
    for suite_file in out.glob("*.json"):
        if suite_file.name != results.ENVIRONMENT:
            pyperf.BenchmarkSuite.load(str(suite_file))
    leftovers = [p for p in out.rglob("*") if p.name.endswith(".tmp") or p.name.startswith(".")]
    assert leftovers == [], leftovers
    return rows


def _assert_no_temp_files(cwd: Path) -> None:
    assert list((cwd / "tmp").iterdir()) == []


# --- a server that dies or hangs mid-cell --------------------------------------------------


def test_dead_and_hung_servers_fail_their_cells_and_the_run_goes_on(workdir: Path) -> None:
    """json's server is killed mid-cell, cbor2's is frozen (SIGSTOP): each cell fails with a
    clear reason within its timeout, and msgpack, after them, is measured with a fresh
    server."""
    cell_timeout = 5.0
    run = start_run(workdir, "--codecs", "json,cbor2,msgpack", "--payloads", "small",
                    "--transports", "tcp", "--scenarios", "roundtrip", "-p", "1", "-n", "20",
                    "-w", "0", "-l", "5000", "--cell-timeout", str(cell_timeout))
    try:
        # Rounds run a group's codecs in random order: act on each server as it appears.
        pending = {"json": signal.SIGKILL, "cbor2": signal.SIGSTOP}

        def act() -> bool:
            for codec in list(pending):
                found = [p for p in _servers(workdir, codec) if _connected(p)]
                for pid in found:
                    os.kill(pid, pending[codec])
                if found:
                    del pending[codec]
            return not pending

        wait_until(act, HANG_GUARD_S, "a client connected to the json and cbor2 servers")
        code = run.wait(HANG_GUARD_S)
    finally:
        stop_process(run.proc, signal.SIGINT)
    assert code == 0, run.stderr
    rows = {r["codec"]: r for r in _assert_consistent(run.out)}
    assert rows["json"]["status"] == "failed"
    assert "PeerClosed" in rows["json"]["detail"]
    assert "the scenario server closed the connection or died" in rows["json"]["detail"]
    assert rows["cbor2"]["status"] == "failed"
    assert rows["cbor2"]["detail"] == (f"round 1: timed out after {cell_timeout:g} s (its "
                                       "processes were killed)")
    assert rows["msgpack"]["status"] == "ok"
    assert float(rows["msgpack"]["mean_s"]) > 0
    assert "1 cells measured in 1 rounds, 0 skipped, 2 failed" in run.stdout
    assert processes_in(workdir) == []
    _assert_no_temp_files(workdir)


# --- Ctrl-C and SIGTERM, then --resume -----------------------------------------------------

MATRIX = ["--codecs", "json,msgpack,cbor2", "--payloads", "small", "--transports", "tcp",
          "--scenarios", "roundtrip,encode"]
CELLS = [(codec, scenario) for codec in ("json", "msgpack", "cbor2")
         for scenario in ("roundtrip", "encode")]


def _benchmarks(out: Path) -> dict[tuple[str, str], str]:
    """Each measured benchmark's runs, serialised, to tell re-measured from kept."""
    found = {}
    for codec in ("json", "msgpack", "cbor2"):
        path = out / f"{codec}.json"
        if path.exists():
            for bench in pyperf.BenchmarkSuite.load(str(path)).get_benchmarks():
                found[codec, bench.get_name()] = repr(bench.get_values())
    return found


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupt_keeps_finished_cells_and_resume_measures_only_the_rest(
        workdir: Path, sig: int) -> None:
    run = start_run(workdir, *MATRIX, "--debug-single-value")
    try:
        wait_until(lambda: (run.out / results.SUMMARY).exists() and len(_rows(run.out)) >= 1,
                   60, "the first finished cell")
        # Mid-cell: wait until the next cell's program runs, then interrupt the run's process
        # group, as Ctrl-C in a terminal (or a service manager's SIGTERM) would.
        wait_until(lambda: any("serbench.cells.cell" in c for _, c in processes_in(workdir)),
                   30, "the next cell to start")
        os.killpg(run.proc.pid, sig)
        code = run.wait(HANG_GUARD_S)
    finally:
        stop_process(run.proc, signal.SIGKILL)
    assert code == 130, run.stderr
    assert "interrupted; finished work is kept" in run.stderr
    assert f"serbench run --resume {run.out.name}" in run.stderr
    assert "Traceback" not in run.stderr
    assert processes_in(workdir) == []
    _assert_no_temp_files(workdir)

    before = _assert_consistent(run.out)
    assert 1 <= len(before) < len(CELLS), "the interrupt should land mid-run"
    assert all(r["status"] == "ok" for r in before)
    env = json.loads((run.out / results.ENVIRONMENT).read_text())
    assert env["status"] == "interrupted"
    kept_benchmarks = _benchmarks(run.out)

    resumed = start_run(workdir, "--resume", "out")
    try:
        assert resumed.wait(60) == 0, resumed.stderr
    finally:
        stop_process(resumed.proc, signal.SIGKILL)
    after = _assert_consistent(run.out)
    assert [(r["codec"], r["scenario"]) for r in after] == CELLS
    assert all(r["status"] == "ok" for r in after), after
    # Only the missing (cell, round) pairs ran: one round of the cells not measured before.
    assert f"round 1/1: {len(CELLS) - len(before)} workers" in resumed.stdout
    assert (f"{len(CELLS)} cells measured ({len(before)} resumed from the earlier run) in 1 "
            "rounds, 0 skipped, 0 failed") in resumed.stdout
    # Kept cells were not measured again: their values are the interrupted run's.
    now = _benchmarks(run.out)
    for key, values in kept_benchmarks.items():
        assert now[key] == values, key
    # The same layout as any complete run, and the same pyperf budget as the first part.
    expected = {results.SUMMARY, results.ENVIRONMENT, "json.json", "msgpack.json", "cbor2.json",
                *(f"samples/{c}/roundtrip__tcp__small-2.npy" for c in ("json", "msgpack",
                                                                       "cbor2"))}
    files = {str(p.relative_to(run.out)) for p in run.out.rglob("*") if p.is_file()}
    assert files == expected
    env = json.loads((run.out / results.ENVIRONMENT).read_text())
    assert env["status"] == "complete" and "resumed" in env
    assert env["worker_budget"]["loops"] == 1 and env["round_budget"]["fixed_rounds"] == 1
    for row in after:
        assert row["values"] == "1", row  # --debug-single-value, also in the resumed part
    assert processes_in(workdir) == []
    _assert_no_temp_files(workdir)


def test_interrupt_before_the_first_cell_finishes(workdir: Path) -> None:
    run = start_run(workdir, "--codecs", "msgpack", "--payloads", "small", "--transports",
                    "uds", "--scenarios", "roundtrip", "-p", "1", "-n", "50", "-w", "0", "-l",
                    "20000")  # about 10 s of round trips: long enough to be interrupted
    try:
        wait_until(lambda: bool(_servers(workdir, "msgpack")), 30, "the msgpack server")
        os.killpg(run.proc.pid, signal.SIGINT)
        time.sleep(0.05)
        os.killpg(run.proc.pid, signal.SIGINT)  # impatient: a second Ctrl-C
        assert run.wait(HANG_GUARD_S) == 130
    finally:
        stop_process(run.proc, signal.SIGKILL)
    assert "Traceback" not in run.stderr
    assert processes_in(workdir) == []
    _assert_no_temp_files(workdir)
    assert not (run.out / results.SUMMARY).exists() or _rows(run.out) == []
    assert json.loads((run.out / results.ENVIRONMENT).read_text())["status"] == "interrupted"


def test_kill_9_of_the_run_leaves_no_process_behind(workdir: Path) -> None:
    """`kill -9` reaches no handler: the kernel ends the worker (PR_SET_PDEATHSIG), and its
    forked server sees EOF on its pipe from the worker and exits."""
    run = start_run(workdir, "--codecs", "msgpack", "--payloads", "small", "--transports",
                    "uds", "--scenarios", "roundtrip", "-p", "1", "-n", "50", "-w", "0", "-l",
                    "20000")
    try:
        wait_until(lambda: bool(_servers(workdir, "msgpack")), 30, "the msgpack server")
        os.kill(run.proc.pid, signal.SIGKILL)  # the run only, not its process group
        run.wait(HANG_GUARD_S)
        wait_until(lambda: processes_in(workdir) == [], HANG_GUARD_S,
                   "every process of the killed run to end")
    finally:
        stop_process(run.proc, signal.SIGKILL)
    # No handler ran, so the cell's work directory (its server's Unix socket inside) is still
    # there; the next run sweeps it, since its owner is gone, and leaves nothing of its own.
    assert list((workdir / "tmp").iterdir()) != []
    again = start_run(workdir, "--codecs", "msgpack", "--payloads", "small", "--transports",
                      "uds", "--scenarios", "encode", "--debug-single-value", out="again")
    try:
        assert again.wait(HANG_GUARD_S) == 0, again.stderr
    finally:
        stop_process(again.proc, signal.SIGKILL)
    _assert_no_temp_files(workdir)
