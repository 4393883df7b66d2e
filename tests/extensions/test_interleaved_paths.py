"""The in-process check of a path against its hand-written loop: the block order, the
ratio arithmetic on known figures, the block size from a fake trial, and one tiny real run
(its structure only; the figures are the harness's business)."""

from __future__ import annotations

import json
import os
from array import array
from collections.abc import Callable
from pathlib import Path

import pytest

from serbench.extensions.harness.interleaved_paths import (
    RAW,
    SERBENCH,
    block_p50,
    calls_per_block,
    interleave,
    main,
    summarize,
)
from serbench.extensions.harness.run import Pair, _path_row
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
    assert out["raw_p50_s"] == 10.0 and out["serbench_p50_s"] == 13.0


def test_a_block_is_its_calls_median_and_its_size_comes_from_a_trial() -> None:
    samples: list[array[int]] = []
    calls: list[int] = []

    def timed(loops: int) -> float:
        calls.append(loops)
        samples.append(array("q", [1000 * (i + 1) for i in range(loops)]))
        return loops * 1e-4  # 100 us a call

    assert block_p50(timed, samples, 5) == pytest.approx(3e-6)  # median of 1..5 us
    assert len(samples) == 1
    assert calls_per_block(timed, samples, 0.05) == 500
    assert calls == [5, 20]


def test_a_tiny_real_run_writes_both_sides_blocks_and_leaves_no_peer(tmp_path: Path) -> None:
    out = tmp_path / "round-1.json"
    main(["--transport", "mp-pipe", "--size", "64", "--pairs", "2", "--block-s", "0.002",
          "--json", str(out)])
    result = json.loads(out.read_text())
    assert len(result["blocks"][RAW]) == len(result["blocks"][SERBENCH]) == 2
    assert len(result["ratios"]) == 2 and result["ratio_min"] <= result["ratio"]
    assert result["bytes"] == 64 and result["malloc"] == "steady"
    assert not _my_peers()  # both peers stopped and reaped


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


def test_a_path_row_pools_every_rounds_block_pairs(tmp_path: Path) -> None:
    pair = Pair("roundtrip/shm/64B", "roundtrip", [], [], 64, target="roundtrip-path",
                in_one_process=True)
    rounds = tmp_path / "paths" / "roundtrip__shm__64B"
    rounds.mkdir(parents=True)
    for n, (raw, mine) in enumerate([([10.0, 10.0], [11.0, 13.0]), ([20.0], [30.0])], 1):
        ratios = [m / r for m, r in zip(mine, raw, strict=True)]
        (rounds / f"round-{n}.json").write_text(json.dumps(
            {"blocks": {RAW: raw, SERBENCH: mine}, "ratios": ratios}))
    row = _path_row(tmp_path, pair)
    assert row["ratio"] == pytest.approx(1.3)  # median of 1.1, 1.3, 1.5
    assert (row["ratio_min"], row["ratio_max"], row["block_pairs"]) == pytest.approx((1.1, 1.5, 3))
    assert row["meets_target"] is False and row["target"] == "p50 ratio <= 1.2"
    assert row["raw_p50_s"] == 10.0 and row["serbench_p50_s"] == 13.0
