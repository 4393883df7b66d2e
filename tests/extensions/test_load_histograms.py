"""Histograms merged across load processes are exactly the histogram of all the values:
counts, percentiles, min and max, after the encode/decode round trip the processes use."""

from __future__ import annotations

import random

from serbench.extensions.load import histograms


def _values(seed: int, count: int) -> list[int]:
    rng = random.Random(seed)
    # latencies from 20 us to 200 ms, heavy-tailed, as a stalled server makes them
    return [int(20_000 * rng.paretovariate(1.2)) % 200_000_000 + 1 for _ in range(count)]


def test_merge_is_lossless() -> None:
    parts = [_values(seed, n) for seed, n in ((1, 5000), (2, 300), (3, 12000))]
    single = histograms.new_histogram()
    encoded = []
    for values in parts:
        h = histograms.new_histogram()
        for v in values:
            histograms.record(h, v)
            histograms.record(single, v)
        encoded.append(histograms.encode(h))
    merged = histograms.merge(encoded)
    assert merged.get_total_count() == single.get_total_count() == sum(map(len, parts))
    assert merged.get_max_value() == single.get_max_value()
    assert merged.get_min_value() == single.get_min_value()
    for pct in (0.0, 1.0, 50.0, 90.0, 99.0, 99.9, 99.99, 100.0):
        assert merged.get_value_at_percentile(pct) == single.get_value_at_percentile(pct)
    mine = [(i.value_iterated_to, i.count_at_value_iterated_to)
            for i in merged.get_recorded_iterator()]
    theirs = [(i.value_iterated_to, i.count_at_value_iterated_to)
              for i in single.get_recorded_iterator()]
    assert mine == theirs
    assert histograms.summary(merged) == histograms.summary(single)


def test_merging_is_not_averaging_percentiles() -> None:
    fast = histograms.new_histogram()
    slow = histograms.new_histogram()
    for _ in range(9900):
        histograms.record(fast, 100_000)
    for _ in range(100):
        histograms.record(slow, 50_000_000)
    merged = histograms.merge([histograms.encode(fast), histograms.encode(slow)])
    # the p99.9 of all requests is the slow one's, not the mean of the two p99.9s
    assert merged.values_are_equivalent(merged.get_value_at_percentile(99.9), 50_000_000)
    assert histograms.count_at_or_above(merged, 10_000_000) == 100


def test_summary_of_an_empty_histogram_has_no_figures() -> None:
    assert histograms.summary(histograms.new_histogram()) == {
        "count": 0, "p50_s": None, "p90_s": None, "p99_s": None, "p999_s": None,
        "max_s": None}


def test_values_outside_the_range_are_clamped_not_dropped() -> None:
    h = histograms.new_histogram()
    histograms.record(h, 0)
    histograms.record(h, 10 * histograms.HIGHEST_NS)
    assert h.get_total_count() == 2
