"""The in-process cost estimate that sets each worker's loops.

pyperf normally spends a whole worker process (plus a server) per benchmark calibrating the
number of loops. serbench measures the codec in process instead (a few milliseconds, no spawn)
and derives each cell's loops from it, so a value lasts about the budget's `min_time`. The
estimate only sets how long a value lasts; it never enters a result.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from serbench.common.vocabulary import PATH_TRANSPORTS

#: Loopback transport cost for the estimate: a fixed wake-up cost plus bytes moved.
_ROUNDTRIP_FIXED_S = 12e-6
_STREAM_FIXED_S = 2e-6
#: A path's own round trip, far above a socket's: the `null` round trip's p50 of 64 bytes
#: on the dev VM (docs/transports.md). Only a value's length depends on it.
_PATH_ROUNDTRIP_S = {"mp-pipe": 15e-6, "mp-queue": 40e-6, "pool": 200e-6, "shm": 25e-6,
                     "zmq-ipc": 55e-6, "zmq-tcp": 55e-6, "redis": 200e-6}
assert set(_PATH_ROUNDTRIP_S) == set(PATH_TRANSPORTS)
_SECONDS_PER_BYTE = 3e-10
_SAMPLE_S = 0.005


@dataclass(frozen=True)
class CodecCost:
    """In-process seconds per encode and per decode of one payload."""

    encode_s: float
    decode_s: float

    def per_message(self, scenario: str, encoded_bytes: int, transport: str | None = None
                    ) -> float:
        """Estimated seconds per message (per request for round trips) in a scenario, on
        `transport` (a socket unless it names a path)."""
        if scenario == "encode":
            return self.encode_s
        if scenario == "decode":
            return self.decode_s
        codec = self.encode_s + self.decode_s
        fixed = _PATH_ROUNDTRIP_S.get(transport or "", 0.0)
        if scenario == "roundtrip":  # both sides encode and decode; bytes move both ways
            return (2 * codec + (fixed or _ROUNDTRIP_FIXED_S)
                    + 2 * encoded_bytes * _SECONDS_PER_BYTE)
        # A stream message costs a path about half its round trip (one way, no reply).
        return codec + (fixed / 2 or _STREAM_FIXED_S) + encoded_bytes * _SECONDS_PER_BYTE


def seconds_per_call(call: Callable[[Any], Any], arg: Any) -> float:
    """Time `call(arg)` over about 5 ms (doubling the count), like pyperf's calibration."""
    loops = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(loops):
            call(arg)
        elapsed = time.perf_counter() - t0
        if elapsed >= _SAMPLE_S or loops >= 2**20:
            return max(elapsed / loops, 1e-9)
        loops *= 2


def measure(encode: Callable[[Any], Any], obj: Any, decode: Callable[[Any], Any],
            view: Any) -> CodecCost:
    """The in-process cost of one codec on one payload."""
    return CodecCost(seconds_per_call(encode, obj), seconds_per_call(decode, view))
