"""Ratios between two measured cells, and whether they differ from 1, by what the files hold.

- Results format 2 (interleaved rounds): the run's own 95 % interval of a cell's time relative
  to the reference codec (summary.csv `ratio_lo`/`ratio_hi`: per-round paired ratios, the worker
  process as the unit). A ratio is significant when its interval excludes 1. Nothing is
  recomputed here: the report shows what the run measured.
- A run without intervals (one upgraded from results format 1: `has_intervals` False), and two
  cells of different runs: no interval exists, so significance, and whether the fastest codec
  is separated from the runner-up, is the test `pyperf compare_to` applies, reimplemented with
  scipy's t
  distribution (pyperf's own function is private): a two-tailed two-sample t-test at 95 % on the
  pyperf values, Student's (pooled variance) for equal counts, Welch's otherwise. It treats every
  value as independent although the values of one worker process are not, so it overstates
  significance; the report says so wherever it uses it. Fewer than two values on a side gives
  "unknown", never "significant". This module is the one place that chooses between the two.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from serbench.common.vocabulary import CONFIDENCE
from serbench.stats.intervals import Interval


class MeasuredCell(Protocol):
    """What a ratio needs of a cell (the report's `MeasuredCell` is one)."""

    @property
    def codec(self) -> str: ...
    @property
    def mean_s(self) -> float | None: ...
    @property
    def values(self) -> Sequence[float]: ...
    @property
    def ratio_interval(self) -> Interval | None: ...

#: How a `Ratio`'s significance was decided.
BY_INTERVAL, BY_T_TEST, BY_DEFINITION = "interval", "t-test", "reference"


@dataclass(frozen=True)
class Ratio:
    """`other / base` of two cells' times (below 1: `other` is faster), with its interval."""

    value: float
    #: The 95 % interval's bounds (None: the files hold no interval for this ratio).
    low: float | None = None
    high: float | None = None
    #: Whether the ratio differs from 1; None when it cannot be told (too few rounds/values).
    significant: bool | None = None
    #: `BY_INTERVAL`, `BY_T_TEST` or `BY_DEFINITION` (the reference against itself).
    basis: str = BY_T_TEST

    @property
    def has_interval(self) -> bool:
        """Whether both bounds are known."""
        return self.low is not None and self.high is not None

    @property
    def label(self) -> str:
        """`significant`, `not significant` or `unknown`."""
        return significance_label(self.significant)


def significance_label(significant: bool | None) -> str:
    """The words for a significance result."""
    if significant is None:
        return "unknown"
    return "significant" if significant else "not significant"


def reference_ratio(cell: MeasuredCell, base: MeasuredCell, has_intervals: bool) -> Ratio | None:
    """`cell` relative to `base`, the reference codec's cell of the same comparison group.

    With intervals the run's paired ratio and interval are used as they are; without (a run
    upgraded from format 1) the ratio of means with the t-test on values. None when either is
    not measured.
    """
    if cell.mean_s is None or base.mean_s is None or base.mean_s <= 0:
        return None
    if cell.codec == base.codec:
        return Ratio(1.0, significant=False, basis=BY_DEFINITION)
    if not has_intervals:
        return unpaired_ratio(base, cell)
    paired = cell.ratio_interval
    if paired is None:  # a format-2 row without a ratio: the means, and no claim
        return Ratio(cell.mean_s / base.mean_s, significant=None, basis=BY_INTERVAL)
    significant = paired.excludes(1.0) if paired.known else None
    return Ratio(paired.estimate, paired.low, paired.high, significant, BY_INTERVAL)


def separated(fastest: MeasuredCell, runner_up: MeasuredCell, has_intervals: bool) -> bool | None:
    """Whether a run whose rows hold no rank separates its fastest cell from the runner-up:
    without intervals (a run upgraded from format 1), by the t-test on their values; with
    intervals, the run ranks its cells itself, so missing ranks make no claim (None)."""
    if has_intervals:
        return None
    return is_significant(fastest.values, runner_up.values)[0]


def unpaired_ratio(base: MeasuredCell, other: MeasuredCell) -> Ratio | None:
    """`other / base` of two independent cells (say, of two runs) with the t-test on their
    values (no interval); None if either is not measured."""
    if base.mean_s is None or other.mean_s is None or base.mean_s <= 0:
        return None
    significant, _ = is_significant(base.values, other.values)
    return Ratio(other.mean_s / base.mean_s, significant=significant, basis=BY_T_TEST)


def is_significant(a: Sequence[float], b: Sequence[float]) -> tuple[bool | None, float | None]:
    """(significant at 95 %, t score) of pyperf's two-sample test; (None, None) when a side
    has fewer than two values, and no t score when both sides are constant."""
    from scipy import stats

    if len(a) < 2 or len(b) < 2:
        return None, None
    mean_a, mean_b = statistics.fmean(a), statistics.fmean(b)
    variance_a, variance_b = statistics.variance(a), statistics.variance(b)
    if variance_a == 0 and variance_b == 0:
        return mean_a != mean_b, None
    n_a, n_b = len(a), len(b)
    if n_a == n_b:  # Student's t with pooled variance, as pyperf
        df: float = n_a + n_b - 2
        pooled = ((n_a - 1) * variance_a + (n_b - 1) * variance_b) / df
        se = math.sqrt(pooled * (1 / n_a + 1 / n_b))
    else:  # Welch's t (unequal counts and variances)
        se2_a, se2_b = variance_a / n_a, variance_b / n_b
        se = math.sqrt(se2_a + se2_b)
        df = (se2_a + se2_b) ** 2 / (se2_a**2 / (n_a - 1) + se2_b**2 / (n_b - 1))
    t_score = (mean_a - mean_b) / se
    critical = float(stats.t.ppf(0.5 + CONFIDENCE / 2, df))
    return bool(abs(t_score) >= critical), t_score
