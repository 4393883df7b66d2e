"""Paired rounds of one case -> its verdict: the median of the per-round ratios, their range,
and whether the rounds agree among themselves.

Each round times both sides of a case within the same minute or two, so the ratio of that
round compares them on one stretch of the machine's time; a ratio of the two sides' medians
would pair a fast phase of one with a slow phase of the other. The median of the ratios keeps
one odd round from deciding, and the range says whether it had to: when the rounds' ratios fall
on both sides of an edge of 1 ± tolerance, the machine's phases decided the verdict, not the
methods (`resolved` is false).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median


def band(ratio: float, tolerance: float) -> int:
    """-1 below 1 - tolerance, 0 within, 1 above 1 + tolerance."""
    if ratio < 1.0 - tolerance:
        return -1
    if ratio > 1.0 + tolerance:
        return 1
    return 0


@dataclass(frozen=True)
class Paired:
    """One case's verdict over its rounds (`None` where no round had both figures)."""

    ratio: float | None
    ratio_min: float | None
    ratio_max: float | None
    rounds: int
    agrees: bool | None
    #: Every paired round in the same band (all within, all above or all below); `None` with
    #: fewer than two paired rounds, where the rounds cannot disagree.
    resolved: bool | None


def ratios(ours: Sequence[float | None], theirs: Sequence[float | None]) -> list[float]:
    """serbench / peer for each round where both sides have a figure."""
    return [o / t for o, t in zip(ours, theirs, strict=True) if o and t]


def pair_up(ours: Sequence[float | None], theirs: Sequence[float | None],
            tolerance: float) -> Paired:
    """The verdict of one case from each side's figure per round (same order)."""
    return verdict(ratios(ours, theirs), tolerance)


def verdict(each: Sequence[float], tolerance: float) -> Paired:
    """The verdict of one case from its per-round ratios."""
    if not each:
        return Paired(None, None, None, 0, None, None)
    mid = median(each)
    resolved = len({band(r, tolerance) for r in each}) == 1 if len(each) > 1 else None
    return Paired(mid, min(each), max(each), len(each), band(mid, tolerance) == 0, resolved)


def median_of(values: Sequence[float | None]) -> float | None:
    """The median of the figures present, or None."""
    present = [v for v in values if v is not None]
    return median(present) if present else None
