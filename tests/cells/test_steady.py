"""The warm-up rule, driven by a scripted chunk timer and a fake fault counter: no timing."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from serbench.cells.steady import (
    STREAM_SETTLE,
    Chunk,
    SettleRule,
    Warmup,
    chunk_calls,
    new_low,
    settle,
)


class Script:
    """Chunks that take the scripted seconds and faults per call, then repeat the last."""

    def __init__(self, per_call_s: list[float], faults_per_call: list[int]) -> None:
        self.times: Iterator[float] = itertools.chain(per_call_s,
                                                      itertools.repeat(per_call_s[-1]))
        self.faults_each: Iterator[int] = itertools.chain(
            faults_per_call, itertools.repeat(faults_per_call[-1]))
        self.total_faults = 0
        self.chunks = 0

    def run_chunk(self, calls: int) -> float:
        self.chunks += 1
        self.total_faults += next(self.faults_each) * calls
        return next(self.times) * calls

    def faults(self) -> int:
        return self.total_faults


def test_a_cold_phase_is_warmed_through_until_two_calm_chunks() -> None:
    # orjson's canada decode in a fresh process, in shape: faults and time fall for five
    # chunks, then stay put.
    script = Script([8e-3, 6e-3, 5.5e-3, 5e-3, 4.4e-3, 4.4e-3, 4.5e-3, 4.4e-3],
                    [2400, 1000, 500, 250, 0, 0, 0, 0])
    warm = settle(script.run_chunk, 4, script.faults)
    assert warm.settled
    # chunks 1-5 each set a new low; chunks 6 and 7 are calm.
    assert len(warm.chunks) == 7
    assert warm.chunks[-1].faults_per_call == 0
    assert warm.calls == 28


def test_falling_faults_alone_keep_the_worker_warming() -> None:
    # Time is flat, but the heap is still being faulted in.
    script = Script([1e-3] * 12, [900, 700, 500, 300, 100, 0, 0, 0])
    warm = settle(script.run_chunk, 10, script.faults)
    assert warm.settled
    assert [c.faults_per_call for c in warm.chunks] == [900, 700, 500, 300, 100, 0, 0, 0]


def test_steady_faults_per_call_are_not_a_cold_phase() -> None:
    # glibc trimming the heap top every call: 33 faults per call forever is steady.
    script = Script([1.4e-4] * 10, [33] * 10)
    warm = settle(script.run_chunk, 100, script.faults)
    assert warm.settled
    assert len(warm.chunks) == 3  # the minimum
    assert warm.metadata()["serbench_faults_per_call"] == 33


def test_a_cost_that_keeps_falling_stops_at_the_limit_unsettled() -> None:
    per_call = [1e-3 * 0.9**i for i in range(200)]
    script = Script(per_call, [0])
    rule = SettleRule(max_s=0.05)
    warm = settle(script.run_chunk, 10, script.faults, rule)
    assert not warm.settled
    assert warm.seconds >= 0.05
    assert warm.metadata()["serbench_warmup_settled"] == 0


def test_the_minimum_time_holds_even_when_calm() -> None:
    script = Script([1e-6], [0])
    warm = settle(script.run_chunk, 100, script.faults, SettleRule(min_s=0.001))
    assert warm.settled
    assert warm.seconds == pytest.approx(0.001, rel=0.01)
    assert len(warm.chunks) == 10


def test_a_new_low_is_a_clear_drop_in_time_or_faults() -> None:
    rule = SettleRule()
    earlier = [Chunk(10, 10e-3, 100)]
    assert not new_low(rule, earlier, Chunk(10, 9.6e-3, 100))   # 4 %: noise
    assert new_low(rule, earlier, Chunk(10, 9.4e-3, 100))       # 6 %: faster
    assert new_low(rule, earlier, Chunk(10, 10e-3, 80))         # 20 % fewer faults
    assert not new_low(rule, earlier, Chunk(10, 10e-3, 95))     # 5 %: within tolerance
    assert not new_low(rule, [Chunk(10, 1e-3, 3)], Chunk(10, 1e-3, 0))  # under half a fault
    assert new_low(rule, [], Chunk(1, 1.0, 0))


def test_metadata_counts_a_stream_batch_message_as_a_call() -> None:
    warm = Warmup([Chunk(4, 0.01, 800)], settled=True)
    meta = warm.metadata(inner_loops=100)
    assert meta["serbench_warmup_calls"] == 400
    assert meta["serbench_faults_per_call"] == 2.0
    assert meta["serbench_warmup_settled"] == 1


def test_chunks_are_a_quarter_value_or_grown_to_a_millisecond() -> None:
    def never(calls: int) -> float:
        raise AssertionError("no probe when loops are known")

    assert chunk_calls(400, never) == 100
    assert chunk_calls(3, never) == 1
    assert chunk_calls(None, lambda calls: calls * 1e-6) == 1024     # calibrating: grown
    assert chunk_calls(None, lambda calls: calls * 1e-3) == 1
    assert chunk_calls(0, lambda calls: 0.0, most=64) == 64          # bounded


def test_a_stream_worker_settles_on_a_second_batch_no_faster_than_the_first() -> None:
    # A batch of 100 frames: the cold calls are inside the first batch.
    script = Script([2e-4, 1.5e-4, 1.5e-4, 1.5e-4], [40, 0, 0, 0])
    warm = settle(script.run_chunk, 100, script.faults, STREAM_SETTLE)
    assert warm.settled
    assert len(warm.chunks) == 3  # batch 2 was still faster; batch 3 was not
    # One batch longer than the cap: the warm-up is that batch, unsettled.
    slow = Script([2e-3], [0])
    warm = settle(slow.run_chunk, 100, slow.faults, STREAM_SETTLE)
    assert not warm.settled and len(warm.chunks) == 1
