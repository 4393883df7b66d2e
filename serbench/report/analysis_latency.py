"""The data behind the latency charts and tables: pooled round-trip percentiles per cell, with
p99.9's interval or its flag, and how far each codec's slow requests stray from its typical
one (p99 / p50, for notebooks)."""

from __future__ import annotations

from dataclasses import dataclass

from serbench.common.vocabulary import P999_MIN_SAMPLES, PERCENTILE_KEYS
from serbench.report.data import Run

PERCENTILE_LABELS = {"p50_s": "p50", "p90_s": "p90", "p99_s": "p99", "p999_s": "p99.9",
                     "max_s": "max"}


# -- latency percentiles -----------------------------------------------------------------------

@dataclass(frozen=True)
class LatencyProfile:
    """Pooled per-request round-trip latency percentiles (seconds) of one cell.

    p99.9 needs `P999_MIN_SAMPLES` requests to be read from the data rather than from the few
    largest; below that it is shown with its interval, or flagged when it has none.
    """

    codec: str
    payload: str
    measure: str
    fidelity: str
    percentiles: tuple[tuple[str, float], ...]
    samples: int | None = None
    p999_low: float | None = None
    p999_high: float | None = None
    suspect: str = ""

    @property
    def p999_flagged(self) -> bool:
        """p99.9 comes from too few samples and has no interval to show how loose it is."""
        return (self.samples is None or self.samples < P999_MIN_SAMPLES) and (
            self.p999_low is None or self.p999_high is None)


def latency_profiles(run: Run) -> list[LatencyProfile]:
    """Round-trip cells with stored percentiles, rankable ones only (the null floor too)."""
    out = []
    for measure in run.measures:
        if not measure.startswith("roundtrip/"):
            continue
        for cell in run.cells_for(measure):
            if not cell.rankable:
                continue
            pairs = tuple((PERCENTILE_LABELS[k], v) for k in PERCENTILE_KEYS
                          if (v := getattr(cell, k)) is not None)
            if pairs:
                out.append(LatencyProfile(cell.codec, cell.payload, measure, cell.fidelity,
                                          pairs, cell.samples, cell.p999_lo_s, cell.p999_hi_s,
                                          cell.suspect))
    return out


# -- tails (beyond the report: notebooks) ------------------------------------------------------

@dataclass(frozen=True)
class Tail:
    """How far a codec's slow requests stray from its typical one: p99 / p50."""

    codec: str
    payload: str
    measure: str
    p50_s: float
    p99_s: float

    @property
    def p99_over_p50(self) -> float:
        """p99 / p50."""
        return self.p99_s / self.p50_s


def tail_ratios(run: Run) -> list[Tail]:
    """p99/p50 of every rankable round-trip cell with stored percentiles."""
    return [Tail(c.codec, c.payload, c.measure, c.p50_s, c.p99_s)
            for m in run.measures if m.startswith("roundtrip/")
            for c in run.cells_for(m) if c.rankable and c.p50_s and c.p99_s]
