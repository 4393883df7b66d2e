"""The load scenario end to end, briefly: a stalled server shows in the open-loop figures and
not in the closed-loop ones; a dead server, bad flags and Ctrl-C fail clearly, keep finished
points and leave no process behind. Every point here lasts about a second."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, run_serbench, run_serbench_in_process

from serbench.codecs import get_codec
from serbench.codecs.base import joined
from serbench.extensions.load import histograms
from serbench.extensions.load.point import PointFailed, PointSpec, run_point
from serbench.extensions.load.servers import LoadServer
from serbench.extensions.load.sweep import SweepConfig, run_sweep, stall_disturbance
from serbench.payloads import make_payload

STALL_MS = 100.0


def _body(codec: str = "pickle", payload: str = "small") -> bytes:
    c = get_codec(codec)
    return joined(c.encode(c.prepared(make_payload(payload).obj)))


def _children_of(pid: int) -> set[int]:
    """Every live descendant of `pid` (from /proc), zombies excluded."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            parents[int(entry.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        found |= frontier
    return found


def _left_after_exit(pids: set[int], grace_s: float = 5.0) -> set[int]:
    """Which of `pids` still run once they have had `grace_s` to finish exiting (a killed
    process's children are reaped asynchronously; a loaded machine can take a moment)."""
    deadline = time.monotonic() + grace_s
    while _alive(pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return _alive(pids)


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.add(pid)
    return alive


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["blocking", "asyncio"])
def test_open_loop_shows_a_stall_that_closed_loop_hides(kind: str) -> None:
    body = _body()
    clients = 2
    with LoadServer("pickle", "tcp", kind=kind) as server:
        open_spec = PointSpec(rate=1000.0, clients=clients, warmup_s=0.2, duration_s=1.0)
        opened = run_point(server, body, open_spec,
                           disturb=stall_disturbance(server, open_spec, STALL_MS))
        closed_spec = PointSpec(rate=0.0, clients=clients, warmup_s=0.2, duration_s=1.0)
        closed = run_point(server, body, closed_spec,
                           disturb=stall_disturbance(server, closed_spec, STALL_MS))
    stall_ns = int(STALL_MS * 1e6)
    open_hist = histograms.merge([opened.latency])
    closed_hist = histograms.merge([closed.latency])
    # Open loop: every request intended during the stall waits for its end; ~100 of the
    # ~1000 measured requests were due in those 100 ms, half of them wait 50 ms or more.
    assert opened.figures["max_s"] >= 0.9 * STALL_MS / 1000
    assert opened.figures["p999_s"] >= 0.5 * STALL_MS / 1000
    assert histograms.count_at_or_above(open_hist, stall_ns // 2) >= 25
    # Closed loop: only the request each connection had in flight saw the stall.
    assert closed.figures["max_s"] >= 0.9 * STALL_MS / 1000
    assert 1 <= histograms.count_at_or_above(closed_hist, stall_ns // 2) <= clients
    assert closed.figures["p999_s"] < 0.5 * STALL_MS / 1000
    assert opened.figures["overflow"] == 0 and opened.figures["unanswered"] == 0
    # one 1 s interval in a 1 s window: its rate is the point's achieved rate
    assert [float(v) for v in opened.figures["interval_rps"].split()] == \
        [opened.figures["achieved_rps"]]


@pytest.mark.slow
def test_a_server_killed_mid_point_fails_the_point_with_the_reason() -> None:
    spec = PointSpec(rate=500.0, clients=3, warmup_s=0.1, duration_s=1.0, drain_s=1.0)
    with LoadServer("pickle", "tcp", kind="asyncio") as server:

        def kill(start_ns: int) -> None:
            time.sleep(max(0.0, (start_ns - time.monotonic_ns()) / 1e9) + 0.4)
            server.signal(signal.SIGKILL)

        with pytest.raises(PointFailed, match=r"load process 0: .*(closed|reset)"):
            run_point(server, _body(), spec, disturb=kill)
    assert not _left_after_exit(_children_of(os.getpid()))


class KeepSink:
    """A sweep sink that keeps rows in memory."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.summaries: list[dict[str, Any]] = []

    def point(self, row: dict[str, Any], result: Any) -> None:
        self.rows.append(row)

    def summary(self, rows: list[dict[str, Any]]) -> None:
        self.summaries.extend(rows)

    def logs_dir(self, row: dict[str, Any]) -> None:
        return None


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["blocking", "uvloop"])
def test_a_shape_derived_codec_is_bound_in_the_server_and_measured(kind: str) -> None:
    pytest.importorskip("msgspec")
    if kind == "uvloop":
        pytest.importorskip("uvloop")
    config = SweepConfig(codecs=["msgspec-struct"], payloads=["records:10"], servers=[kind],
                         clients=2, fractions=[0.5], duration_s=0.3, warmup_s=0.1,
                         closed_s=0.3, ceiling=False)
    sink = KeepSink()
    run_sweep(config, sink, lambda line: None)
    assert [(r["point"], r["status"]) for r in sink.rows] == [("closed", "ok"),
                                                              ("open-50pct", "ok")]
    assert all(r["samples"] > 0 for r in sink.rows)


class ListSink(KeepSink):
    """A sweep sink that keeps rows in memory and kills the server after the first point."""

    def point(self, row: dict[str, Any], result: Any) -> None:
        super().point(row, result)
        if row["codec"] == "pickle" and row["point"] == "closed":
            os.kill(row["server_pid"], signal.SIGKILL)


@pytest.mark.slow
def test_a_dead_server_fails_its_points_and_keeps_the_finished_ones() -> None:
    config = SweepConfig(codecs=["pickle"], payloads=["small"], servers=["blocking"],
                         clients=2, fractions=[0.2, 0.4], duration_s=0.4, warmup_s=0.1,
                         closed_s=0.5, ceiling=False)
    sink = ListSink()
    run_sweep(config, sink, lambda line: None)
    by_point = {r["point"]: r for r in sink.rows}
    assert by_point["closed"]["status"] == "ok"
    assert by_point["closed"]["achieved_rps"] > 0
    assert by_point["open-20pct"]["status"] == "failed"
    assert "server" in by_point["open-20pct"]["detail"]
    assert by_point["open-40pct"]["status"] == "failed"
    assert "died" in by_point["open-40pct"]["detail"]
    assert [s["points_failed"] for s in sink.summaries] == [2]
    assert not _left_after_exit(_children_of(os.getpid()))


@pytest.mark.parametrize("flags, message", [
    (["--clients", "0"], "--clients"),
    (["--server", "gevent"], "unknown server kind"),
    (["--sweep", "ten"], "--sweep"),
    (["--rates", "0"], "--rates"),
    (["--codecs", "nope"], "nope"),
    (["--p99-target", "0ms"], "positive"),
    (["--duration", "soon"], "not a duration"),
    (["--payloads", "records:0"], "size"),
])
def test_bad_flags_fail_before_anything_runs(tmp_path: Path, flags: list[str],
                                             message: str) -> None:
    out = tmp_path / "run"
    proc = run_serbench_in_process("load", *flags, "-o", str(out))
    assert proc.returncode == 2
    assert message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_a_bad_load_flag_is_one_line_from_a_real_process(tmp_path: Path) -> None:
    out = tmp_path / "run"
    proc = run_serbench("load", "--clients", "0", "-o", str(out))
    assert proc.returncode == 2 and "--clients" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not out.exists()


@pytest.mark.slow
def test_ctrl_c_keeps_finished_points_complete_and_leaves_no_process(tmp_path: Path) -> None:
    out = tmp_path / "run"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "serbench", "load", "--codecs", "pickle", "--payloads", "small",
         "--clients", "2", "--duration", "0.5s", "--warmup", "0.1s", "--closed-duration",
         "0.5s", "--sweep", "10,20,30,40,50,60,70,80", "--server", "blocking", "-o", str(out),
         "--no-report"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        start_new_session=True)
    seen: set[int] = set()
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            seen |= _children_of(proc.pid)
            csv_path = out / "load.csv"
            if csv_path.exists() and len(csv_path.read_text().splitlines()) >= 4:
                break
            time.sleep(0.05)
        else:
            pytest.fail("no points were written within 15 s")
        time.sleep(0.3)  # most likely inside a point now
        seen |= _children_of(proc.pid)
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, err
    assert b"interrupted" in err
    with (out / "load.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert rows and all(r["status"] in ("ok", "failed") for r in rows)
    for row in rows:
        if row["status"] == "ok":
            hdr = out / "hdr" / row["server"] / row["codec"] / row["payload"]
            text = (hdr / f"{row['point']}.latency.hdr").read_text().strip()
            assert histograms.merge([text]).get_total_count() == int(row["samples"])
    assert json.loads((out / "load_environment.json").read_text())["status"] == "interrupted"
    assert not list(out.rglob("*.tmp"))
    assert seen, "the run started no process"
    assert not _left_after_exit(seen)
