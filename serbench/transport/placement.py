"""CPU placement and garbage-collector policy, applied the same way in client and server.

On a 2-vCPU VM, placement decides small-message latency: client and server on the same vCPU
hand off without a cross-CPU wake-up (measured 3-4x faster than split, and steadier).
"""

from __future__ import annotations

import gc
import os

# The mode names are shared vocabulary (the matrix validates them too); re-exported here for
# the argument parsers that offer them next to the functions that apply them.
from serbench.common.vocabulary import GC_POLICIES, PIN_MODES

__all__ = ["GC_POLICIES", "PIN_MODES", "apply_gc_policy", "cpus_for", "pin_self"]


def cpus_for(pin: str) -> tuple[int | None, int | None]:
    """(client CPU, server CPU) for a pin mode; None means not pinned."""
    if pin == "none" or not hasattr(os, "sched_getaffinity"):
        return None, None
    allowed = sorted(os.sched_getaffinity(0))
    if pin == "same" or len(allowed) < 2:
        return allowed[-1], allowed[-1]
    return allowed[0], allowed[1]


def pin_self(cpu: int | None) -> None:
    """Pin this process to one CPU (no-op for None)."""
    if cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {cpu})


def apply_gc_policy(policy: str) -> None:
    """`on`: GC stays enabled, and everything allocated during set-up is frozen out of its
    reach (`gc.freeze()`), as a long-running service would look. `off`: GC disabled."""
    gc.collect()
    if policy == "off":
        gc.disable()
    else:
        gc.enable()
        gc.freeze()
