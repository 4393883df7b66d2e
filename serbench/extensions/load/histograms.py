"""Latency histograms (HdrHistogram), merged losslessly across load processes.

Every load process records into its own histograms with the same parameters (nanoseconds,
1 ns to one hour, 3 significant digits); the parent decodes each process's encoded histogram and
adds the counts, so the merged percentiles are those of all the requests together, never an
average of per-process percentiles. Interval histograms go to an HdrHistogram log (`.hlog`,
readable by HistogramLogReader and the usual HdrHistogram tools), kept with the run.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO, Any

from hdrh.histogram import HdrHistogram
from hdrh.log import HistogramLogWriter

LOWEST_NS = 1
HIGHEST_NS = 3600 * 10**9
DIGITS = 3
#: Summary key -> percentile, for the load scenario's columns.
PERCENTILES = {"p50_s": 50.0, "p90_s": 90.0, "p99_s": 99.0, "p999_s": 99.9}


def new_histogram() -> Any:
    """An empty histogram with the parameters every load process shares."""
    return HdrHistogram(LOWEST_NS, HIGHEST_NS, DIGITS)


def record(histogram: Any, value_ns: int) -> None:
    """Record one value, clamped into the trackable range (a value is never dropped)."""
    histogram.record_value(min(max(value_ns, LOWEST_NS), HIGHEST_NS))


def encode(histogram: Any) -> str:
    """The histogram as compressed base64 text (HdrHistogram's V2 encoding)."""
    text = histogram.encode()
    return text.decode("ascii") if isinstance(text, bytes) else str(text)


def merge(encoded: Iterable[str]) -> Any:
    """One histogram holding the counts of every encoded histogram: lossless, exact."""
    merged = new_histogram()
    for text in encoded:
        merged.decode_and_add(text.encode("ascii"))
    return merged


def summary(histogram: Any) -> dict[str, float | int | None]:
    """Percentiles and max in seconds, and the count; None for an empty histogram."""
    count = int(histogram.get_total_count())
    out: dict[str, float | int | None] = {"count": count}
    for key, pct in PERCENTILES.items():
        out[key] = histogram.get_value_at_percentile(pct) / 1e9 if count else None
    out["max_s"] = histogram.get_max_value() / 1e9 if count else None
    return out


def count_at_or_above(histogram: Any, value_ns: int) -> int:
    """How many recorded values are at least `value_ns` (to the histogram's precision)."""
    total = 0
    for item in histogram.get_recorded_iterator():
        if item.value_iterated_to >= value_ns:
            total += item.count_at_value_iterated_to
    return total


class IntervalLog:
    """An HdrHistogram interval log: one encoded histogram per interval, times relative to
    the point's start (seconds)."""

    def __init__(self, out: IO[str], comment: str) -> None:
        self._writer = HistogramLogWriter(out)
        self._writer.output_comment(comment)
        self._writer.output_legend()
        self.interval = new_histogram()
        self._since = 0.0

    def record(self, value_ns: int) -> None:
        """Record into the current interval."""
        record(self.interval, value_ns)

    def flush(self, now_s: float) -> None:
        """Write the current interval (ending at `now_s`) and start the next."""
        if self.interval.get_total_count():
            self._writer.output_interval_histogram(self.interval, self._since or 1e-9, now_s)
        self.interval.reset()
        self._since = now_s
