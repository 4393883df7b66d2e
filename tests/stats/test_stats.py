"""Latency percentiles pinned to hand-computed values on small known arrays.

numpy's default percentile is linear interpolation between order statistics: for `n` sorted
samples `x[0] <= ... <= x[n-1]` and percentile `q`, let `h = (n - 1) * q / 100`; the value is
`x[floor(h)] + (h - floor(h)) * (x[floor(h) + 1] - x[floor(h)])`. Every expected value below is
worked out from that formula by hand (in the comments), never by calling numpy.percentile, so
a wrong entry in the percentile table (99.09 for 99.9, say) or a wrong unit fails here.
"""

from __future__ import annotations

import random
from array import array

import numpy as np
import pytest

from serbench.common import vocabulary
from serbench.stats import percentiles as stats
from serbench.stats.percentiles import latency_percentiles

NS = 1e-9
#: Interpolation multiplies a fraction such as 0.001, which float64 carries to ~1e-13; the
#: smallest difference a wrong percentile would make below is over 1e-4 relative.
REL = 1e-9


def _shuffled(values: list[int], seed: int = 7) -> list[int]:
    """The same samples in a scrambled order: the percentiles must not depend on the order."""
    out = list(values)
    random.Random(seed).shuffle(out)
    return out


def _seconds(**ns: float) -> dict[str, object]:
    return {key: pytest.approx(value * NS, rel=REL) for key, value in ns.items()}


def test_one_to_a_thousand_ns() -> None:
    # n = 1000, x[i] = i + 1 ns:
    #   p50:   h = 999 * 0.50  = 499.5    -> 500 + 0.5   * 1 = 500.5 ns
    #   p90:   h = 999 * 0.90  = 899.1    -> 900 + 0.1   * 1 = 900.1 ns
    #   p99:   h = 999 * 0.99  = 989.01   -> 990 + 0.01  * 1 = 990.01 ns
    #   p99.9: h = 999 * 0.999 = 998.001  -> 999 + 0.001 * 1 = 999.001 ns
    #   max: 1000 ns
    got = latency_percentiles(_shuffled(list(range(1, 1001))))
    assert got == _seconds(p50=500.5, p90=900.1, p99=990.01, p999=999.001, max=1000)


def test_ten_thousand_and_one_samples_land_on_order_statistics() -> None:
    # n = 10001, x[i] = 1000 * i ns (0 .. 10 ms): h = 10000 * q / 100 = 100 * q is a whole
    # index for every percentile, so each one is a sample read straight from the data.
    #   p50 -> x[5000] = 5 ms, p90 -> x[9000] = 9 ms, p99 -> x[9900] = 9.9 ms,
    #   p99.9 -> x[9990] = 9.99 ms, max = x[10000] = 10 ms
    samples = np.array(_shuffled([1000 * i for i in range(10_001)]), dtype=np.int64)
    got = latency_percentiles(samples)
    assert got == _seconds(p50=5_000_000, p90=9_000_000, p99=9_900_000, p999=9_990_000,
                           max=10_000_000)


def test_a_ten_thousand_sample_tail() -> None:
    # 9990 requests of 10 us and 10 of 5 ms: n = 10000, x[0..9989] = 10_000, x[9990..] = 5e6.
    #   p50:   h = 9999 * 0.5  = 4999.5   -> 10_000 (both neighbours are 10 us)
    #   p90:   h = 8999.1                 -> 10_000
    #   p99:   h = 9899.01                -> 10_000
    #   p99.9: h = 9999 * 0.999 = 9989.001 -> x[9989] + 0.001 * (x[9990] - x[9989])
    #                                       = 10_000 + 0.001 * 4_990_000 = 14_990 ns
    #   max: 5 ms
    samples = array("q", _shuffled([10_000] * 9990 + [5_000_000] * 10))
    got = latency_percentiles(samples)
    assert got == _seconds(p50=10_000, p90=10_000, p99=10_000, p999=14_990, max=5_000_000)


def test_five_samples_with_one_outlier() -> None:
    # n = 5, sorted x = 10, 20, 30, 40, 1000 ns:
    #   p50:   h = 4 * 0.5   = 2      -> x[2] = 30 ns
    #   p90:   h = 4 * 0.9   = 3.6    -> 40 + 0.6   * 960 = 616 ns
    #   p99:   h = 4 * 0.99  = 3.96   -> 40 + 0.96  * 960 = 961.6 ns
    #   p99.9: h = 4 * 0.999 = 3.996  -> 40 + 0.996 * 960 = 996.16 ns
    #   max: 1000 ns
    got = latency_percentiles([40, 1000, 10, 30, 20])
    assert got == _seconds(p50=30, p90=616, p99=961.6, p999=996.16, max=1000)


def test_a_single_sample_is_every_percentile() -> None:
    assert latency_percentiles([1234]) == _seconds(p50=1234, p90=1234, p99=1234, p999=1234,
                                                   max=1234)


def test_nanoseconds_become_seconds() -> None:
    # Whole seconds are exact in float64; so are large int64 values up to 2**53 ns (~104 days).
    assert latency_percentiles([1_000_000_000] * 3) == {
        "p50": 1.0, "p90": 1.0, "p99": 1.0, "p999": 1.0, "max": 1.0}
    assert latency_percentiles(np.array([2_500_000_000, 10**12], dtype=np.int64))["max"] == 1000.0
    got = latency_percentiles([1, 3])  # ns: p50 = 2 ns = 2e-9 s
    assert got["p50"] == pytest.approx(2e-9, rel=REL)
    assert got["max"] == pytest.approx(3e-9, rel=REL)
    assert all(type(v) is float for v in got.values())


def test_the_same_samples_in_any_container_give_the_same_figures() -> None:
    values = _shuffled([7 * i * i + 3 for i in range(500)])
    expected = latency_percentiles(values)
    assert latency_percentiles(array("q", values)) == expected
    assert latency_percentiles(np.array(values, dtype=np.int64)) == expected
    assert latency_percentiles(sorted(values)) == expected


def test_keys_follow_the_vocabulary() -> None:
    """stats takes its percentile table from the vocabulary, and its keys, in order and with
    `_s`, are the summary columns the vocabulary names."""
    assert stats.PERCENTILES is vocabulary.PERCENTILES
    keys = tuple(f"{key}_s" for key in latency_percentiles([1, 2, 3]))
    assert keys == vocabulary.PERCENTILE_KEYS
