"""When each request should be sent, and what happens when it cannot be.

Latency is taken from a request's *intended* send time, so the schedule never waits for the
system under test: a stalled server makes every request due during the stall late, and each of
them counts the stall (Gil Tene's coordinated omission). Nothing here reads a clock: callers
pass `now` (nanoseconds, `time.monotonic_ns` in the generator, a fake clock in the tests).

Waiting is split: sleep (in `select`, so replies are still read) until `spin_ns` before the
next intended time, then poll without sleeping, because a sleep wakes up late (timer slack, the
scheduler; on a KVM guest often by hundreds of microseconds) and that lateness would be charged
to every request. A load process with a CPU of its own therefore never sleeps (`auto_spin_ns`).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field

ARRIVALS = ("uniform", "poisson")
#: Spin this long before an intended send time rather than sleeping through it, when the
#: load process shares its CPU (spinning longer would take that CPU from the others).
DEFAULT_SPIN_NS = 100_000
#: With a CPU of its own the load process busy-waits: any gap shorter than this is spun.
SPIN_ALWAYS_NS = 1_000_000_000
#: The pacing bound: a point whose scheduling error p99 exceeds it is marked `late` (the
#: generator did not keep its schedule, so its latencies include the generator's lateness).
LATE_P99_NS = 50_000


def auto_spin_ns(client_cpu: int | None, server_cpu: int | None, processes: int) -> int:
    """Busy-wait (`SPIN_ALWAYS_NS`) when one load process is pinned to a CPU the server does
    not use; otherwise `DEFAULT_SPIN_NS`, because a spinning process would starve whatever
    shares its CPU."""
    own_cpu = client_cpu is not None and client_cpu != server_cpu and processes == 1
    return SPIN_ALWAYS_NS if own_cpu else DEFAULT_SPIN_NS


def is_late(sched_p99_s: float | None) -> bool:
    """Whether a point's scheduling error p99 (seconds) breaks the pacing bound."""
    return sched_p99_s is not None and sched_p99_s * 1e9 > LATE_P99_NS


def gaps_ns(rate: float, arrivals: str, seed: int) -> Iterator[int]:
    """Inter-arrival gaps for `rate` requests per second: constant (uniform) or exponential
    (Poisson process), from a seeded generator so a run repeats its schedule."""
    if rate <= 0:
        raise ValueError(f"the rate must be positive, got {rate}")
    mean = 1e9 / rate
    if arrivals == "uniform":
        # Accumulate in float so a gap like 333 333.3 ns does not drift by rounding.
        t = 0.0
        last = 0
        while True:
            t += mean
            now = round(t)
            yield now - last
            last = now
    elif arrivals == "poisson":
        rng = random.Random(seed)
        t = 0.0
        last = 0
        while True:
            t += rng.expovariate(1.0) * mean
            now = round(t)
            yield now - last
            last = now
    else:
        raise ValueError(f"unknown arrivals {arrivals!r}; expected one of {', '.join(ARRIVALS)}")


@dataclass
class Pacer:
    """The next intended send time, and how long the caller may wait for it.

    Intended times are fixed at the start (`start_ns` + the gaps) and never moved: after a
    stall the late requests are sent at once, each charged from its own intended time, and the
    scheduling error (actual - intended) records how late each went out.
    """

    gaps: Iterator[int]
    start_ns: int
    end_ns: int
    spin_ns: int = DEFAULT_SPIN_NS
    next_ns: int = 0
    issued: int = 0

    def __post_init__(self) -> None:
        self.next_ns = self.start_ns + next(self.gaps)

    @property
    def finished(self) -> bool:
        """No request is due any more: the next intended time is past the end."""
        return self.next_ns >= self.end_ns

    def due(self, now: int) -> int | None:
        """The intended time of the next request if it is due at `now` (and advance), else
        None. Call until None: a backlog after a stall is sent at once, none skipped."""
        if self.next_ns > now or self.next_ns >= self.end_ns:
            return None
        intended = self.next_ns
        self.next_ns += next(self.gaps)
        self.issued += 1
        return intended

    def wait_s(self, now: int) -> float:
        """How long the caller may block (in `select`) before the next send: zero within
        `spin_ns` of it (spin), else until `spin_ns` before it."""
        left = self.next_ns - now - self.spin_ns
        return left / 1e9 if left > 0 else 0.0


@dataclass
class InFlight:
    """Requests sent and not yet answered, per connection, with a bounded window.

    A request that finds its connection's window full is not sent and not waited for: it is
    counted in `overflow` (so the point reports it and its achieved rate falls short), and the
    schedule goes on. Blocking instead would pause the schedule: coordinated omission again.
    """

    connections: int
    window: int
    overflow: int = 0
    _open: list[dict[int, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.connections < 1 or self.window < 1:
            raise ValueError("connections and window must be at least 1")
        self._open = [{} for _ in range(self.connections)]

    def admit(self, conn: int, request_id: int, intended_ns: int) -> bool:
        """Record a request about to be sent; False (and counted) when the window is full."""
        pending = self._open[conn]
        if len(pending) >= self.window:
            self.overflow += 1
            return False
        pending[request_id] = intended_ns
        return True

    def complete(self, conn: int, request_id: int) -> int:
        """The intended send time of an answered request; `KeyError` for an unknown id."""
        return self._open[conn].pop(request_id)

    def pending(self) -> int:
        """How many requests are still unanswered."""
        return sum(len(p) for p in self._open)

    def outstanding(self) -> Iterator[int]:
        """The intended times of every unanswered request."""
        for pending in self._open:
            yield from pending.values()
