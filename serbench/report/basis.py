"""How a run tells that a ratio differs from 1, in the report's words: by its own 95 % intervals,
or, in a run without them (one upgraded from results format 1), by the t-test on values.

The one place the report's words depend on it (the decision itself is
`serbench.stats.significance`'s): the environment block, how to read the report, its caveat,
and the legends and captions of the ratio chart and the heat map.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from serbench.common.vocabulary import REFERENCE_CODEC
from serbench.report.text import LEVEL, TIMES
from serbench.results.upgrade import has_intervals, written_format


@dataclass(frozen=True)
class Basis:
    """The words for what a run's ratios rest on."""

    #: Whether the run has 95 % intervals.
    intervals: bool
    #: The results format and what it holds, for the environment block.
    format_words: str
    #: How to read a ratio, its marks and the fastest codec (the first how-to-read paragraph).
    ratios: str
    #: What "not significant" means (the last caveat).
    strength: str
    #: The ratio chart: what a hatched bar means, and the title's note on error bars.
    faint_label: str
    whiskers: str
    #: The ratio chart's caption on error bars and hatching.
    ratio_caption: str
    #: The heat map's caption on intervals, and its title's note on the marks.
    heatmap_caption: str
    heatmap_meaning: str


def basis(environment: dict[str, Any], reference: str = "the first codec") -> Basis:
    """The words for a run with this environment (as the reader gives it), ratios taken
    against `reference`."""
    version = written_format(environment)
    if has_intervals(environment):
        return Basis(
            intervals=True,
            format_words=f"{version} (interleaved rounds; {LEVEL} intervals, the worker "
                         "process as the unit)",
            ratios=(
                f"Every figure is a time per call; lower is faster. A ratio is a codec's time "
                f"relative to {reference}'s for the same payload and measure: {reference} is "
                f"1.0{TIMES}, 0.5{TIMES} takes half the time, 2.0{TIMES} twice as long. The run "
                "measures in interleaved rounds (each round, every codec of a comparison gets "
                "one fresh worker process, in random order); a ratio is the geometric mean of "
                f"the per-round ratios, and [low, high] its {LEVEL} confidence interval with "
                "the worker process as the unit. \"≈\" marks a ratio whose interval includes 1 "
                f"(not shown to differ from {reference}); \"?\" one with too few rounds for an "
                "interval. A codec is called fastest only when its paired interval against the "
                "runner-up excludes 1 at the comparison's family-wise 95% (Bonferroni over all "
                "its pairs of codecs: the ranking picks the pair from the data); otherwise the "
                "table says \"tie\"."),
            strength=(
                f"{LEVEL} intervals are only as good as the number of rounds behind them (see "
                "the environment above): an interval that includes 1 means \"not shown by this "
                "run\", not \"equal\"."),
            faint_label=f"{LEVEL} interval includes 1",
            whiskers=f"error bars: {LEVEL} intervals, paired by round",
            ratio_caption=(
                f"error bars are the run's {LEVEL} intervals (per-round paired ratios, the "
                "worker process as the unit); hatched bars' intervals include 1 (not shown to "
                f"differ from {REFERENCE_CODEC})"),
            heatmap_caption=f", with its {LEVEL} interval in brackets",
            heatmap_meaning=f"[{LEVEL} interval]; ≈: interval includes 1")
    return Basis(
        intervals=False,
        format_words=f"{version} (no {LEVEL} intervals: this run predates interleaved rounds)",
        ratios=(
            "Every figure is a time per call; lower is faster. A ratio divides a codec's mean "
            f"time by {reference}'s for the same payload and measure: {reference} is "
            f"1.0{TIMES}, 0.5{TIMES} takes half the time, 2.0{TIMES} twice as long. This run "
            f"is in results format {version}: {LEVEL} intervals are unavailable for it. \"≈\" "
            "marks a difference that is not significant by the two-sample t-test `pyperf "
            "compare_to` applies (at 95% on the pyperf values), which treats the values of one "
            "worker process as independent and so overstates significance; \"?\" marks a cell "
            "with too few values to tell. A codec is called fastest only when the same test "
            "separates it from the runner-up; otherwise the table says \"tie\"."),
        strength=(
            "Few pyperf values per cell (see the budget above) make significance tests weak: "
            "\"not significant\" means \"not shown by this run\", not \"equal\"."),
        faint_label="not significant (t-test)",
        whiskers=f"no intervals: results format {version}",
        ratio_caption=(
            f"no error bars: this run (results format {version}) has no intervals; hatched "
            f"bars are not significantly different from {REFERENCE_CODEC} by the t-test on "
            "values"),
        heatmap_caption=f" (no intervals: results format {version})",
        heatmap_meaning=f"≈: not significant (t-test on values; no intervals in format "
                        f"{version})")
