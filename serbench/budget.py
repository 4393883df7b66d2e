"""How long each cell runs: pyperf's budget per cell, with loops chosen by serbench.

pyperf normally spends a whole worker process (plus a server) per benchmark calibrating the
number of loops. serbench measures the codec in process instead (a few milliseconds, no spawn)
and derives each cell's loops from it, then passes `--loops` so pyperf goes straight to its
warm-ups and values. The estimate only sets how long a value lasts; it never enters a result.
Round trips get at least `min_samples / (processes * values)` loops, so the pooled latency
samples reach `min_samples`: a slow round trip gets a longer budget, never fewer samples.

Explicit pyperf options win: `--fast`, `--rigorous` and `--debug-single-value` leave the budget
to pyperf (and its own calibration); `-p`, `-n`, `-w`, `-l`, `--min-time` replace the matrix's.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from serbench.matrix import Budget

_FLAGS = {"processes": ("-p", "--processes"), "values": ("-n", "--values"),
          "warmups": ("-w", "--warmups"), "loops": ("-l", "--loops"),
          "min_time": ("--min-time",)}
_MODES = ("--fast", "--rigorous", "--debug-single-value")
#: Loopback transport cost for the estimate: a fixed wake-up cost plus bytes moved.
_ROUNDTRIP_FIXED_S = 12e-6
_STREAM_FIXED_S = 2e-6
_SECONDS_PER_BYTE = 3e-10
_SAMPLE_S = 0.005


@dataclass(frozen=True)
class CodecCost:
    """In-process seconds per encode and per decode of one payload."""

    encode_s: float
    decode_s: float

    def per_message(self, scenario: str, encoded_bytes: int) -> float:
        """Estimated seconds per message (per request for round trips) in a scenario."""
        if scenario == "encode":
            return self.encode_s
        if scenario == "decode":
            return self.decode_s
        codec = self.encode_s + self.decode_s
        if scenario == "roundtrip":  # both sides encode and decode; bytes move both ways
            return 2 * codec + _ROUNDTRIP_FIXED_S + 2 * encoded_bytes * _SECONDS_PER_BYTE
        return codec + _STREAM_FIXED_S + encoded_bytes * _SECONDS_PER_BYTE


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


def given(user_args: Sequence[str], key: str) -> bool:
    """Whether the user passed this pyperf option."""
    return any(arg == flag or arg.startswith(flag + "=") for arg in user_args
               for flag in _FLAGS[key])


def pyperf_args(budget: Budget, user_args: Sequence[str], scenario: str, per_message_s: float,
                inner_loops: int = 1) -> list[str]:
    """The pyperf options for one cell, besides those the user gave (which follow them)."""
    if set(user_args) & set(_MODES):
        return []
    args: list[str] = []
    for key in ("processes", "values", "warmups", "min_time"):
        if not given(user_args, key):
            args += [_FLAGS[key][-1], str(getattr(budget, key))]
    if given(user_args, "loops") or given(user_args, "min_time"):
        return args  # the user chose loops, or a min-time for pyperf's own calibration
    processes = _user_int(user_args, "processes", budget.processes)
    values = _user_int(user_args, "values", budget.values)
    loops = math.ceil(budget.min_time / max(per_message_s * inner_loops, 1e-9))
    if scenario == "roundtrip":
        loops = max(loops, math.ceil(budget.min_samples / (processes * values)))
    return [*args, "--loops", str(max(1, loops))]


def _user_int(user_args: Sequence[str], key: str, default: int) -> int:
    args = list(user_args)
    for index, arg in enumerate(args):
        for flag in _FLAGS[key]:
            if arg == flag and index + 1 < len(args):
                return int(args[index + 1])
            if arg.startswith(flag + "="):
                return int(arg.split("=", 1)[1])
    return default
