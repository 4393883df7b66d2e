"""The load scenario's results directory, written as each point finishes.

- `load.csv`: one tidy row per point (closed loop, then each offered rate), failed and skipped
  points with their reason;
- `load_summary.csv`: per server kind x payload x codec: capacity, the highest rate that holds
  the p99 target, the generator's ceiling and whether the capacity is the codec's;
- `hdr/<server>/<codec>/<payload>/<point>.latency.hdr` and `.sched.hdr`: each point's merged
  HdrHistograms (base64, HdrHistogram's V2 encoding), to merge or re-read later;
- `intervals/<server>/<codec>/<payload>/<point>/p<i>.hlog`: each load process's interval log;
- `load-<codec>.json`: headline figures as a pyperf suite (seconds per request at capacity and
  at the p99 target), so `python -m pyperf compare_to load-pickle.json load-msgpack.json`
  lines codecs up;
- `load_environment.json`: the machine, libraries, the sweep's settings and placement.

Every file is replaced atomically (`results.atomic_write`): an interrupted run leaves the
points it finished complete and nothing half-written.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from serbench.extensions.load.point import PointResult
from serbench.extensions.load.sweep import SweepConfig
from serbench.results import environment
from serbench.results.files import atomic_write_text, check_writable

LOAD_CSV = "load.csv"
SUMMARY_CSV = "load_summary.csv"
ENVIRONMENT = "load_environment.json"
COLUMNS = [
    "server", "codec", "payload", "point", "loop", "status", "detail", "clients",
    "arrivals", "fraction", "offered_rps", "intended_rps", "sent_rps", "achieved_rps",
    "interval_rps",
    "saturated", "p50_s", "p90_s", "p99_s", "p999_s", "max_s", "samples", "sched_p99_s",
    "sched_max_s", "late", "spin_us", "server_cpu_per_request_s", "overflow", "unanswered",
    "stall_ms", "request_bytes", "fidelity", "transport", "pin", "server_cpu", "load_cpu",
    "load_processes", "server_pid", "payload_spec",
]
SUMMARY_COLUMNS = [
    "server", "codec", "payload", "clients", "capacity_rps", "saturated_at_offered_rps",
    "max_rps_within_p99_target", "target_bound", "p99_target_s", "ceiling_rps", "bound",
    "capacity_interval_rps", "target_interval_rps", "points_ok",
    "points_late", "points_failed",
]
_SAFE = re.compile(r"[^A-Za-z0-9._+-]+")


def safe(name: str) -> str:
    """A file-name-safe form of a label (`records:1000` -> `records-1000`)."""
    return _SAFE.sub("-", name).strip("-") or "x"


def _csv(rows: list[dict[str, Any]], columns: list[str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in columns})
    return out.getvalue()


class LoadResults:
    """The sweep's sink: every point and summary goes to disk at once."""

    def __init__(self, directory: Path, config: SweepConfig) -> None:
        check_writable(directory)
        self.directory = directory
        self.rows: list[dict[str, Any]] = []
        self.summaries: list[dict[str, Any]] = []
        self.env = environment.collect({"scenario": "load", "load": asdict(config),
                                        "status": "running"})
        self._write_env()

    def _point_dir(self, top: str, row: dict[str, Any]) -> Path:
        return (self.directory / top / safe(row["server"]) / safe(row["codec"])
                / safe(row["payload"]))

    def logs_dir(self, row: dict[str, Any]) -> Path:
        """Where a point's interval logs go."""
        return self._point_dir("intervals", row) / safe(row["point"])

    def point(self, row: dict[str, Any], result: PointResult | None) -> None:
        """Record one point (its histograms first, then the row that names them)."""
        if result is not None:
            where = self._point_dir("hdr", row)
            atomic_write_text(where / f"{safe(row['point'])}.latency.hdr", result.latency + "\n")
            atomic_write_text(where / f"{safe(row['point'])}.sched.hdr", result.sched + "\n")
        self.rows.append(row)
        atomic_write_text(self.directory / LOAD_CSV, _csv(self.rows, COLUMNS))

    def summary(self, rows: list[dict[str, Any]]) -> None:
        """Record one (payload, server) group's summary, and rewrite the pyperf suites."""
        self.summaries.extend(rows)
        atomic_write_text(self.directory / SUMMARY_CSV, _csv(self.summaries, SUMMARY_COLUMNS))
        for codec in dict.fromkeys(r["codec"] for r in self.summaries):
            write_suite(self.directory / f"load-{safe(codec)}.json",
                        [r for r in self.summaries if r["codec"] == codec])

    def finish(self, status: str) -> None:
        """The run's end: `complete`, `interrupted` or `failed`, recorded."""
        self.env["status"] = status
        self.env["end"] = environment.now_iso()
        self._write_env()

    def _write_env(self) -> None:
        atomic_write_text(self.directory / ENVIRONMENT,
                          json.dumps(self.env, indent=2, sort_keys=True, default=str) + "\n")


def headline_benchmarks(summary: dict[str, Any]) -> list[tuple[str, list[float], str]]:
    """(name, seconds, description) of one summary row's pyperf benchmarks; names carry no
    codec, so `compare_to` pairs codecs. pyperf has no rate unit: a rate R is 1/R seconds.

    The values are the point's per-interval rates (one per second of its window), so pyperf
    sees the spread and can test significance; their mean of 1/R is within the intervals'
    spread of 1/(the point's overall rate), which `load_summary.csv` holds exactly. A point
    without intervals gives its one overall value."""
    prefix = f"load/{summary['server']}/{summary['payload']}/c{summary['clients']}"
    out = []
    if summary.get("capacity_rps"):
        out.append((f"{prefix}/capacity",
                    _per_request(summary.get("capacity_interval_rps"), summary["capacity_rps"]),
                    "seconds per request at the highest achieved rate"))
    if summary.get("max_rps_within_p99_target"):
        target_us = round(float(summary["p99_target_s"]) * 1e6)
        out.append((f"{prefix}/p99-under-{target_us}us",
                    _per_request(summary.get("target_interval_rps"),
                                 summary["max_rps_within_p99_target"]),
                    "seconds per request at the highest rate whose p99 holds the target"))
    return out


def _per_request(intervals: Any, overall: Any) -> list[float]:
    """Seconds per request of each interval's rate (space-separated), else of `overall`."""
    rates = [float(v) for v in str(intervals or "").split()]
    if rates and all(rate > 0 for rate in rates):
        return [1.0 / rate for rate in rates]
    return [1.0 / float(overall)]


def write_suite(path: Path, summaries: list[dict[str, Any]]) -> None:
    """One codec's headline figures as a pyperf BenchmarkSuite, replaced atomically."""
    import pyperf

    benches = []
    for summary in summaries:
        for name, values, description in headline_benchmarks(summary):
            metadata = {"name": name, "unit": "second", "description": description,
                        "serbench_codec": summary["codec"], "serbench_bound": summary["bound"],
                        "serbench_target_bound": summary.get("target_bound") or "",
                        "serbench_scenario": "load"}
            run = pyperf.Run(values, metadata=metadata, collect_metadata=False)
            benches.append(pyperf.Benchmark([run]))
    if not benches:
        return
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        pyperf.BenchmarkSuite(benches).dump(tmp, replace=True)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
