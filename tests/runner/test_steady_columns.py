"""The steady-state, cold-start and memory columns: medians over worker processes, the
allocator policy as a matrix option, and the terminal's memory table."""

from __future__ import annotations

from pathlib import Path

import pyperf
import pytest

from serbench.cli.main import build_parser
from serbench.cli.run import _matrix_from_args
from serbench.common.cell import Cell
from serbench.common.errors import UserError
from serbench.results.files import COLUMNS
from serbench.runner.matrix import builtin_matrix_path, load_matrix
from serbench.runner.progress import memory_lines
from serbench.runner.rows import worker_columns
from serbench.stats.summarise import CellRecord


def _bench(metas: list[dict[str, object]]) -> pyperf.Benchmark:
    runs = [pyperf.Run([1e-3 * (i + 1)], metadata={"name": "encode/small", **m},
                       collect_metadata=False) for i, m in enumerate(metas)]
    return pyperf.Benchmark(runs)


def test_columns_are_medians_over_workers_and_settled_is_a_count() -> None:
    bench = _bench([
        {"serbench_cold_first_s": 3e-3, "serbench_faults_per_call": 0.0,
         "serbench_alloc_peak_bytes": 100, "serbench_warmup_settled": 1},
        {"serbench_cold_first_s": 1e-3, "serbench_faults_per_call": 2.0,
         "serbench_alloc_peak_bytes": 300, "serbench_warmup_settled": 0},
        {"serbench_cold_first_s": 2e-3, "serbench_faults_per_call": 1.0,
         "serbench_alloc_peak_bytes": 201, "serbench_warmup_settled": 1}])
    got = worker_columns(bench)
    assert got["cold_first_s"] == 2e-3
    assert got["faults_per_call"] == 1.0
    assert got["alloc_peak_bytes"] == 201 and isinstance(got["alloc_peak_bytes"], int)
    assert got["settled_workers"] == 2
    assert got["retained_bytes"] is None          # no worker recorded it (a round trip)
    assert set(got) <= set(COLUMNS)


def test_a_run_before_these_columns_has_them_empty() -> None:
    got = worker_columns(_bench([{}, {}]))
    assert all(v is None for v in got.values())


def test_the_allocator_policy_is_a_matrix_option(tmp_path: Path) -> None:
    assert load_matrix(builtin_matrix_path()).malloc == "steady"
    matrix = tmp_path / "m.toml"
    matrix.write_text('codecs = ["pickle"]\npayloads = ["small"]\n[options]\nmalloc = "default"\n')
    assert load_matrix(matrix).malloc == "default"
    matrix.write_text('codecs = ["pickle"]\npayloads = ["small"]\n[options]\nmalloc = "jemalloc"\n')
    with pytest.raises(UserError, match=r"line 4.*malloc policy"):
        load_matrix(matrix)
    args = build_parser(["run"]).parse_args(["run", "--malloc", "default"])
    assert _matrix_from_args(args)[0].malloc == "default"


def test_the_terminal_shows_memory_beside_time() -> None:
    rows = [CellRecord(Cell("orjson", "corpus:canada", scenario, None), {
        "payload": "corpus-canada", "alloc_peak_bytes": peak, "faults_per_call": faults})
        for scenario, peak, faults in (("encode", 4_153_409, 0.0), ("decode", 32_217_353, 1.5))]
    rows.append(CellRecord(Cell("orjson", "small", "roundtrip", "uds"), {"payload": "small"}))
    lines = memory_lines(rows)
    assert lines[0].startswith("memory per call")
    assert "4.15 MB / 32.2 MB, 1.5 flt" in lines[1]
    assert memory_lines(rows[2:]) == []
