"""The warm-up rule: time chunks of calls until the per-call cost has stopped falling.

A fresh worker's first calls pay for a cold heap: the pages a decoded document needs are faulted
in over the first tens of calls (orjson's decode of canada: 2 400 minor faults on the first
call, none after about ten). A fixed warm-up of one value measures that phase. Following
Kalibera & Jones, a worker is timed only once it is in its steady state, judged here from two
signals that a cold phase moves together: the time per call and the minor page faults per call.
A chunk "sets a new low" when either falls clearly below the lowest seen before it; the worker
is settled once `calm_chunks` chunks in a row set none (and at least `min_s` has passed), or
gives up at `max_s` and says so (`settled=False`), so a slow-to-settle cell is reported, not
hidden. A stream chunk is whole batches of about 8 MiB of frames: where one batch outlasts
`max_s`, the worker stops after it, unsettled (the rule could not be checked), as before. Both
inputs are injected (a clock and a fault counter), so the rule is tested without timing
anything.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class SettleRule:
    """When a worker's warm-up ends. Defaults: at least 3 chunks and 15 ms, at most 0.3 s
    (a cold phase of 30 calls of 4 ms fits; the default run's budget holds); a new low is 5 %
    below the best time per call (less is this VM's second-to-second noise), or 10 % (and half
    a fault) below the fewest faults per call."""

    min_chunks: int = 3
    calm_chunks: int = 2
    min_s: float = 0.015
    max_s: float = 0.3
    time_drop: float = 0.05
    fault_drop: float = 0.10
    fault_floor: float = 0.5


#: After the memory pass: the heap was warm before tracing, so two chunks and 10 ms suffice
#: unless the cost is still falling.
RESETTLE = SettleRule(min_chunks=2, calm_chunks=1, min_s=0.01)

#: A stream worker: a chunk is a whole batch of up to 1000 frames (about 8 MiB), so a cold
#: phase of tens of calls lies inside the first batch; a second batch no faster than the first
#: ends the warm-up, and 0.1 s caps it (with the default rule the 84 stream cells of the default
#: run spent 20 s of every round warming up, a sixth of the round).
STREAM_SETTLE = SettleRule(min_chunks=2, calm_chunks=1, max_s=0.1)


@dataclass
class Chunk:
    """One warm-up chunk: its calls, seconds and minor faults."""

    calls: int
    seconds: float
    faults: int

    @property
    def s_per_call(self) -> float:
        return self.seconds / max(1, self.calls)

    @property
    def faults_per_call(self) -> float:
        return self.faults / max(1, self.calls)


@dataclass
class Warmup:
    """What a worker's warm-up did: every chunk, and whether the rule was met."""

    chunks: list[Chunk] = field(default_factory=list)
    settled: bool = False

    @property
    def calls(self) -> int:
        return sum(c.calls for c in self.chunks)

    @property
    def seconds(self) -> float:
        return sum(c.seconds for c in self.chunks)

    def metadata(self, inner_loops: int = 1) -> dict[str, float | int]:
        """The pyperf run metadata of this warm-up; faults per call count each of a stream
        batch's `inner_loops` messages as a call, as pyperf's values do."""
        last = self.chunks[-1] if self.chunks else Chunk(0, 0.0, 0)
        return {"serbench_warmup_calls": self.calls * inner_loops,
                "serbench_warmup_s": round(self.seconds, 6),
                "serbench_warmup_chunks": len(self.chunks),
                "serbench_warmup_settled": int(self.settled),
                "serbench_faults_per_call": round(last.faults_per_call / inner_loops, 3)}


def new_low(rule: SettleRule, earlier: list[Chunk], chunk: Chunk) -> bool:
    """Does `chunk` still improve on every chunk before it (the cost is still falling)?"""
    if not earlier:
        return True
    best_time = min(c.s_per_call for c in earlier)
    fewest = min(c.faults_per_call for c in earlier)
    faster = chunk.s_per_call < best_time * (1.0 - rule.time_drop)
    fewer = chunk.faults_per_call < fewest - max(rule.fault_floor, rule.fault_drop * fewest)
    return faster or fewer


def settle(run_chunk: Callable[[int], float], calls_per_chunk: int,
           faults: Callable[[], int], rule: SettleRule = SettleRule()) -> Warmup:
    """Call `run_chunk(calls_per_chunk)` (it returns the seconds it measured) until the rule
    says the per-call cost has settled, or `rule.max_s` of chunks have run."""
    warm = Warmup()
    calm = 0
    spent = 0.0
    while True:
        before = faults()
        seconds = run_chunk(calls_per_chunk)
        chunk = Chunk(calls_per_chunk, seconds, faults() - before)
        calm = 0 if new_low(rule, warm.chunks, chunk) else calm + 1
        warm.chunks.append(chunk)
        spent += seconds
        if (len(warm.chunks) >= rule.min_chunks and calm >= rule.calm_chunks
                and spent >= rule.min_s):
            warm.settled = True
            return warm
        if spent >= rule.max_s:
            return warm


def chunk_calls(loops: int | None, run_chunk: Callable[[int], float],
                min_chunk_s: float = 0.001, most: int = 1 << 20) -> int:
    """Calls per warm-up chunk: a quarter of a timed value's `loops` (the runner chose them so
    a value lasts about 20 ms: a chunk of about 5 ms, so the rule's own bookkeeping, a
    `getrusage` and a `/proc` read per chunk, stays a small part of it). Without `loops`
    (pyperf calibrating), doubled from one call while a chunk lasts less than `min_chunk_s`."""
    if loops:
        return max(1, math.ceil(loops / 4))
    calls = 1
    while calls < most and run_chunk(calls) < min_chunk_s:
        calls *= 2
    return calls
