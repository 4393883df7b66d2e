"""Minor page faults of this process and of its server: the cold heap's signature.

A minor fault is a page the kernel maps on first touch; a warm heap reuses its pages and takes
none. `getrusage` counts this process; a forked server is read from `/proc/PID/stat` (Linux),
so a round trip's faults include both ends. Where neither is readable the count is 0 and the
warm-up rule falls back on time alone.
"""

from __future__ import annotations

import resource
from collections.abc import Callable, Sequence


def own_minor_faults() -> int:
    """This process's minor faults so far."""
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_minflt)


def pid_minor_faults(pid: int) -> int:
    """Another process's minor faults so far (0 where /proc cannot tell)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            text = stat.read()
    except OSError:
        return 0
    # The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    fields = text[text.rfind(b")") + 2 :].split()
    return int(fields[7]) if len(fields) > 7 else 0  # field 10, minflt


def fault_counter(peer_pids: Sequence[int] = ()) -> Callable[[], int]:
    """A counter of this process's minor faults plus those of `peer_pids`."""
    pids = tuple(peer_pids)

    def count() -> int:
        return own_minor_faults() + sum(pid_minor_faults(p) for p in pids)

    return count
