"""Each worker's loops from serbench's in-process estimate, and the command line's budget
options on top of the matrix's: all arithmetic, the clock faked where one is read."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import pytest

from serbench.cli.main import build_parser
from serbench.cli.run import run_plan
from serbench.common.cell import Cell
from serbench.common.vocabulary import EXACT
from serbench.fidelity.roundtrip import Fidelity
from serbench.payloads import make_payload
from serbench.runner import budget
from serbench.runner.budget import CodecCost, measure, seconds_per_call
from serbench.runner.command import WorkerBudget
from serbench.runner.command import loops_for as _loops
from serbench.runner.matrix import Budget, Matrix
from serbench.runner.probe import CodecOnPayload


def _prep(encode_s: float, decode_s: float, size: int = 40) -> CodecOnPayload:
    return CodecOnPayload(Fidelity("pickle", "small-2", EXACT, encoded_bytes=size), None,
                          make_payload("small"), cost=CodecCost(encode_s, decode_s),
                          reference_bytes=size)


def test_loops_make_a_value_last_about_min_time() -> None:
    w = WorkerBudget(values=1, warmups=1, min_time=0.05)
    assert _loops(w, Cell("pickle", "small", "encode", None), _prep(1e-5, 1e-5), 3) == 5000
    assert _loops(w, Cell("pickle", "small", "decode", None), _prep(1e-5, 0.02), 3) == 3
    # Stream cells time batches: loops count batches (8 MiB of 40-byte frames: 1000 frames).
    stream = _loops(w, Cell("pickle", "small", "stream", "uds"), _prep(1e-5, 1e-5), 3)
    per_message = CodecCost(1e-5, 1e-5).per_message("stream", 40)
    assert stream == math.ceil(0.05 / (per_message * 1000))


def test_min_samples_raise_round_trip_loops_over_the_minimum_rounds() -> None:
    w = WorkerBudget(values=2, warmups=1, min_time=0.001, min_samples=1200)
    slow = _loops(w, Cell("pickle", "small", "roundtrip", "tcp"), _prep(0.02, 0.02), 3)
    assert slow == math.ceil(1200 / (3 * 2))
    # not for the in-process scenarios: they have no per-request samples
    assert _loops(w, Cell("pickle", "small", "encode", None), _prep(0.02, 0.02), 3) == 1


def _args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["run", *argv])


MATRIX = Matrix(["pickle"], ["small"], budget=Budget(time=300.0, rounds=3, min_rounds=3,
                                                     max_rounds=40, values=1, warmups=1,
                                                     min_time=0.02))


def test_the_matrix_budget_is_the_default() -> None:
    plan = run_plan(_args(), MATRIX, Path("unused"))
    assert plan.rounds.time_s == 300.0 and plan.rounds.min_rounds == 3
    assert plan.worker == WorkerBudget(1, 1, 0.02, None, 0)


@pytest.mark.parametrize(("argv", "time_s", "fixed", "min_rounds"), [
    (["--time", "2m"], 120.0, 3, 3),
    (["--fast"], 75.0, 2, 2),
    (["--rigorous"], 900.0, 5, 5),
    (["-p", "4"], None, 4, 1),
    (["--rounds", "6"], None, 6, 1),
    (["--debug-single-value"], None, 1, 1),
])
def test_command_line_budget(argv: list[str], time_s: float | None, fixed: int,
                             min_rounds: int) -> None:
    plan = run_plan(_args(*argv), MATRIX, Path("unused"))
    assert plan.rounds.time_s == time_s
    assert plan.rounds.fixed_rounds == fixed and plan.rounds.min_rounds == min_rounds


def test_worker_options_replace_the_matrix_values() -> None:
    plan = run_plan(_args("-n", "3", "-w", "0", "-l", "7", "--min-time", "0.5"), MATRIX,
                    Path("unused"))
    assert plan.worker == WorkerBudget(3, 0, 0.5, 7, 0)
    single = run_plan(_args("--debug-single-value"), MATRIX, Path("unused"))
    assert single.worker.values == 1 and single.worker.warmups == 0 and single.worker.loops == 1


def test_estimates_follow_the_scenario() -> None:
    cost = CodecCost(encode_s=1e-5, decode_s=2e-5)
    assert cost.per_message("encode", 100) == 1e-5
    assert cost.per_message("decode", 100) == 2e-5
    assert cost.per_message("roundtrip", 100) > 2 * 3e-5
    assert cost.per_message("roundtrip", 10**6) > cost.per_message("roundtrip", 100)
    assert 3e-5 < cost.per_message("stream", 100) < cost.per_message("roundtrip", 100)


def test_seconds_per_call_doubles_until_the_sample_is_long_enough(
        monkeypatch: pytest.MonkeyPatch) -> None:
    now = [0.0]

    def fake_clock() -> float:
        return now[0]

    calls: list[int] = []

    def call(arg: int) -> None:  # each call "takes" 1 ms of fake time
        calls.append(arg)
        now[0] += 1e-3

    monkeypatch.setattr(budget.time, "perf_counter", fake_clock)
    assert seconds_per_call(call, 1) == pytest.approx(1e-3)
    # 1, 2, 4 loops (7 ms) are too short for the 5 ms sample; 8 loops (8 ms) are enough
    assert len(calls) == 1 + 2 + 4 + 8
    cost = measure(call, 1, call, 2)
    assert cost == CodecCost(pytest.approx(1e-3), pytest.approx(1e-3))  # type: ignore[arg-type]


def test_a_path_round_trip_is_estimated_at_its_own_cost_not_a_sockets() -> None:
    cost = CodecCost(1e-6, 1e-6)
    socket = cost.per_message("roundtrip", 64, "tcp")
    assert cost.per_message("roundtrip", 64, None) == socket
    assert cost.per_message("roundtrip", 64, "pool") > 10 * socket
    assert cost.per_message("stream", 64, "redis") < cost.per_message("roundtrip", 64, "redis")
