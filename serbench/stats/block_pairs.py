"""Two sides timed in alternating blocks: the schedule, the block size and the ratios.

Two figures measured one after the other see different phases of a shared machine (on a noisy
2-vCPU guest a pure-Python loop's speed moved 1.4-2.9x within seconds), and a target of ±5 %
drowns in that. Timed in blocks of about the same length, the side that goes first alternating
by pair, each pair of blocks shares a phase; the figure is the median over pairs of one side's
block figure over the other's. `serbench harness` runs both sides in one process,
`serbench crosscheck` in two live processes that take turns.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

__all__ = ["calls_per_block", "interleave", "pair_ratios"]

#: A trial shorter than this says too little about a call's cost (the clock's and the
#: loop's own cost); calls_per_block grows it tenfold until it is not.
_TRIAL_S = 0.001


def calls_per_block(timed: Callable[[int], float], block_s: float) -> int:
    """How many calls make a block of about `block_s`: `timed(n)` (seconds for n calls) on
    1, 10, 100... calls until a trial lasts a millisecond."""
    n = 1
    while True:
        took = timed(n)
        if took >= _TRIAL_S or n >= 10**7:
            return max(1, int(block_s * n / max(took, 1e-9)))
        n *= 10


def interleave(sides: dict[str, Callable[[], float]], pairs: int) -> dict[str, list[float]]:
    """Run `pairs` pairs of blocks, the side that goes first alternating by pair; each side's
    block figures in pair order."""
    names = list(sides)
    out: dict[str, list[float]] = {name: [] for name in names}
    for i in range(pairs):
        for name in (names if i % 2 == 0 else names[::-1]):
            out[name].append(sides[name]())
    return out


def pair_ratios(numerator: Sequence[float], denominator: Sequence[float]) -> list[float]:
    """Each pair's ratio of the two sides' block figures."""
    return [a / b for a, b in zip(numerator, denominator, strict=True)]
