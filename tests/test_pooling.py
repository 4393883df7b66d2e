"""Latency percentiles come from samples pooled over every pyperf worker, warm-ups excluded,
and slow round trips get a longer pyperf budget rather than fewer samples."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pyperf

from serbench.matrix import Budget, Cell, Matrix
from serbench.orchestrate import RunPlan, _budget_args, _Prepared
from serbench.payloads import make_payload
from serbench.results import samples_path
from serbench.stats import latency_percentiles


def test_samples_are_pooled_across_workers_without_warmups(tmp_path: Path) -> None:
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


def _prepared(encode_s: float, decode_s: float) -> _Prepared:
    from serbench.budget import CodecCost
    from serbench.fidelity import EXACT, Fidelity

    return _Prepared(Fidelity("pickle", "small-2", EXACT, encoded_bytes=40), None,
                     make_payload("small"), cost=CodecCost(encode_s, decode_s))


def _loops(args: list[str]) -> int:
    return int(args[args.index("--loops") + 1])


def test_slow_round_trips_get_more_loops_not_fewer_samples() -> None:
    budget = Budget(processes=2, values=2, warmups=1, min_time=0.03, min_samples=1000)
    plan = RunPlan(Matrix(["pickle"], ["small"], budget=budget), Path("unused"))
    cell = Cell("pickle", "small", "roundtrip", "tcp")
    slow = _budget_args(plan, cell, _prepared(1e-3, 1e-3))
    assert _loops(slow) * 2 * 2 >= 1000
    fast = _budget_args(plan, cell, _prepared(1e-7, 1e-7))
    # ~12 us per small round trip: min_time alone asks for more than min_samples.
    assert _loops(fast) * 2 * 2 > 1000
    encode = _budget_args(plan, Cell("pickle", "small", "encode", None), _prepared(1e-3, 1e-3))
    assert _loops(encode) == 30  # 0.03 s of 1 ms encodes; no sample floor in process
    assert fast[fast.index("--processes") + 1] == "2"


def test_user_pyperf_flags_replace_the_matrix_budget() -> None:
    plan = RunPlan(Matrix(["pickle"], ["small"]), Path("unused"), ["-p", "5"])
    args = _budget_args(plan, Cell("pickle", "small", "roundtrip", "tcp"), _prepared(1e-5, 1e-5))
    assert "--processes" not in args and "--values" in args
    fast = RunPlan(Matrix(["pickle"], ["small"]), Path("unused"), ["--fast"])
    assert _budget_args(fast, Cell("pickle", "small", "roundtrip", "tcp"),
                        _prepared(1e-5, 1e-5)) == []
