"""Confidence intervals for everything serbench reports, computed with scipy's distributions.

Claims about the *order* of codecs within a group are many comparisons at once: they use
Bonferroni's family-wise confidence (`family_confidence`), so that across a group's pairs the
chance of one false "significant" stays at 5 %.

The unit of replication is the worker *process* (one per cell per round), not the value: most of
the variance on a VM is between processes (Kalibera & Jones, ISMM 2013), so treating a process's
values as independent would make every interval far too narrow. Ratios between codecs are
*paired* by round (both workers ran seconds apart, so machine drift cancels) and summarised on a
log scale: the estimate is the geometric mean of the per-round ratios, its interval a t interval
on their logarithms.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from serbench.common.vocabulary import CONFIDENCE


@dataclass(frozen=True)
class Interval:
    """An estimate with its two-sided confidence interval; `n` observations behind it.

    With a single observation the bounds are None: one process says nothing about the next.
    """

    estimate: float
    low: float | None
    high: float | None
    n: int

    @property
    def known(self) -> bool:
        """Whether the interval has bounds (at least two observations)."""
        return self.low is not None and self.high is not None

    def excludes(self, value: float) -> bool:
        """Whether `value` lies outside the interval (a significant difference from it)."""
        return self.known and (value < self.low or value > self.high)  # type: ignore[operator]

    def half_width(self) -> float | None:
        """Relative half-width of the interval around the estimate (0.05 means ±5 %)."""
        if not self.known or self.estimate == 0:
            return None
        return (self.high - self.low) / 2 / abs(self.estimate)  # type: ignore[operator]


def family_confidence(comparisons: int, confidence: float = CONFIDENCE) -> float:
    """Bonferroni: the per-comparison confidence that keeps `confidence` for a family of
    `comparisons` claims at once (e.g. every pairwise ordering within one comparison group,
    where the ranking picks which pair to look at from the data)."""
    return 1 - (1 - confidence) / max(1, comparisons)


def _t_quantile(df: int, confidence: float) -> float:
    from scipy import stats

    return float(stats.t.ppf(0.5 + confidence / 2, df))


def mean_interval(values: Sequence[float], confidence: float = CONFIDENCE) -> Interval:
    """Arithmetic mean of independent observations (per-process means) with a t interval."""
    n = len(values)
    if n == 0:
        raise ValueError("no observations")
    mean = math.fsum(values) / n
    if n < 2:
        return Interval(mean, None, None, n)
    sd = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1))
    half = _t_quantile(n - 1, confidence) * sd / math.sqrt(n)
    return Interval(mean, mean - half, mean + half, n)


def log_mean_interval(ratios: Sequence[float], confidence: float = CONFIDENCE) -> Interval:
    """Geometric mean of positive ratios with a t interval on their logarithms."""
    if any(r <= 0 for r in ratios):
        raise ValueError("ratios must be positive")
    logs = mean_interval([math.log(r) for r in ratios], confidence)
    if not logs.known:
        return Interval(math.exp(logs.estimate), None, None, logs.n)
    return Interval(math.exp(logs.estimate), math.exp(logs.low),  # type: ignore[arg-type]
                    math.exp(logs.high), logs.n)  # type: ignore[arg-type]


def paired_ratio(numerator: Mapping[int, float], denominator: Mapping[int, float],
                 confidence: float = CONFIDENCE) -> Interval | None:
    """numerator / denominator from the rounds both have (keys are round numbers).

    None when no round has both (e.g. a resumed run that has not reached the pair yet).
    """
    rounds = sorted(set(numerator) & set(denominator))
    ratios = [numerator[r] / denominator[r] for r in rounds
              if numerator[r] > 0 and denominator[r] > 0]
    if not ratios:
        return None
    return log_mean_interval(ratios, confidence)


def welch_ratio(a: Sequence[float], b: Sequence[float],
                confidence: float = CONFIDENCE) -> Interval | None:
    """B / A from two independent sets of per-process means (two runs): Welch's t interval on
    the difference of mean logarithms, exponentiated. None with fewer than one mean a side."""
    if not a or not b or any(v <= 0 for v in (*a, *b)):
        return None
    la, lb = [math.log(v) for v in a], [math.log(v) for v in b]
    ma, mb = math.fsum(la) / len(la), math.fsum(lb) / len(lb)
    estimate = math.exp(mb - ma)
    if len(la) < 2 or len(lb) < 2:
        return Interval(estimate, None, None, min(len(la), len(lb)))
    va = math.fsum((x - ma) ** 2 for x in la) / (len(la) - 1) / len(la)
    vb = math.fsum((x - mb) ** 2 for x in lb) / (len(lb) - 1) / len(lb)
    se = math.sqrt(va + vb)
    if se == 0:
        return Interval(estimate, estimate, estimate, min(len(la), len(lb)))
    # Welch-Satterthwaite degrees of freedom.
    df = (va + vb) ** 2 / (va**2 / (len(la) - 1) + vb**2 / (len(lb) - 1))
    from scipy import stats

    half = float(stats.t.ppf(0.5 + confidence / 2, df)) * se
    return Interval(estimate, math.exp(mb - ma - half), math.exp(mb - ma + half),
                    min(len(la), len(lb)))


def quantile_interval(sorted_samples: Sequence[float], q: float,
                      confidence: float = CONFIDENCE) -> tuple[float, float] | None:
    """A distribution-free interval for the q-quantile (0 < q < 1) from order statistics.

    The number of samples below the true quantile is Binomial(n, q); the interval runs from
    the order statistic at its lower to the one at its upper quantile. None when n is too
    small for either bound to exist (the quantile then sits beyond the largest sample).
    """
    from scipy import stats

    n = len(sorted_samples)
    if n == 0:
        return None
    alpha = 1 - confidence
    lo_rank = int(stats.binom.ppf(alpha / 2, n, q))          # 0-based order statistic
    hi_rank = int(stats.binom.ppf(1 - alpha / 2, n, q))
    if hi_rank >= n:
        return None
    return float(sorted_samples[max(lo_rank - 1, 0)]), float(sorted_samples[hi_rank])
