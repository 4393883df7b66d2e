"""Ratios between two measured cells, with error and significance.

Significance is pyperf's own test (`pyperf compare_to` uses it): a two-sample, two-tailed
Student's t-test at 95% on the benchmarks' values, one value per timed pyperf value. When the
two sides hold different numbers of values (pyperf's test requires equal counts), Welch's t-test
with pyperf's table of critical values. Unlike `compare_to`, fewer than two values on a side
gives "unknown", never "significant".
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from serbench.report.data import Cell


@dataclass(frozen=True)
class Ratio:
    """`other / base` of two cells' mean times (below 1: `other` is faster)."""

    value: float
    #: One standard deviation of the ratio, from both cells' std devs (None: unknown).
    error: float | None
    #: Whether the difference is significant; None when either side has fewer than 2 values.
    significant: bool | None
    t_score: float | None = None

    @property
    def label(self) -> str:
        """`significant`, `not significant` or `unknown`."""
        return significance_label(self.significant)


def significance_label(significant: bool | None) -> str:
    """The words for a significance result."""
    if significant is None:
        return "unknown"
    return "significant" if significant else "not significant"


def ratio(base: Cell, other: Cell) -> Ratio | None:
    """`other / base` with a propagated error and pyperf's significance; None if not measured."""
    if base.mean_s is None or other.mean_s is None or base.mean_s <= 0:
        return None
    value = other.mean_s / base.mean_s
    error = None
    if base.stdev_s is not None and other.stdev_s is not None and other.mean_s > 0:
        error = value * math.hypot(base.stdev_s / base.mean_s, other.stdev_s / other.mean_s)
    significant, t_score = is_significant(base.values, other.values)
    return Ratio(value, error, significant, t_score)


def is_significant(a: Sequence[float], b: Sequence[float]) -> tuple[bool | None, float | None]:
    """(significant at 95%, t score); (None, None) when a side has fewer than two values."""
    from pyperf._utils import is_significant as pyperf_is_significant
    from pyperf._utils import tdist95conf_level

    if len(a) < 2 or len(b) < 2:
        return None, None
    variance_a, variance_b = statistics.variance(a), statistics.variance(b)
    if variance_a == 0 and variance_b == 0:
        same = statistics.fmean(a) == statistics.fmean(b)
        return not same, None
    if len(a) == len(b):
        significant, t_score = pyperf_is_significant(list(a), list(b))
        return bool(significant), float(t_score)
    # Welch's t-test (unequal counts and variances), pyperf's critical values.
    se2_a, se2_b = variance_a / len(a), variance_b / len(b)
    t_score = (statistics.fmean(a) - statistics.fmean(b)) / math.sqrt(se2_a + se2_b)
    df = (se2_a + se2_b) ** 2 / (se2_a**2 / (len(a) - 1) + se2_b**2 / (len(b) - 1))
    return bool(abs(t_score) >= tdist95conf_level(df)), t_score
