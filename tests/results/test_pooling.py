"""Latency percentiles come from samples pooled over every worker process of every round,
warm-ups excluded."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pyperf
import pytest

from serbench.results.files import samples_path
from serbench.results.record import pool_samples
from serbench.stats.percentiles import latency_percentiles


@pytest.mark.slow
def test_samples_are_pooled_across_rounds_without_warmups(tmp_path: Path) -> None:
    out = tmp_path / "r"
    proc = subprocess.run(
        [sys.executable, "-m", "serbench", "run", "--codecs", "null", "--payloads", "small",
         "--transports", "uds", "--scenarios", "roundtrip", "-p", "3", "-n", "2", "-w", "1",
         "--min-time", "0.005", "--no-report", "-o", str(out)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    bench = pyperf.BenchmarkSuite.load(str(out / "null.json")).get_benchmarks()[0]
    measured_runs = [run for run in bench.get_runs() if run.values]
    assert len(measured_runs) == 3
    assert sorted(run.get_metadata()["serbench_round"] for run in measured_runs) == [1, 2, 3]
    expected = sum(run.get_loops() * len(run.values) for run in measured_runs)
    samples = np.load(samples_path(out, "null", "roundtrip/uds/small-2"))
    assert samples.size == expected
    meta = bench.get_metadata()
    assert meta["serbench_samples"] == expected
    pct = latency_percentiles(samples)
    assert meta["serbench_p99_s"] == pct["p99"]


def test_percentiles_are_of_the_pooled_samples() -> None:
    # Two "workers" with different tails: the pooled p99 is not the mean of their p99s.
    a = np.full(1000, 10_000, dtype=np.int64)
    b = np.concatenate([np.full(950, 10_000), np.full(50, 1_000_000)]).astype(np.int64)
    pooled = latency_percentiles(np.concatenate([a, b]))
    mean_of_p99 = (latency_percentiles(a)["p99"] + latency_percentiles(b)["p99"]) / 2
    assert pooled["p99"] == 1e-3
    assert pooled["p99"] != mean_of_p99
    assert pooled["p50"] <= pooled["p90"] <= pooled["p99"] <= pooled["p999"] <= pooled["max"]


def test_pool_samples_reads_every_worker_file(tmp_path: Path) -> None:
    assert pool_samples(tmp_path / "missing").size == 0
    assert pool_samples(tmp_path).size == 0
    np.array([1, 2], dtype=np.int64).tofile(tmp_path / "a.ns")
    np.array([3], dtype=np.int64).tofile(tmp_path / "b.ns")
    (tmp_path / ".c.tmp").write_bytes(b"half-written")  # not a finished worker file
    assert pool_samples(tmp_path).tolist() == [1, 2, 3]
