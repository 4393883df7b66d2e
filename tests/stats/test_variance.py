"""Variance components and Kalibera & Jones's best split, against hand-computed values."""

from __future__ import annotations

import math
from pathlib import Path

import pyperf
import pytest

from serbench.stats.variance import components, optimal_values


def _run(values: list[float], wall: float, loops: int = 10) -> pyperf.Run:
    return pyperf.Run(values, warmups=[(loops, values[0])], collect_metadata=False,
                      metadata={"name": "encode/x", "loops": loops, "unit": "second",
                                "serbench_worker_s": wall})


def test_components_of_a_known_benchmark() -> None:
    bench = pyperf.Benchmark([_run([1.0, 3.0], 100.0), _run([5.0, 7.0], 100.0)])
    got = components(bench)
    assert got is not None
    # within: each run's sample variance is 2; between: var(2, 6) = 8, less 2 / 2 values = 7
    assert got.within_sd == pytest.approx(math.sqrt(2) / 4)
    assert got.between_sd == pytest.approx(math.sqrt(7) / 4)
    assert got.processes == 2 and got.values_per_process == 2
    # a value is mean x loops = 4 x 10 = 40 s; a process the rest: 100 - 2 x 40 (its
    # warm-up is part of what a process costs)
    assert got.value_s == pytest.approx(40.0)
    assert got.process_s == pytest.approx(20.0)


def test_optimal_values_formula() -> None:
    # c_p / c_v = 9, S_w / S_b = 4: n* = sqrt(36) = 6
    assert optimal_values(0.9, 0.1, 4.0, 1.0) == pytest.approx(6.0)
    assert optimal_values(0.9, 0.1, 1.0, 0.0) == math.inf
    assert optimal_values(None, 0.1, 1.0, 1.0) is None


def test_one_value_per_process_has_no_within_component() -> None:
    bench = pyperf.Benchmark([_run([1.0], 1.0), _run([2.0], 1.0)])
    assert components(bench) is None


def test_cli_prints_components_per_scenario() -> None:
    from conftest import run_serbench

    fixture = Path(__file__).parent.parent / "fixtures" / "results-small"  # 2+ values per worker
    proc = run_serbench("variance", str(fixture))
    assert proc.returncode == 0, proc.stderr
    header, _rule, *rows = proc.stdout.splitlines()[:6]
    assert "between-process SD" in header
    assert [r.split()[0] for r in rows] == ["roundtrip", "stream", "encode", "decode"]
