"""Memory per call, in an untimed pass after the warm-up: what tracemalloc sees a call hold.

For one encode or decode it records the most Python-visible memory the call held at once
above where it started (`alloc_peak_bytes`, tracemalloc), and the bytes and blocks still held
by what it returned (`retained_bytes` from tracemalloc, `retained_blocks` from the
interpreter's count of allocated blocks): the encoded message, or the decoded object.
tracemalloc sees what goes through Python's allocators (PyMem/PyObject, and numpy's data,
which numpy reports to it); memory a native library takes from malloc or mmap itself is
invisible to it, which is why the steady minor faults per call and the first call's RSS growth
are recorded beside it (serbench.cells.steady, serbench.cells.firsts). Tracing slows code
several-fold, so this pass never runs inside a timed region, makes two calls only, and the
worker warms up again after it.
"""

from __future__ import annotations

import sys
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CallMemory:
    """What one call held: at its peak, and in its result."""

    alloc_peak_bytes: int
    retained_bytes: int
    retained_blocks: int

    def metadata(self) -> dict[str, int]:
        """The pyperf run metadata of the pass."""
        return {"serbench_alloc_peak_bytes": self.alloc_peak_bytes,
                "serbench_retained_bytes": self.retained_bytes,
                "serbench_retained_blocks": self.retained_blocks}


def _traced(call: Callable[[Any], Any], arg: Any) -> CallMemory:
    blocks_before = sys.getallocatedblocks()
    start, _ = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    result = call(arg)
    held, peak = tracemalloc.get_traced_memory()
    blocks = sys.getallocatedblocks() - blocks_before
    del result
    return CallMemory(max(0, peak - start), max(0, held - start), max(0, blocks))


def measure_call(call: Callable[[Any], Any], arg: Any, repeats: int = 2) -> CallMemory:
    """Trace `call(arg)` `repeats` times and keep the smallest figures (the first call of a
    pass may still fill a library's caches). The blocks the measuring itself keeps are
    measured on a call that returns nothing, and taken off."""
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    try:
        noise = min(_traced(_nothing, None).retained_blocks for _ in range(2))
        best: CallMemory | None = None
        for _ in range(max(1, repeats)):
            seen = _traced(call, arg)
            if best is None or seen.alloc_peak_bytes < best.alloc_peak_bytes:
                best = seen
        assert best is not None
        return CallMemory(best.alloc_peak_bytes, best.retained_bytes,
                          max(0, best.retained_blocks - noise))
    finally:
        if not was_tracing:
            tracemalloc.stop()


def _nothing(_: Any) -> None:
    return None
