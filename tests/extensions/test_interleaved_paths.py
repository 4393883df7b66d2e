"""The in-process checks of `serbench harness`: the block order, the ratio arithmetic on known
figures, the block size from a fake clock, a pair's row pooled over rounds, and one tiny real
run of each (its structure only; the figures are the harness's business)."""

from __future__ import annotations

import json
import os
import sys
import types
from array import array
from collections.abc import Callable
from pathlib import Path

import pytest

from serbench.extensions.harness import interleaved_codecs, interleaved_paths
from serbench.extensions.harness.interleaved import (
    RAW,
    SERBENCH,
    summarize,
)
from serbench.extensions.harness.interleaved_paths import block_p50
from serbench.extensions.harness.run import Pair, _row
from serbench.stats.block_pairs import calls_per_block, interleave
from serbench.transport.paths.base import PEER_PROCESS_NAME


def test_the_side_that_goes_first_alternates_by_pair() -> None:
    order: list[str] = []

    def side(name: str, figure: float) -> Callable[[], float]:
        def run() -> float:
            order.append(name)
            return figure
        return run

    blocks = interleave({RAW: side(RAW, 1.0), SERBENCH: side(SERBENCH, 2.0)}, 3)
    assert order == [RAW, SERBENCH, SERBENCH, RAW, RAW, SERBENCH]
    assert blocks == {RAW: [1.0, 1.0, 1.0], SERBENCH: [2.0, 2.0, 2.0]}


def test_the_figure_is_the_median_of_per_pair_ratios() -> None:
    # Pair 2 is a slow phase for both sides: its ratio is what counts, not its size.
    out = summarize({RAW: [10.0, 30.0, 10.0], SERBENCH: [11.0, 33.0, 13.0]})
    assert out["ratios"] == pytest.approx([1.1, 1.1, 1.3])
    assert out["ratio"] == pytest.approx(1.1)
    assert (out["ratio_min"], out["ratio_max"]) == pytest.approx((1.1, 1.3))
    assert out["raw_s"] == 10.0 and out["serbench_s"] == 13.0


def test_a_block_size_comes_from_trials_that_grow_until_one_lasts_a_millisecond() -> None:
    trials: list[int] = []

    def timed(loops: int) -> float:  # a fake clock: 2 us a call
        trials.append(loops)
        return loops * 2e-6

    assert calls_per_block(timed, 0.02) == 10_000
    assert trials == [1, 10, 100, 1000]


def test_a_paths_block_is_the_median_of_its_calls() -> None:
    samples: list[array[int]] = [array("q", [99])]

    def timed(loops: int) -> float:
        samples.append(array("q", [1000 * (i + 1) for i in range(loops)]))
        return 0.0

    assert block_p50(timed, samples, 5) == pytest.approx(3e-6)  # median of 1..5 us
    assert len(samples) == 1  # the block's own calls only


def _my_peers() -> list[str]:
    """This process's children named as serbench's peers are (PEER_PROCESS_NAME)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            comm = (stat.parent / "comm").read_text().strip()
        except OSError:
            continue
        if int(fields[1]) == os.getpid() and comm == PEER_PROCESS_NAME:
            found.append(stat.parent.name)
    return found


def test_a_tiny_path_run_writes_both_sides_blocks_and_leaves_no_peer(tmp_path: Path) -> None:
    out = tmp_path / "round-1.json"
    interleaved_paths.main(["--transport", "mp-pipe", "--size", "64", "--pairs", "2",
                            "--block-s", "0.002", "--json", str(out)])
    result = json.loads(out.read_text())
    assert len(result["blocks"][RAW]) == len(result["blocks"][SERBENCH]) == 2
    assert len(result["ratios"]) == 2 and result["ratio_min"] <= result["ratio"]
    assert result["bytes"] == 64 and result["malloc"] == "steady"
    assert not _my_peers()  # both peers stopped and reaped


def test_a_tiny_codec_run_times_the_floor_rows_statement(tmp_path: Path) -> None:
    out = tmp_path / "round-1.json"
    interleaved_codecs.main(["--codec", "pickle", "--payload", "small", "--scenario", "decode",
                             "--pairs", "2", "--block-s", "0.002", "--json", str(out)])
    result = json.loads(out.read_text())
    assert result["floor_call"] == "pickle.loads(data)"
    assert len(result["blocks"][RAW]) == len(result["blocks"][SERBENCH]) == 2
    assert all(v > 0 for v in result["blocks"][RAW] + result["blocks"][SERBENCH])


def _write_rounds(outdir: Path, name: str, rounds: list[tuple[list[float], list[float]]]) -> None:
    where = outdir / "interleaved" / name.replace("/", "__")
    where.mkdir(parents=True)
    for n, (raw, mine) in enumerate(rounds, 1):
        ratios = [m / r for m, r in zip(mine, raw, strict=True)]
        (where / f"round-{n}.json").write_text(json.dumps(
            {"blocks": {RAW: raw, SERBENCH: mine}, "ratios": ratios}))


def test_a_paths_row_pools_every_rounds_block_pairs(tmp_path: Path) -> None:
    pair = Pair("roundtrip/shm/64B", "roundtrip", [], [], 64, target="roundtrip-path",
                interleaved=["python", "-m", "x"])
    _write_rounds(tmp_path, pair.name, [([10.0, 10.0], [11.0, 13.0]), ([20.0], [30.0])])
    row = _row(tmp_path, tmp_path, pair)
    assert row["ratio"] == pytest.approx(1.3)  # median of 1.1, 1.3, 1.5
    assert (row["interleaved_ratio_min"], row["interleaved_ratio_max"]) == pytest.approx(
        (1.1, 1.5))
    assert row["interleaved_block_pairs"] == 3
    assert row["meets_target"] is False and row["target"] == "p50 ratio <= 1.2"
    assert row["raw_p50_s"] == 10.0 and row["serbench_p50_s"] == 13.0


def test_the_in_process_floor_runs_its_set_up_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """pyperf timeit would run the set-up in every value (a block here); the statement reads
    the set-up's names and runs once per call."""
    probe = types.ModuleType("_floor_probe")
    probe.log = []  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "_floor_probe", probe)
    timed = interleaved_codecs.floor_loop(
        "log.append(len(log))", ["import _floor_probe", "log = _floor_probe.log",
                                  "log.append('setup')"])
    assert timed(5) >= 0 and timed(3) >= 0
    assert probe.log == ["setup", *range(1, 9)]  # type: ignore[attr-defined]
