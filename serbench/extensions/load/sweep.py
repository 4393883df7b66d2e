"""The sweep: per payload, server kind and codec, the closed-loop maximum, then open-loop
points at offered rates from a fraction of it to past it; the generator's ceiling from the
`null` codec; each codec's capacity and the highest rate that holds the p99 target.

The `null` codec is the ceiling's server because its server path answers without decoding:
`decode` hands back the received view and `encode` returns it, so what is left is the
generator, the sockets and the server's own loop, the same for every codec (a separate
"echo" server mode would measure a server other codecs never run in). Its highest achieved
rate is the rig's ceiling: a codec whose capacity comes within `GENERATOR_MARGIN` of it
cannot be told apart from the rig's own limit and is marked `generator-bound`.
"""

from __future__ import annotations

import math
import signal
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from serbench.codecs import CodecUnavailable, get_codec
from serbench.codecs.base import joined
from serbench.common.vocabulary import FLOOR_CODEC
from serbench.extensions.load.point import (
    LoadShape,
    PointFailed,
    PointResult,
    PointSpec,
    run_point,
)
from serbench.extensions.load.schedule import auto_spin_ns
from serbench.extensions.load.servers import LoadServer
from serbench.fidelity.roundtrip import check_bound
from serbench.payloads import make_payload
from serbench.transport.errors import TransportError
from serbench.transport.placement import cpus_for

#: Offered rates as fractions of the closed-loop maximum (10 % .. 110 %).
DEFAULT_FRACTIONS = (0.1, 0.3, 0.5, 0.7, 0.8, 0.9, 1.0, 1.1)
#: A capacity at or above this share of the ceiling is the generator's, not the codec's.
GENERATOR_MARGIN = 0.9
CODEC_BOUND, GENERATOR_BOUND, CEILING, UNKNOWN = "codec", "generator-bound", "ceiling", \
    "unknown"
#: The point that broke the p99 target was one where the generator missed its schedule.
GENERATOR_LATE = "generator-late"


@dataclass(kw_only=True)
class SweepConfig(LoadShape):
    """Everything a sweep is asked for (recorded with the run); its `LoadShape` fields go to
    every point (the closed-loop point's length is `closed_s`)."""

    codecs: list[str]
    payloads: list[str]
    servers: list[str]
    clients: int = 8
    fractions: list[float] = field(default_factory=lambda: list(DEFAULT_FRACTIONS))
    rates: list[float] | None = None
    duration_s: float = 5.0
    warmup_s: float = 1.0
    closed_s: float = 2.0
    pin: str = "split"
    gc: str = "on"
    transport: str = "tcp"
    p99_target_s: float = 1e-3
    spin_ns: int | None = None  # None: `auto_spin_ns` (busy-wait on a CPU of its own)
    ceiling: bool = True
    stall_ms: float | None = None


class Sink(Protocol):
    """Where points and summaries go (the results directory, or a test's list)."""

    def point(self, row: dict[str, Any], result: PointResult | None) -> None: ...

    def summary(self, rows: list[dict[str, Any]]) -> None: ...

    def logs_dir(self, row: dict[str, Any]) -> Any: ...


def codecs_to_run(config: SweepConfig) -> list[str]:
    """The requested codecs, with `null` first when the ceiling is measured."""
    names = [c for c in config.codecs if c != FLOOR_CODEC]
    return [FLOOR_CODEC, *names] if config.ceiling or FLOOR_CODEC in config.codecs else names


def open_rates(closed_max: float, config: SweepConfig) -> list[tuple[str, float, float | None]]:
    """(point label, offered rate, fraction of the closed-loop maximum) for each open point."""
    if config.rates:
        return [(f"open-{rate:g}rps", rate, rate / closed_max if closed_max else None)
                for rate in config.rates]
    return [(f"open-{round(f * 100)}pct", f * closed_max, f) for f in config.fractions
            if f * closed_max > 0]


def run_sweep(config: SweepConfig, sink: Sink, progress: Callable[[str], None]) -> None:
    """Every payload x server kind x codec, point by point; each point goes to `sink` as it
    finishes, each (payload, server) group's summary after its last codec."""
    client_cpu, server_cpu = cpus_for(config.pin)
    processes = min(config.processes, config.clients)
    spin_ns = (config.spin_ns if config.spin_ns is not None
               else auto_spin_ns(client_cpu, server_cpu, processes))
    for spec in config.payloads:
        made = make_payload(spec)
        for kind in config.servers:
            rows: list[dict[str, Any]] = []
            for name in codecs_to_run(config):
                base = {"server": kind, "codec": name, "payload": made.label,
                        "payload_spec": made.spec, "clients": config.clients,
                        "arrivals": config.arrivals, "transport": config.transport,
                        "pin": config.pin, "server_cpu": server_cpu, "load_cpu": client_cpu,
                        "load_processes": processes, "spin_us": spin_ns / 1000}
                progress(f"{kind} server, {name}, {made.label}")
                rows.extend(_codec_points(config, sink, base, made, server_cpu, client_cpu,
                                          spin_ns, progress))
            sink.summary(summarise(rows, config.p99_target_s))


def _skip(sink: Sink, base: dict[str, Any], status: str, detail: str) -> list[dict[str, Any]]:
    row = {**base, "point": "closed", "loop": "closed", "status": status, "detail": detail}
    sink.point(row, None)
    return [row]


def _codec_points(config: SweepConfig, sink: Sink, base: dict[str, Any], made: Any,
                  server_cpu: int | None, client_cpu: int | None, spin_ns: int,
                  progress: Callable[[str], None]) -> list[dict[str, Any]]:
    try:
        codec = get_codec(base["codec"])
    except CodecUnavailable as exc:
        return _skip(sink, base, "skipped", f"unavailable: {exc}")
    fidelity, bound = check_bound(codec, made)
    if not fidelity.timed:
        return _skip(sink, base, "skipped", f"{fidelity.status}: {fidelity.detail}")
    # A shape-derived codec (schema, typed) is bound to the payload here and, from its spec,
    # in the server, before anything is timed.
    body = joined(bound.encode(bound.prepared(made.obj)))
    base = {**base, "fidelity": fidelity.status, "request_bytes": len(body)}
    rows: list[dict[str, Any]] = []
    closed_shape = {**config.load_shape(), "duration_s": config.closed_s,
                    "warmup_s": min(config.warmup_s, config.closed_s / 2)}
    spec = PointSpec(**closed_shape, rate=0.0, cpus=[client_cpu], spin_ns=spin_ns)
    try:
        with LoadServer(base["codec"], config.transport, cpu=server_cpu,
                        gc_policy=config.gc, kind=base["server"],
                        payload=made.spec if bound is not codec else None,
                        max_connections=config.clients + 8) as server:
            base["server_pid"] = server.pid
            closed = _run_point(server, body, spec, sink, {**base, "point": "closed"}, rows,
                              config.stall_ms)
            if closed is None:
                return rows
            closed_max = float(closed["achieved_rps"])
            plan = open_rates(closed_max, config)
            if config.stall_ms:
                plan = [(f"open-{round(0.5 * 100)}pct", 0.5 * closed_max, 0.5)]
            for label, rate, fraction in plan:
                spec.rate, spec.warmup_s, spec.duration_s = rate, config.warmup_s, \
                    config.duration_s
                spec.window = stall_window(config, rate)
                progress(f"  {label}: {rate:,.0f} requests/s offered")
                row = _run_point(server, body, spec, sink,
                               {**base, "point": label, "fraction": fraction}, rows,
                               config.stall_ms)
                if row is None and not server.alive():
                    for later, _, _ in plan[plan.index((label, rate, fraction)) + 1:]:
                        failed = {**base, "point": later, "loop": "open", "status": "failed",
                                  "detail": "not measured: the server died earlier"}
                        sink.point(failed, None)
                        rows.append(failed)
                    break
    except TransportError as exc:  # the server did not start
        failed = {**base, "point": "closed", "loop": "closed", "status": "failed",
                  "detail": str(exc)}
        sink.point(failed, None)
        rows.append(failed)
    return rows


def _run_point(server: LoadServer, body: bytes, spec: PointSpec, sink: Sink,
             row: dict[str, Any], rows: list[dict[str, Any]],
             stall_ms: float | None = None) -> dict[str, Any] | None:
    """One point into `rows` and the sink; None when it failed (its row says why)."""
    disturb = stall_disturbance(server, spec, stall_ms) if stall_ms else None
    row["stall_ms"] = stall_ms
    try:
        result = run_point(server, body, spec, disturb=disturb, logs_to=sink.logs_dir(row))
    except (PointFailed, TransportError, OSError) as exc:
        row.update(loop="closed" if spec.rate <= 0 else "open", status="failed",
                   detail=str(exc))
        sink.point(row, None)
        rows.append(row)
        return None
    row.update(result.figures, status="ok", detail="")
    sink.point(row, result)
    rows.append(row)
    return row


def stall_window(config: SweepConfig, rate: float) -> int:
    """The in-flight window per connection: `config.window`, or, in the stall demonstration,
    enough for every request due during the stall (twice over), so that none overflows and
    each one is charged the stall."""
    if not config.stall_ms:
        return config.window
    due = rate * config.stall_ms / 1000 / max(1, config.clients)
    return max(config.window, math.ceil(2 * due))


def stall_disturbance(server: LoadServer, spec: PointSpec,
                      stall_ms: float) -> Callable[[int], None]:
    """SIGSTOP the server for `stall_ms` in the middle of the measured window, then SIGCONT."""

    def disturb(start_ns: int) -> None:
        at = start_ns + int((spec.warmup_s + spec.duration_s / 2) * 1e9)
        time.sleep(max(0.0, (at - time.monotonic_ns()) / 1e9))
        server.signal(signal.SIGSTOP)
        try:
            time.sleep(stall_ms / 1000)
        finally:
            server.signal(signal.SIGCONT)

    return disturb


def summarise(rows: Iterable[dict[str, Any]], p99_target_s: float) -> list[dict[str, Any]]:
    """Per codec of one (payload, server) group: capacity, highest rate holding the p99
    target, and whether its capacity is its own or the generator's."""
    ok = [r for r in rows if r.get("status") == "ok"]
    ceiling = max((float(r["achieved_rps"]) for r in ok if r["codec"] == FLOOR_CODEC),
                  default=None)
    out = []
    for codec in dict.fromkeys(r["codec"] for r in rows):
        mine = [r for r in ok if r["codec"] == codec]
        first = next(r for r in rows if r["codec"] == codec)
        at_capacity = max(mine, key=lambda r: float(r["achieved_rps"]), default=None)
        capacity = float(at_capacity["achieved_rps"]) if at_capacity else None
        holding = [r for r in mine
                   if r["loop"] == "open" and not r["saturated"] and r["p99_s"] is not None
                   and r["p99_s"] <= p99_target_s]
        at_target = max(holding, key=lambda r: float(r["achieved_rps"]), default=None)
        # The first open point faster than the target rate that missed it: when the generator
        # was late there, the limit found is the generator's, not the codec's.
        missed = min((r for r in mine if r["loop"] == "open" and r not in holding
                      and float(r["achieved_rps"]) > (float(at_target["achieved_rps"])
                                                      if at_target else 0.0)),
                     key=lambda r: float(r["offered_rps"]), default=None)
        saturated_at = min((float(r["offered_rps"]) for r in mine
                            if r["loop"] == "open" and r["saturated"]), default=None)
        if codec == FLOOR_CODEC:
            bound = CEILING
        elif capacity is None or ceiling is None:
            bound = UNKNOWN
        else:
            bound = GENERATOR_BOUND if capacity >= GENERATOR_MARGIN * ceiling else CODEC_BOUND
        out.append({"server": first["server"], "codec": codec, "payload": first["payload"],
                    "clients": first["clients"], "capacity_rps": capacity,
                    "saturated_at_offered_rps": saturated_at,
                    "max_rps_within_p99_target": (float(at_target["achieved_rps"])
                                                  if at_target else None),
                    "p99_target_s": p99_target_s, "ceiling_rps": ceiling, "bound": bound,
                    "target_bound": (None if missed is None else
                                     GENERATOR_LATE if missed.get("late") else CODEC_BOUND),
                    "capacity_interval_rps": (at_capacity or {}).get("interval_rps"),
                    "target_interval_rps": (at_target or {}).get("interval_rps"),
                    "points_ok": len(mine),
                    "points_late": sum(1 for r in mine if r.get("late")),
                    "points_failed": sum(1 for r in rows if r["codec"] == codec
                                         and r.get("status") == "failed")})
    return out
