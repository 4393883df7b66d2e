"""The allocator policy of a worker, recorded like the GC policy.

glibc's malloc returns the top of its heap to the kernel once more than `M_TRIM_THRESHOLD` is
free there, and serves large blocks with `mmap`; both thresholds start at 128 KiB and grow only
after the process has freed a large mmapped block. So whether a codec that builds a 130 kB
buffer pays for pages faulted back in on every call depends on what the process did before,
not on the codec (ormsgpack's encode of msgspec's benchmark document: 1.4x slower in a fresh
process than in one whose thresholds have grown). `steady` fixes the thresholds where glibc's
own dynamic rule ends up in a long-running process (mmap threshold 32 MiB, its maximum on
64-bit; trim threshold twice that), with `mallopt` before anything is timed; `default` leaves
glibc's start-up state. Elsewhere than glibc, `steady` is recorded as not applied.
"""

from __future__ import annotations

import ctypes
import os

from serbench.common.vocabulary import MALLOC_STEADY

#: mallopt parameters (malloc.h) and the steady values.
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
STEADY_MMAP_THRESHOLD = 32 * 2**20
STEADY_TRIM_THRESHOLD = 2 * STEADY_MMAP_THRESHOLD


def _libc_mallopt() -> ctypes._CFuncPtr | None:  # type: ignore[name-defined]
    """glibc's `mallopt`, from the symbols already loaded (`ctypes.util.find_library` runs
    `ldconfig`: 30 ms in every worker)."""
    if not os.confstr_names.get("CS_GNU_LIBC_VERSION"):
        return None
    try:
        version = os.confstr("CS_GNU_LIBC_VERSION")
    except (OSError, ValueError):
        return None
    if not version:
        return None
    try:
        return ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return None


def apply_malloc_policy(policy: str) -> str:
    """Apply `policy` to this process (children forked later inherit it); returns what was
    done, for the run's metadata: `mallopt`, `glibc defaults`, or why nothing was applied."""
    if policy != MALLOC_STEADY:
        return "glibc defaults" if _libc_mallopt() is not None else "platform defaults"
    mallopt = _libc_mallopt()
    if mallopt is None:
        return "not applied: not glibc"
    ok = (mallopt(M_MMAP_THRESHOLD, STEADY_MMAP_THRESHOLD) == 1
          and mallopt(M_TRIM_THRESHOLD, STEADY_TRIM_THRESHOLD) == 1)
    return "mallopt" if ok else "not applied: mallopt refused"


def steady_description() -> str:
    """The steady policy in words, for environment.json and the report."""
    return (f"mallopt(M_MMAP_THRESHOLD={STEADY_MMAP_THRESHOLD}, "
            f"M_TRIM_THRESHOLD={STEADY_TRIM_THRESHOLD}) before set-up")


def malloc_record(policy: str) -> dict[str, str | None]:
    """The allocator policy as environment.json records it: the policy, what it sets, and any
    GLIBC_TUNABLES the run inherited (which apply under either policy)."""
    return {"policy": policy,
            "settings": steady_description() if policy == MALLOC_STEADY else "glibc defaults",
            "glibc": os.confstr("CS_GNU_LIBC_VERSION")
            if "CS_GNU_LIBC_VERSION" in os.confstr_names else None,
            "GLIBC_TUNABLES": os.environ.get("GLIBC_TUNABLES")}
