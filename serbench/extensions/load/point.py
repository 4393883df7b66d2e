"""One measured point: load processes started together against a running server, their
histograms merged, the server's CPU time per request.

Every load process gets its share of the connections and of the rate, connects and
authenticates, then all start at one `time.monotonic_ns` instant (`GO`). The point fails, with
the reason, when a process cannot connect, dies, or outlives its deadline; every process it
started is stopped and reaped whatever happens (also on Ctrl-C), and a failed point leaves no
file behind: the interval logs move into the results only when the point succeeded.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from serbench.common.processes import (
    NotReady,
    exit_status,
    file_tail,
    stop_all,
    wait_all_ready,
    wait_exact,
)
from serbench.extensions.load import histograms
from serbench.extensions.load.config import LoadConfig
from serbench.extensions.load.schedule import DEFAULT_SPIN_NS, is_late
from serbench.extensions.load.servers import LoadServer
from serbench.results.files import atomic_write
from serbench.runner.processes import die_with_parent
from serbench.transport.errors import TransportError

#: How far in the future the common start is set once every process is connected.
_START_DELAY_S = 0.05
_CONNECT_TIMEOUT_S = 30.0
#: How long a load process gets to end by itself once its stdin is closed.
_STOP_GRACE_S = 1.0
#: A point is saturated when fewer replies than intended requests arrive, by more than this.
SATURATION_TOLERANCE = 0.01


class PointFailed(TransportError):
    """A point could not be measured; the message says why."""


@dataclass(kw_only=True)
class LoadShape:
    """How load is offered, whatever the rate: what a sweep hands each of its points."""

    clients: int
    arrivals: str = "uniform"
    seed: int = 1
    warmup_s: float = 0.5
    duration_s: float = 2.0
    drain_s: float = 5.0
    window: int = 256
    processes: int = 1

    def load_shape(self) -> dict[str, Any]:
        """These fields by name, to make a `PointSpec` from (a sweep's config is one too)."""
        return {f.name: getattr(self, f.name) for f in fields(LoadShape)}


@dataclass(kw_only=True)
class PointSpec(LoadShape):
    """What one point asks for; `rate` 0 means closed loop (one request in flight each)."""

    rate: float
    cpus: list[int | None] = field(default_factory=lambda: [None])
    spin_ns: int = DEFAULT_SPIN_NS
    interval_s: float = 1.0


@dataclass
class PointResult:
    """Merged figures of one point, and its histograms (encoded) and interval logs."""

    figures: dict[str, Any]
    latency: str
    sched: str
    interval_logs: list[Path]


def shares(total: int, parts: int) -> list[int]:
    """`total` split into `parts` near-equal whole shares (the first ones larger)."""
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def _load_command() -> list[str]:
    return [sys.executable, "-m", "serbench.extensions.load.generator"]


def run_point(server: LoadServer, body: bytes, spec: PointSpec,
              disturb: Callable[[int], None] | None = None,
              logs_to: Path | None = None) -> PointResult:
    """Measure one point. `disturb(start_ns)`, if given, runs in a thread once the point has
    started (the coordinated-omission demonstration stops the server from there). The
    interval logs are written, each atomically, as `logs_to/p<i>.hlog` when the point
    succeeds (and nowhere without `logs_to`)."""
    if spec.clients < 1:
        raise PointFailed("at least one client connection is needed")
    if server.address is None:
        raise PointFailed("the server is not started")
    work = Path(tempfile.mkdtemp(prefix="serbench-load-"))
    procs: list[subprocess.Popen[bytes]] = []
    try:
        before = server.stats()["cpu_s"]
        frame = work / "request.bin"
        frame.write_bytes(body)
        configs = _configs(server, spec, work, frame)
        for config in configs:
            procs.append(_start(config, work))
        _wait_connected(procs, work)
        start_ns = time.monotonic_ns() + int(_START_DELAY_S * 1e9)
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write(f"GO {start_ns}\n".encode())
            proc.stdin.flush()
        thread = None
        if disturb is not None:
            thread = threading.Thread(target=disturb, args=(start_ns,), daemon=True)
            thread.start()
        deadline = spec.warmup_s + spec.duration_s + spec.drain_s + 30.0
        _wait_done(procs, work, deadline)
        if thread is not None:
            thread.join()
        after = server.stats()["cpu_s"]
        result = _merge(spec, configs, float(after) - float(before))
        result.interval_logs = _keep_logs(result.interval_logs, logs_to)
        return result
    finally:
        # Stdin closed (a process waiting for GO ends), then TERM, then KILL, each to the
        # load process's own session: always reaped.
        stop_all(procs, group=True, grace_s=_STOP_GRACE_S)
        # The interval logs were moved out by `_merge` on success; the rest goes.
        shutil.rmtree(work, ignore_errors=True)


def _configs(server: LoadServer, spec: PointSpec, work: Path, frame: Path) -> list[LoadConfig]:
    count = max(1, min(spec.processes, spec.clients))
    address = server.address if isinstance(server.address, str) else list(server.address or ())
    configs = []
    for i, conns in enumerate(shares(spec.clients, count)):
        cpu = spec.cpus[i % len(spec.cpus)] if spec.cpus else None
        configs.append(LoadConfig(
            address=address, secret=server.secret.hex(), connections=conns,
            rate=spec.rate * conns / spec.clients, arrivals=spec.arrivals,
            seed=spec.seed * 1000 + i, warmup_s=spec.warmup_s, duration_s=spec.duration_s,
            drain_s=spec.drain_s, window=spec.window, frame_path=str(frame),
            result_path=str(work / f"result-{i}.json"),
            interval_log_path=str(work / f"intervals-{i}.hlog"), interval_s=spec.interval_s,
            cpu=cpu, spin_ns=spec.spin_ns, index=i))
    return configs


def _start(config: LoadConfig, work: Path) -> subprocess.Popen[bytes]:
    with open(work / f"stderr-{config.index}.txt", "wb") as err:
        proc = subprocess.Popen(_load_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=err, close_fds=True, start_new_session=True,
                                preexec_fn=die_with_parent())
    assert proc.stdin is not None
    proc.stdin.write(config.to_json().encode() + b"\n")
    proc.stdin.flush()
    return proc


def _why(proc: subprocess.Popen[bytes], index: int, work: Path) -> str:
    last = file_tail(work / f"stderr-{index}.txt", lines=1)
    return f"load process {index}: {last or exit_status(proc.returncode)}"


def _wait_connected(procs: list[subprocess.Popen[bytes]], work: Path) -> None:
    try:
        wait_all_ready(procs, [f"load process {i}" for i in range(len(procs))],
                       _CONNECT_TIMEOUT_S, word="CONNECTED",
                       logs=[work / f"stderr-{i}.txt" for i in range(len(procs))])
    except NotReady as exc:
        raise PointFailed(str(exc)) from exc


def _wait_done(procs: list[subprocess.Popen[bytes]], work: Path, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    for index, proc in enumerate(procs):
        try:
            code = wait_exact(proc, max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            raise PointFailed(f"load process {index} did not finish within {timeout_s:g} s"
                              ) from None
        if code != 0:
            raise PointFailed(_why(proc, index, work))


def _keep_logs(logs: list[Path], logs_to: Path | None) -> list[Path]:

    if logs_to is None:
        return []
    kept = []
    for index, log in enumerate(logs):
        target = logs_to / f"p{index}.hlog"
        data = log.read_bytes()
        atomic_write(target, lambda out, data=data: out.write(data))  # type: ignore[misc]
        kept.append(target)
    return kept


def _merge(spec: PointSpec, configs: list[LoadConfig], server_cpu_s: float) -> PointResult:
    results = [json.loads(Path(c.result_path).read_text()) for c in configs]
    latency = histograms.merge(r["latency"] for r in results)
    sched = histograms.merge(r["sched"] for r in results)
    counts = {key: sum(int(r["counts"][key]) for r in results) for key in results[0]["counts"]}
    # Every process counts the same intervals of the common window: add them up.
    per_interval = [sum(column) for column in zip(*(r["interval_replies"] for r in results),
                                                  strict=True)]
    duration = spec.duration_s
    intended_rate = counts["intended"] / duration
    achieved = counts["replies_in_window"] / duration
    closed = spec.rate <= 0
    # Replies inside the window answer requests intended about one latency earlier: compare
    # with those, or every point would look short by latency / duration.
    expected = counts["intended_shifted"] / duration
    saturated = (not closed) and (achieved < expected * (1 - SATURATION_TOLERANCE)
                                  or counts["overflow"] > 0 or counts["unanswered"] > 0)
    lat = histograms.summary(latency)
    sch = histograms.summary(sched)
    figures: dict[str, Any] = {
        "loop": "closed" if closed else "open",
        "offered_rps": None if closed else spec.rate,
        "intended_rps": None if closed else intended_rate,
        "sent_rps": counts["sent_in_window"] / duration,
        "achieved_rps": achieved,
        "interval_rps": " ".join(f"{n / spec.interval_s:g}" for n in per_interval),
        **{k: v for k, v in lat.items() if k != "count"},
        "samples": lat["count"],
        "sched_p99_s": None if closed else sch["p99_s"],
        "sched_max_s": None if closed else sch["max_s"],
        "server_cpu_per_request_s": (server_cpu_s / counts["replies"]
                                     if counts["replies"] else None),
        "overflow": counts["overflow"],
        "unanswered": counts["unanswered"],
        "saturated": saturated,
        # The generator missed its schedule: latencies include its own lateness.
        "late": (not closed) and is_late(sch["p99_s"]),
    }
    logs = [Path(c.interval_log_path) for c in configs if c.interval_log_path]
    return PointResult(figures, histograms.encode(latency), histograms.encode(sched),
                       [p for p in logs if p.exists()])
