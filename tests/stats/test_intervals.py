"""Every interval serbench reports, against values computed by hand."""

from __future__ import annotations

import math

import pytest

from serbench.stats.intervals import (
    log_mean_interval,
    mean_interval,
    paired_ratio,
    quantile_interval,
    welch_ratio,
)

# Student t quantiles (two-sided 95 %), from a printed table.
T975 = {1: 12.706205, 2: 4.302653, 3: 3.182446, 4: 2.776445, 9: 2.262157}


def test_mean_interval_is_the_t_interval() -> None:
    values = [1.0, 2.0, 3.0, 4.0, 5.0]
    got = mean_interval(values)
    sd = math.sqrt(2.5)  # sample variance of 1..5 is 2.5
    half = T975[4] * sd / math.sqrt(5)
    assert got.estimate == 3.0 and got.n == 5
    assert got.low == pytest.approx(3.0 - half, rel=1e-6)
    assert got.high == pytest.approx(3.0 + half, rel=1e-6)
    assert got.half_width() == pytest.approx(half / 3.0, rel=1e-6)


def test_one_observation_has_no_interval() -> None:
    got = mean_interval([7.0])
    assert got.estimate == 7.0 and not got.known and not got.excludes(100.0)
    with pytest.raises(ValueError):
        mean_interval([])


def test_log_mean_is_the_geometric_mean_with_a_log_t_interval() -> None:
    ratios = [0.5, 2.0]  # logs -ln2, +ln2: geometric mean 1
    got = log_mean_interval(ratios)
    assert got.estimate == pytest.approx(1.0)
    sd = math.sqrt(2) * math.log(2)
    half = T975[1] * sd / math.sqrt(2)
    assert got.low == pytest.approx(math.exp(-half), rel=1e-6)
    assert got.high == pytest.approx(math.exp(half), rel=1e-6)
    assert not got.excludes(1.0)


def test_paired_ratio_uses_only_rounds_both_have() -> None:
    codec = {1: 2.0, 2: 4.0, 3: 6.0, 5: 100.0}
    reference = {1: 1.0, 2: 2.0, 3: 3.0, 4: 50.0}
    got = paired_ratio(codec, reference)
    assert got is not None
    assert got.n == 3 and got.estimate == pytest.approx(2.0)
    assert got.low == pytest.approx(2.0) and got.high == pytest.approx(2.0)  # no spread
    assert got.excludes(1.0)
    assert paired_ratio({1: 1.0}, {2: 1.0}) is None


def test_drift_cancels_in_paired_ratios() -> None:
    # The machine slows 10 % per round; the codec is always 1.5x the reference.
    reference = {r: 1.0 * 1.1**r for r in range(1, 6)}
    codec = {r: 1.5 * 1.1**r for r in range(1, 6)}
    got = paired_ratio(codec, reference)
    assert got is not None and got.estimate == pytest.approx(1.5)
    assert got.high - got.low == pytest.approx(0.0, abs=1e-12)  # type: ignore[operator]


def test_welch_ratio_against_hand_values() -> None:
    a = [1.0, math.e]            # logs 0, 1
    b = [math.e, math.e**3]      # logs 1, 3
    got = welch_ratio(a, b)
    assert got is not None
    assert got.estimate == pytest.approx(math.exp(1.5))
    va, vb = 0.5 / 2, 2.0 / 2    # sample variances 0.5 and 2, over n = 2
    se = math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 + vb**2)  # Welch-Satterthwaite, n - 1 = 1 each
    from scipy import stats

    half = stats.t.ppf(0.975, df) * se
    assert got.low == pytest.approx(math.exp(1.5 - half))
    assert got.high == pytest.approx(math.exp(1.5 + half))
    assert welch_ratio([], [1.0]) is None
    assert not welch_ratio([1.0], [2.0]).known  # type: ignore[union-attr]


def test_quantile_interval_from_order_statistics() -> None:
    samples = list(range(1, 1001))  # 1..1000
    lo, hi = quantile_interval(samples, 0.5)  # type: ignore[misc]
    # Binomial(1000, 0.5): 2.5 % and 97.5 % quantiles are 469 and 531.
    assert (lo, hi) == (469.0, 532.0)
    assert lo <= 500 <= hi
    # p99.9 from 1000 samples: the upper bound would lie beyond the largest sample.
    assert quantile_interval(samples, 0.999) is None
    assert quantile_interval([], 0.5) is None


def test_family_confidence_is_bonferroni() -> None:
    from serbench.stats.intervals import family_confidence

    assert family_confidence(1) == 0.95
    assert family_confidence(45) == pytest.approx(1 - 0.05 / 45)
    assert family_confidence(0) == 0.95
