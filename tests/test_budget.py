"""Per-cell pyperf budgets: loops from serbench's in-process estimate, user options win."""

from __future__ import annotations

import math

from serbench.budget import CodecCost, measure, pyperf_args, seconds_per_call
from serbench.matrix import Budget

BUDGET = Budget(processes=2, values=3, warmups=1, min_time=0.05, min_samples=1000)


def _value(args: list[str], flag: str) -> str:
    return args[args.index(flag) + 1]


def test_loops_make_a_value_last_about_min_time() -> None:
    args = pyperf_args(BUDGET, [], "encode", 1e-5)
    assert _value(args, "--loops") == "5000"
    assert _value(args, "--processes") == "2" and _value(args, "--values") == "3"
    assert _value(args, "--warmups") == "1"
    # Stream cells time batches: loops count batches, so the batch size divides them.
    assert _value(pyperf_args(BUDGET, [], "stream", 1e-5, inner_loops=100), "--loops") == "50"


def test_round_trips_get_enough_pooled_samples_however_slow() -> None:
    slow = pyperf_args(BUDGET, [], "roundtrip", 0.02)  # 20 ms per request
    loops = int(_value(slow, "--loops"))
    assert loops * BUDGET.processes * BUDGET.values >= BUDGET.min_samples
    assert loops == math.ceil(1000 / 6)
    # Not for the other scenarios: they have no per-request samples.
    assert _value(pyperf_args(BUDGET, [], "decode", 0.02), "--loops") == "3"


def test_user_options_win() -> None:
    assert pyperf_args(BUDGET, ["--fast"], "roundtrip", 1e-5) == []
    assert pyperf_args(BUDGET, ["--debug-single-value"], "encode", 1e-5) == []
    args = pyperf_args(BUDGET, ["-p", "5"], "roundtrip", 0.02)
    assert "--processes" not in args
    assert int(_value(args, "--loops")) == math.ceil(1000 / (5 * 3))
    # With --loops or --min-time the user (or pyperf's calibration) decides the loops.
    assert "--loops" not in pyperf_args(BUDGET, ["--loops", "7"], "encode", 1e-5)
    assert "--loops" not in pyperf_args(BUDGET, ["--min-time=0.2"], "encode", 1e-5)


def test_estimates_follow_the_scenario() -> None:
    cost = CodecCost(encode_s=1e-5, decode_s=2e-5)
    assert cost.per_message("encode", 100) == 1e-5
    assert cost.per_message("decode", 100) == 2e-5
    assert cost.per_message("roundtrip", 100) > 2 * 3e-5
    assert cost.per_message("roundtrip", 10**6) > cost.per_message("roundtrip", 100)
    assert 3e-5 < cost.per_message("stream", 100) < cost.per_message("roundtrip", 100)


def test_measure_times_the_calls() -> None:
    calls = []
    assert seconds_per_call(calls.append, 1) > 0
    assert len(calls) >= 2  # doubled until the sample lasted long enough
    cost = measure(sorted, list(range(1000)), len, b"x")
    assert cost.encode_s > cost.decode_s > 0
