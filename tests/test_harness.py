"""`serbench harness` at its quick setting: the pairs, files and ratios it writes (structure only:
the figures themselves are the benchmark's business, not a unit test's)."""

from __future__ import annotations

import csv
import pickle
import subprocess
import sys
from pathlib import Path

import pyperf
import pytest

from serbench.harness.frames import bytes_with_pickle_size, frame_1m, frame_64
from serbench.harness.run import build_pairs, load_config
from serbench.harness.wallclock import split
from serbench.matrix import builtin_matrix_path


def test_frames_pickle_to_the_exact_sizes() -> None:
    assert len(pickle.dumps(frame_64(), protocol=5)) == 64
    assert len(pickle.dumps(frame_1m(), protocol=5)) == 2**20
    with pytest.raises(ValueError):
        bytes_with_pickle_size(3)


def test_every_pair_compares_the_same_benchmark_name_and_settings() -> None:
    cfg = load_config(builtin_matrix_path("harness"))
    pairs = build_pairs(cfg, quick=False)
    names = [p.name for p in pairs]
    assert len(names) == len(set(names))
    expected = {f"roundtrip/{t}/{s}B" for t in cfg.transports for s in cfg.roundtrip_frames}
    expected |= {f"stream/{t}/{s}B" for t in cfg.transports for s in cfg.stream_frames}
    expected |= {"encode/records-1000", "decode/records-1000"}
    assert set(names) == expected
    for pair in pairs:
        assert pair.name in pair.floor and pair.name in pair.serbench
        # Same pyperf budget on both sides of every pair.
        for flag in ("-p", "-n", "-w", "--min-time"):
            assert pair.floor[pair.floor.index(flag) + 1] == pair.serbench[
                pair.serbench.index(flag) + 1]


@pytest.fixture(scope="module")
def harness_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("harness") / "h"
    proc = subprocess.run([sys.executable, "-m", "serbench", "harness", "--quick", "-o", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "| roundtrip/tcp/64B |" in proc.stdout
    return out


def test_harness_writes_both_sides_and_a_table(harness_dir: Path) -> None:
    raw = pyperf.BenchmarkSuite.load(str(harness_dir / "raw.json"))
    mine = pyperf.BenchmarkSuite.load(str(harness_dir / "serbench.json"))
    assert set(raw.get_benchmark_names()) == set(mine.get_benchmark_names())
    with open(harness_dir / "harness.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert {r["scenario"] for r in rows} == {"roundtrip", "stream", "encode", "decode", "memory"}
    for row in rows:
        assert float(row["ratio"]) > 0
        assert row["meets_target"] in ("True", "False")
    memory = next(r for r in rows if r["scenario"] == "memory")
    assert int(memory["client_peak_bytes"]) > int(memory["bytes"])
    assert int(memory["server_peak_bytes"]) > int(memory["bytes"])
    assert (harness_dir / "harness.md").read_text().count("\n|") == len(rows) + 2  # header and rule
    assert not list(harness_dir.glob(".*"))


def test_pyperf_compare_to_lines_up_floor_and_serbench(harness_dir: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "pyperf", "compare_to",
                           str(harness_dir / "raw.json"), str(harness_dir / "serbench.json")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "roundtrip/uds/64B" in proc.stdout or "not significant" in proc.stdout


def test_wall_split_accounts_for_the_loops(harness_dir: Path) -> None:
    s = split(harness_dir)
    assert s.benchmarks == 2 * 8
    assert s.values_s > 0 and s.warmups_s > 0
    assert 0 < s.values_s + s.warmups_s + s.calibration_s < s.wall_s
    assert 0 < s.overhead_share < 1
