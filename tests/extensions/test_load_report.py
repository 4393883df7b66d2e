"""What the load scenario concludes from its points, and the report made from files alone:
capacity, the highest rate that holds the p99 target, the generator-bound mark, the chart's
data, the results directory's files and the pyperf suites."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyperf

from serbench.extensions.load.charts import curves, hockey_stick_chart
from serbench.extensions.load.output import LOAD_CSV, SUMMARY_CSV, LoadResults, safe, write_suite
from serbench.extensions.load.report import load_fragment, summary_lines, write_load_report
from serbench.extensions.load.sweep import (
    CEILING,
    CODEC_BOUND,
    GENERATOR_BOUND,
    GENERATOR_LATE,
    SweepConfig,
    codecs_to_run,
    open_rates,
    stall_window,
    summarise,
)


def _row(codec: str, point: str, achieved: float, p99: float, saturated: bool = False,
         loop: str = "open", offered: float | None = None, status: str = "ok",
         late: bool = False) -> dict[str, Any]:
    return {"server": "uvloop", "codec": codec, "payload": "small", "clients": 8,
            "point": point, "loop": loop, "status": status, "detail": "",
            "offered_rps": offered if offered is not None else achieved,
            "achieved_rps": achieved, "p50_s": p99 / 4, "p99_s": p99, "p999_s": p99 * 2,
            "max_s": p99 * 3, "saturated": saturated, "late": late, "samples": 100}


ROWS = [
    _row("null", "closed", 20_000, 2e-4, loop="closed"),
    _row("null", "open-50pct", 10_000, 1e-4),
    _row("null", "open-100pct", 19_500, 5e-3, saturated=True, offered=20_000),
    _row("pickle", "closed", 9_000, 3e-4, loop="closed"),
    _row("pickle", "open-50pct", 4_500, 2e-4),
    _row("pickle", "open-90pct", 8_100, 8e-4, late=True),
    _row("pickle", "open-110pct", 9_100, 2e-2, saturated=True, offered=9_900),
    _row("orjson", "closed", 19_000, 2e-4, loop="closed"),
    _row("orjson", "open-50pct", 9_500, 3e-3),
    _row("msgpack", "closed", 0, 0, loop="closed", status="failed"),
]


def test_summary_marks_capacity_target_and_bound() -> None:
    by = {s["codec"]: s for s in summarise(ROWS, p99_target_s=1e-3)}
    assert by["null"]["bound"] == CEILING and by["null"]["ceiling_rps"] == 20_000
    pickle = by["pickle"]
    assert pickle["capacity_rps"] == 9_100
    assert pickle["max_rps_within_p99_target"] == 8_100  # the saturated point never counts
    assert pickle["saturated_at_offered_rps"] == 9_900
    assert pickle["bound"] == CODEC_BOUND
    assert by["orjson"]["bound"] == GENERATOR_BOUND  # 19 000 is within 10 % of the ceiling
    assert by["orjson"]["max_rps_within_p99_target"] is None  # its p99 misses the target
    assert by["msgpack"]["capacity_rps"] is None and by["msgpack"]["points_failed"] == 1
    assert pickle["points_late"] == 1 and by["orjson"]["points_late"] == 0
    # pickle's 110 % point missed the target and was on time: the codec's own limit
    assert pickle["target_bound"] == CODEC_BOUND
    late = [dict(r, late=True) if r["point"] == "open-110pct" else r for r in ROWS]
    assert {s["codec"]: s for s in summarise(late, 1e-3)}["pickle"]["target_bound"] == \
        GENERATOR_LATE
    assert by["msgpack"]["target_bound"] is None


def test_rates_and_codecs_of_a_sweep() -> None:
    config = SweepConfig(codecs=["pickle", "null"], payloads=["small"], servers=["asyncio"],
                         fractions=[0.1, 1.1])
    assert codecs_to_run(config) == ["null", "pickle"]
    assert open_rates(1000.0, config) == [("open-10pct", 100.0, 0.1),
                                          ("open-110pct", 1100.0, 1.1)]
    config.rates = [250.0]
    assert open_rates(1000.0, config) == [("open-250rps", 250.0, 0.25)]
    config.ceiling = False
    config.codecs = ["pickle"]
    assert codecs_to_run(config) == ["pickle"]
    assert stall_window(config, 40_000.0) == config.window  # no stall: the flag's window
    config.stall_ms, config.clients = 100.0, 8
    # 40 000/s for 100 ms over 8 connections: 500 due on each, room for twice that
    assert stall_window(config, 40_000.0) == 1000
    assert stall_window(config, 100.0) == config.window


def test_chart_data_is_the_open_measured_points_by_rate() -> None:
    data = curves(ROWS, "small")
    assert data[("pickle", "uvloop")] == [(4_500, 2e-4, False, False),
                                         (8_100, 8e-4, False, True),
                                         (9_100, 2e-2, True, False)]
    assert ("msgpack", "uvloop") not in data
    assert curves(ROWS, "records-1000") == {}
    assert hockey_stick_chart(ROWS, "records-1000", 1e-3) is None


def test_results_directory_and_report(tmp_path: Path) -> None:
    config = SweepConfig(codecs=["pickle"], payloads=["small"], servers=["uvloop"])
    sink = LoadResults(tmp_path, config)
    for row in ROWS:
        sink.point(dict(row), None)
    sink.summary(summarise(ROWS, 1e-3))
    sink.finish("complete")
    with (tmp_path / LOAD_CSV).open() as handle:
        assert len(list(csv.DictReader(handle))) == len(ROWS)
    with (tmp_path / SUMMARY_CSV).open() as handle:
        assert [r["codec"] for r in csv.DictReader(handle)] == ["null", "pickle", "orjson",
                                                                "msgpack"]
    suite = pyperf.BenchmarkSuite.load(str(tmp_path / "load-pickle.json"))
    names = sorted(suite.get_benchmark_names())
    assert names == ["load/uvloop/small/c8/capacity", "load/uvloop/small/c8/p99-under-1000us"]
    assert suite.get_benchmark("load/uvloop/small/c8/capacity").mean() == 1 / 9_100
    env = json.loads((tmp_path / "load_environment.json").read_text())
    assert env["status"] == "complete" and env["load"]["pin"] == "split"
    page = write_load_report(tmp_path)
    text = page.read_text()
    assert "data:image/png;base64," in text and "generator-bound" in text
    assert "contention" in text or (env["cpu_count"] or 3) > 2
    assert (tmp_path / "charts" / "load-small.png").stat().st_size > 0
    assert load_fragment(tmp_path / "nothing") is None
    assert any("pickle" in line for line in summary_lines(summarise(ROWS, 1e-3)))


def test_safe_names() -> None:
    assert safe("records:1000") == "records-1000"
    assert safe("a/b c") == "a-b-c"


def test_headline_values_are_the_capacity_points_per_second_rates(tmp_path: Path) -> None:
    rows = [dict(r) for r in ROWS]
    for row in rows:
        if row["codec"] == "pickle" and row["point"] == "open-110pct":
            row["interval_rps"] = "9000 9100 9200"
        if row["codec"] == "pickle" and row["point"] == "open-90pct":
            row["interval_rps"] = "8000 8200"
    by = {s["codec"]: s for s in summarise(rows, 1e-3)}
    assert by["pickle"]["capacity_interval_rps"] == "9000 9100 9200"
    assert by["pickle"]["target_interval_rps"] == "8000 8200"
    suite_path = tmp_path / "load-pickle.json"
    write_suite(suite_path, [by["pickle"]])
    suite = pyperf.BenchmarkSuite.load(str(suite_path))
    capacity = suite.get_benchmark("load/uvloop/small/c8/capacity")
    assert capacity.get_values() == (1 / 9000, 1 / 9100, 1 / 9200)
    target = suite.get_benchmark("load/uvloop/small/c8/p99-under-1000us")
    assert target.get_values() == (1 / 8000, 1 / 8200)
    other = tmp_path / "load-other.json"
    by["pickle"]["capacity_interval_rps"] = "4000 4100 4200"
    write_suite(other, [by["pickle"]])
    compared = subprocess.run([sys.executable, "-m", "pyperf", "compare_to", str(suite_path),
                               str(other)], capture_output=True, text=True, check=False)
    assert "capacity" in compared.stdout and "ERROR" not in compared.stdout + compared.stderr
