"""The verdict's chart, one per payload: the ranking (mean time per call with its 95 % interval,
fastest at the top, the winner and its ties in bold) beside the time-vs-size view, where the
codecs nothing beats on both (the Pareto front) are joined by a line. Drawn from
`serbench.report.verdict` alone."""

from __future__ import annotations

from typing import Any

from serbench.report.chart_parts import Colours
from serbench.report.style import log_axis, new_figure
from serbench.report.text import measure_title
from serbench.report.verdict import PayloadVerdict

#: Height of the figure per ranked codec, and its least height (inches).
ROW = 0.32
LEAST = 2.6


def verdict_chart(verdict: PayloadVerdict, colours: Colours) -> Any:
    """Ranking with intervals (left) and time against encoded size (right) for one payload."""
    ranking = verdict.ranking
    if not ranking:
        return None
    fig = new_figure(10.0, max(LEAST, 0.9 + ROW * len(ranking)))
    left, right = fig.subplots(1, 2, width_ratios=(1.15, 1.0))
    rows = range(len(ranking))
    for y, r in zip(rows, ranking, strict=True):
        left.barh(y, r.mean_s, color=colours.get(r.codec, "#777777"), height=0.7,
                  alpha=1.0 if r.top else 0.55)
        if r.low_s is not None and r.high_s is not None:
            left.errorbar(r.mean_s, y, xerr=[[r.mean_s - r.low_s], [r.high_s - r.mean_s]],
                          fmt="none", ecolor="#222222", capsize=3, linewidth=1)
    left.set_yticks(list(rows), [r.codec for r in ranking])
    for label, r in zip(left.get_yticklabels(), ranking, strict=True):
        if r.top:
            label.set_fontweight("bold")
    left.invert_yaxis()
    left.set_xlim(left=0)
    _axis(left.xaxis, "s", log=False)
    left.set_xlabel(f"{measure_title(verdict.measure)}: time per call (95 % interval)")
    left.set_title("Ranking (bold: fastest, or tied with it)", fontsize=10)
    _time_vs_size(right, verdict, colours)
    fig.suptitle(f"{verdict.payload}: the answer")
    return fig


def _time_vs_size(ax: Any, verdict: PayloadVerdict, colours: Colours) -> None:
    sized = [r for r in verdict.ranking if r.encoded_bytes is not None]
    for r in sized:
        ax.scatter(r.encoded_bytes, r.mean_s, s=46 if r.front else 26,
                   color=colours.get(r.codec, "#777777"), edgecolors="#222222" if r.front
                   else "none", zorder=3)
        ax.annotate(r.codec, (r.encoded_bytes, r.mean_s), xytext=(4, 3),
                    textcoords="offset points", fontsize=7,
                    fontweight="bold" if r.front else "normal")
    front = sorted((r for r in sized if r.front), key=lambda r: r.encoded_bytes or 0)
    if len(front) > 1:
        ax.step([r.encoded_bytes for r in front], [r.mean_s for r in front], where="post",
                color="#222222", linewidth=1, linestyle="--", zorder=2)
    if sized:
        ax.margins(0.15)
        sizes = [float(r.encoded_bytes or 0) for r in sized]
        times = [r.mean_s for r in sized]
        _axis(ax.xaxis, "B", log=_wide(sizes))
        _axis(ax.yaxis, "s", log=_wide(times))
    ax.set_xlabel("encoded size")
    ax.set_ylabel("time per call")
    ax.set_title("Time vs size (bold: nothing beats them on both)", fontsize=10)


def _wide(values: list[float]) -> bool:
    """Whether values span more than a decade (then a log axis reads better)."""
    positive = [v for v in values if v > 0]
    return bool(positive) and max(positive) / min(positive) > 10


def _axis(axis: Any, unit: str, log: bool) -> None:
    """A log axis with engineering ticks, or a linear one whose ticks never repeat a label."""
    from matplotlib.ticker import EngFormatter

    if log:
        (axis.axes.set_xscale if axis is axis.axes.xaxis else axis.axes.set_yscale)("log")
        log_axis(axis, unit)
        return
    axis.set_major_formatter(EngFormatter(unit=unit))
