"""Cold start: what a fresh process pays before it is warm, measured before any warm call.

A CLI, a serverless function or a freshly forked worker never reaches the steady state the
timed values describe: it pays for importing the codec's library, and for its first encode,
decode or round trip on a new connection in a cold heap. Every worker is such a process, so
each one records these once, before its warm-up, and the rounds replicate them like any other
figure. They are reported in their own columns and never mixed into the steady figure.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from serbench.cells.faults import own_minor_faults

T = TypeVar("T")


def rss_bytes() -> int:
    """This process's resident set size now (Linux `/proc/self/statm`; 0 elsewhere)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, IndexError, ValueError):
        return 0
    return pages * resource.getpagesize()


@dataclass
class FirstCall:
    """One call made cold: its seconds, its minor faults, and how much its process's resident
    memory grew across it (what it keeps, and what the allocator did not give back)."""

    seconds: float
    faults: int
    rss_growth: int


def first_call(call: Callable[[], T], clock: Callable[[], float] = time.perf_counter
               ) -> tuple[T, FirstCall]:
    """Make `call()` once, measuring it; returns its result and the measurement."""
    rss_before = rss_bytes()
    faults_before = own_minor_faults()
    t0 = clock()
    result = call()
    seconds = clock() - t0
    faults = own_minor_faults() - faults_before
    return result, FirstCall(seconds, faults, max(0, rss_bytes() - rss_before))


def timed_import(build: Callable[[], T], clock: Callable[[], float] = time.perf_counter
                 ) -> tuple[T, float]:
    """Build the codec (which imports its library, unless already loaded); its seconds."""
    t0 = clock()
    built = build()
    return built, clock() - t0


def cold_metadata(import_s: float, first: FirstCall | None) -> dict[str, Any]:
    """The pyperf run metadata of a worker's cold start."""
    meta: dict[str, Any] = {"serbench_cold_import_s": round(import_s, 9)}
    if first is not None:
        meta.update(serbench_cold_first_s=round(first.seconds, 9),
                    serbench_cold_first_faults=first.faults,
                    serbench_cold_rss_growth=first.rss_growth)
    return meta
