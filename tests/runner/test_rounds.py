"""The run loop's behaviour with a fake worker and a fake clock: rounds and their random order,
pooling across rounds, the time budget, the floor check, ranks and ties, drift, resume in the
middle of a round, and the locks. No timing is asserted: the worker's "measurements" are
numbers the test chooses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyperf
import pytest

from serbench.common.cell import Cell
from serbench.results import files as results
from serbench.runner import RoundBudget, RunPlan, WorkerBudget, run
from serbench.runner import loop as loop_module
from serbench.runner.locks import LockBusy, machine_lock, results_dir_lock
from serbench.runner.matrix import Matrix
from serbench.runner.plan import groups, round_order
from serbench.stats.summarise import CellRecord, drift, floor_applies, summarise


class FakeClock:
    """Seconds that pass only when a fake worker says so."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _arg(cmd: list[str], flag: str) -> str:
    return cmd[cmd.index(flag) + 1]


class FakeWorker:
    """Stands in for `run_cell_program`: writes the one-run pyperf file a worker would, with
    a time per message the test chooses per codec (and per round, for drift)."""

    def __init__(self, times: dict[str, float], clock: FakeClock | None = None,
                 seconds_per_worker: float = 1.0, drift_per_round: float = 0.0,
                 interrupt_after: int | None = None) -> None:
        self.times = times
        self.clock = clock
        self.seconds = seconds_per_worker
        self.drift = drift_per_round
        self.interrupt_after = interrupt_after
        self.calls: list[tuple[str, str, int]] = []

    def __call__(self, cmd: list[str], log_path: Path, timeout_s: float) -> str | None:
        if self.interrupt_after is not None and len(self.calls) >= self.interrupt_after:
            raise KeyboardInterrupt
        codec, name, number = _arg(cmd, "--codec"), _arg(cmd, "--bench-name"), int(
            _arg(cmd, "--round"))
        self.calls.append((codec, name, number))
        if self.clock is not None:
            self.clock.now += self.seconds
        value = self.times[codec] * (1 + self.drift) ** number
        run_ = pyperf.Run([value], warmups=[(1, value)], collect_metadata=False,
                          metadata={"name": name, "loops": 1, "unit": "second",
                                    "serbench_codec": codec, "serbench_round": number})
        pyperf.Benchmark([run_]).dump(_arg(cmd, "--output"))
        if "--samples-dir" in cmd and name.startswith("roundtrip"):
            samples = Path(_arg(cmd, "--samples-dir"))
            samples.mkdir(parents=True, exist_ok=True)
            import numpy as np

            np.full(10, int(value * 1e9), dtype=np.int64).tofile(samples / f"{number}.ns")
        return None


def _plan(tmp_path: Path, codecs: list[str], rounds: RoundBudget, **kw: Any) -> RunPlan:
    matrix = Matrix(codecs, ["small"], transports=["uds"], scenarios=["roundtrip", "encode"])
    return RunPlan(matrix, tmp_path / "out", rounds, WorkerBudget(1, 1, 0.001, 1), seed=7,
                   progress=lambda line: None, **kw)


@pytest.fixture
def lock_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "machine.lock"
    monkeypatch.setattr("serbench.runner.locks.machine_lock_path", lambda: path)
    return path


def test_round_order_shuffles_groups_and_codecs_but_keeps_groups_together() -> None:
    cells = [Cell(c, p, "encode", None) for c in ("a", "b", "c", "d") for p in ("x", "y", "z")]
    orders = [round_order(cells, seed=1, round_number=r) for r in range(1, 9)]
    for order in orders:
        assert sorted(order, key=str) == sorted(cells, key=str)
        payloads = [c.payload for c in order]
        # each group's codecs run back to back
        assert [p for i, p in enumerate(payloads) if i == 0 or payloads[i - 1] != p] == \
            list(dict.fromkeys(payloads))
    assert len({tuple(map(str, o)) for o in orders}) > 1  # a fresh order each round
    assert round_order(cells, 1, 3) == round_order(cells, 1, 3)  # reproducible for resume
    assert len(groups(cells)) == 3


def test_round_budget_arithmetic() -> None:
    fixed = RoundBudget(None, 4, 3, 40)
    assert fixed.planned(1000.0, [10.0]) == 4
    timed = RoundBudget(300.0, 1, 3, 40, report_rounds=0.5)
    assert timed.planned(0.0, []) == 3
    # 20 s prepare, one round of 40 s: (300 - 60 - 20) / 40 = 5.5 more -> 6 rounds
    assert timed.planned(60.0, [40.0]) == 6
    # the minimum wins over the budget, and says by how much it overshoots
    assert timed.planned(250.0, [200.0]) == 3
    assert timed.over_budget_s(250.0, [200.0]) == pytest.approx(250 + 2.5 * 200 - 300)
    assert RoundBudget(1e9, 1, 3, 10).planned(1.0, [1.0]) == 10


def test_rounds_pool_into_one_pyperf_benchmark_per_cell(tmp_path: Path, lock_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    worker = FakeWorker({"pickle": 2e-6, "msgpack": 1e-6, "null": 0.5e-6}, drift_per_round=0.1)
    monkeypatch.setattr(loop_module, "run_cell_program", worker)
    outcome = run(_plan(tmp_path, ["pickle", "msgpack", "null"], RoundBudget(None, 4, 1, 4)))
    out = tmp_path / "out"
    assert outcome.rounds_completed == 4 and len(worker.calls) == 4 * 6
    bench = pyperf.BenchmarkSuite.load(str(out / "msgpack.json")).get_benchmark(
        "roundtrip/uds/small-2")
    assert sorted(r.get_metadata()["serbench_round"] for r in bench.get_runs()) == [1, 2, 3, 4]
    rows = {(r["codec"], r["scenario"]): r for r in results.read_summary(out)}
    msgpack = rows[("msgpack", "roundtrip")]
    # Drift of 10 % per round hits both codecs alike: the paired ratio is exact.
    assert float(msgpack["ratio"]) == pytest.approx(0.5)
    assert float(msgpack["ratio_lo"]) == pytest.approx(0.5)
    assert int(msgpack["processes"]) == 4 and int(msgpack["samples"]) == 40
    assert rows[("pickle", "roundtrip")]["ratio"] == "1.0"
    assert rows[("msgpack", "roundtrip")]["rank"] == "1"
    assert rows[("msgpack", "roundtrip")]["tied_with"] == ""
    assert float(rows[("msgpack", "roundtrip")]["floor_ratio"]) == pytest.approx(2.0)
    assert rows[("msgpack", "roundtrip")]["suspect"] == ""
    env = json.loads((out / "environment.json").read_text())
    assert env["format_version"] == results.FORMAT_VERSION
    assert env["rounds"]["completed"] == 4 and env["rounds"]["seed"] == 7
    assert env["drift"]["per_round"] == pytest.approx([1.0, 1.1, 1.21, 1.331])
    assert env["suspect"] == [] and env["status"] == "complete"
    # each round ran every cell, groups kept together
    rounds = [n for _, _, n in worker.calls]
    assert rounds == sorted(rounds)


def test_time_budget_plans_rounds_from_a_fake_clock(tmp_path: Path, lock_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeClock()
    worker = FakeWorker({"pickle": 2e-6, "msgpack": 1e-6}, clock=clock, seconds_per_worker=1.0)
    monkeypatch.setattr(loop_module, "run_cell_program", worker)
    budget = RoundBudget(30.0, 1, 2, 40, report_rounds=0.5)
    outcome = run(_plan(tmp_path, ["pickle", "msgpack"], budget, clock=clock))
    # 4 workers of 1 s per round; 30 s less half a round for the report: 7 rounds (28 s)
    assert outcome.rounds_completed == 7
    assert clock.now == 28.0


def test_a_budget_too_small_for_the_minimum_says_so(tmp_path: Path, lock_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeClock()
    worker = FakeWorker({"pickle": 2e-6}, clock=clock, seconds_per_worker=10.0)
    monkeypatch.setattr(loop_module, "run_cell_program", worker)
    said: list[str] = []
    plan = _plan(tmp_path, ["pickle"], RoundBudget(30.0, 1, 3, 40, report_rounds=0.5),
                 clock=clock)
    plan.progress = said.append
    outcome = run(plan)
    assert outcome.rounds_completed == 3  # the minimum wins over the budget
    # 3 rounds of 20 s and half a round for the report: 70 s, 40 s past the budget
    assert any("running the minimum, about 0:40 past the budget" in line for line in said)


def test_a_codec_faster_than_the_floor_marks_the_cell_and_the_run(
        tmp_path: Path, lock_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    worker = FakeWorker({"pickle": 2e-6, "msgpack": 0.4e-6, "null": 0.5e-6},
                        drift_per_round=0.05)
    monkeypatch.setattr(loop_module, "run_cell_program", worker)
    outcome = run(_plan(tmp_path, ["pickle", "msgpack", "null"], RoundBudget(None, 3, 1, 3)))
    rows = {(r["codec"], r["scenario"]): r for r in outcome.rows}
    assert "faster than the null floor" in rows[("msgpack", "roundtrip")]["suspect"]
    assert rows[("msgpack", "encode")]["suspect"] == ""  # no floor in process
    assert len(outcome.suspects) == 1
    env = json.loads((tmp_path / "out" / "environment.json").read_text())
    assert env["suspect"] == outcome.suspects


def test_floor_applies_only_where_null_moves_no_more_bytes() -> None:
    assert floor_applies(100, 50) and floor_applies(100, 100)
    assert floor_applies(20, 40)              # both small: size does not matter
    assert not floor_applies(10_000, 800_000)  # a compressed frame may beat null's
    assert not floor_applies(None, 10)


def _record(codec: str, rounds: dict[int, float]) -> CellRecord:
    cell = Cell(codec, "small", "encode", None)
    return CellRecord(cell, {"status": "ok", "codec": codec, "encoded_bytes": 40}, rounds)


def test_fastest_is_claimed_only_when_separated_from_the_runner_up() -> None:
    close = [_record("pickle", {1: 1.0, 2: 1.0, 3: 1.0}),
             _record("a", {1: 0.50, 2: 0.52, 3: 0.49}),
             _record("b", {1: 0.51, 2: 0.50, 3: 0.50})]
    summarise(close)
    best = min(close, key=lambda r: r.row["rank"])
    assert best.row["tied_with"] in ("a", "b") and best.row["tied_with"] != best.cell.codec
    apart = [_record("pickle", {1: 1.0, 2: 1.1, 3: 0.9}),
             _record("a", {1: 0.50, 2: 0.55, 3: 0.45}),
             _record("b", {1: 0.80, 2: 0.88, 3: 0.72})]
    summarise(apart)
    assert apart[1].row["rank"] == 1 and apart[1].row["tied_with"] == ""
    assert apart[2].row["rank"] == 2 and apart[0].row["rank"] == 3


def test_drift_is_relative_to_the_first_round() -> None:
    records = [_record("pickle", {1: 2.0, 2: 2.2, 3: 1.8}), _record("x", {1: 9.0})]
    assert drift(records) == pytest.approx([1.0, 1.1, 0.9])


def test_resume_in_the_middle_of_a_round_measures_only_what_is_missing(
        tmp_path: Path, lock_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    times = {"pickle": 2e-6, "msgpack": 1e-6}
    first = FakeWorker(times, interrupt_after=6)  # 4 cells: round 1 and half of round 2
    monkeypatch.setattr(loop_module, "run_cell_program", first)
    with pytest.raises(KeyboardInterrupt):
        run(_plan(tmp_path, ["pickle", "msgpack"], RoundBudget(None, 3, 1, 3)))
    env = json.loads((tmp_path / "out" / "environment.json").read_text())
    assert env["status"] == "interrupted"
    second = FakeWorker(times)
    monkeypatch.setattr(loop_module, "run_cell_program", second)
    outcome = run(_plan(tmp_path, ["pickle", "msgpack"], RoundBudget(None, 3, 1, 3),
                        resume=True))
    assert len(second.calls) == 12 - 6
    done_before = {(c, n, r) for c, n, r in first.calls}
    assert not done_before & set(second.calls)
    for codec in times:
        suite = pyperf.BenchmarkSuite.load(str(tmp_path / "out" / f"{codec}.json"))
        for bench in suite.get_benchmarks():
            assert sorted(r.get_metadata()["serbench_round"] for r in bench.get_runs()) == \
                [1, 2, 3]
    assert outcome.kept == 4


def test_a_second_run_into_the_same_directory_refuses(tmp_path: Path) -> None:
    with results_dir_lock(tmp_path), pytest.raises(LockBusy, match=r"in use .*pid \d+"), \
            results_dir_lock(tmp_path):
        pass
    with results_dir_lock(tmp_path):  # released with the holder
        pass


def test_machine_lock_waits_refuses_or_measures_beside(tmp_path: Path) -> None:
    path = tmp_path / "m.lock"
    said: list[str] = []
    with machine_lock(True, False, said.append, path=path) as beside:
        assert beside is False
        with pytest.raises(LockBusy, match="--concurrent"), \
                machine_lock(False, False, said.append, path=path):
            pass
        with machine_lock(False, True, said.append, path=path) as beside_2:
            assert beside_2 is True
        sleeps: list[float] = []

        def sleep(seconds: float) -> None:  # the holder "finishes" while we wait
            sleeps.append(seconds)
            raise TimeoutError

        with pytest.raises(TimeoutError), \
                machine_lock(True, False, said.append, path=path, sleep=sleep):
            pass
        assert sleeps == [1.0]
    assert any("waiting" in s for s in said) and any("beside" in s for s in said)


def test_full_disk_is_one_clear_line_naming_the_directory(
        tmp_path: Path, lock_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    worker = FakeWorker({"pickle": 2e-6})
    monkeypatch.setattr(loop_module, "run_cell_program", worker)
    real = results.atomic_write_text
    calls = {"n": 0}

    def full(path: Path, text: str) -> None:
        calls["n"] += 1
        if path.name == "pickle.json" and calls["n"] > 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(path, text)

    monkeypatch.setattr(results, "atomic_write_text", full)
    from serbench.results.record import ResultsWriteError

    with pytest.raises(ResultsWriteError) as info:
        run(_plan(tmp_path, ["pickle"], RoundBudget(None, 3, 1, 3)))
    message = str(info.value)
    assert str(tmp_path / "out") in message and "No space left on device" in message
    assert "--resume" in message and "cells measured so far are kept" in message
    assert not list((tmp_path / "out").glob(".*.tmp"))
