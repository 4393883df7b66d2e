"""The latency charts: pooled round-trip percentiles per codec, p99.9 with its interval or
hollow, and (beyond the report, for notebooks) p99 / p50 per codec (from `analysis_latency`)."""

from __future__ import annotations

from typing import Any

from serbench.common.vocabulary import FLOOR_CODEC, P999_MIN_SAMPLES
from serbench.report import analysis_latency, analysis_ratios
from serbench.report.chart_parts import (
    WIDTH,
    Colours,
    axes_note,
    codec_legend,
    present,
    slots,
    suspect_ring,
)
from serbench.report.data import Run
from serbench.report.style import (
    new_figure,
    seconds_axis,
)
from serbench.report.text import LEVEL, measure_title

# -- latency percentiles -----------------------------------------------------------------------

def percentile_chart(run: Run, colours: Colours) -> Any:
    """Per payload and transport: p50 ... max of every codec's round trips, log scale; p99.9
    with its interval, or hollow when it comes from too few samples to stand without one."""
    from matplotlib.lines import Line2D

    profiles = analysis_latency.latency_profiles(run)
    if not profiles:
        return None
    transports = [t for t in run.transports("roundtrip")
                  if any(p.measure == f"roundtrip/{t}" for p in profiles)]
    payloads = [p for p in run.payloads if any(q.payload == p for q in profiles)]
    fig = new_figure(WIDTH, 1.0 + 2.6 * len(payloads))
    axes = fig.subplots(len(payloads), len(transports), squeeze=False)
    by = {(p.codec, p.payload, p.measure): p for p in profiles}
    for row, payload in enumerate(payloads):
        for col, transport in enumerate(transports):
            ax = axes[row][col]
            measure = f"roundtrip/{transport}"
            labels: list[str] = []
            for codec in run.codecs:
                profile = by.get((codec, payload, measure))
                if profile is None:
                    continue
                labels = [k for k, _ in profile.percentiles]
                ax.plot(range(len(labels)), [v for _, v in profile.percentiles], marker="o",
                        markersize=3.5, color=colours[codec], label=codec,
                        linestyle=":" if codec == FLOOR_CODEC else "-")
                _p999_mark(ax, profile, labels, colours[codec])
                if profile.suspect:
                    suspect_ring(ax, 0, profile.percentiles[0][1])
            ax.set_yscale("log")
            seconds_axis(ax.yaxis)
            ax.set_xticks(range(len(labels)), labels)
            ax.set_title(f"{payload} ({transport})")
            if col == 0:
                ax.set_ylabel("latency per request (log)")
            axes_note(ax, run, [measure], [payload])
    extra = []
    if any(p.p999_flagged for p in profiles):
        extra.append(Line2D([], [], marker="o", markerfacecolor="white", color="#555555",
                            linestyle="", label=f"p99.9 from < {P999_MIN_SAMPLES:,} samples, "
                                                 "no interval"))
    if any(p.p999_low is not None for p in profiles):
        extra.append(Line2D([], [], marker="|", color="#555555", linestyle="",
                            label=f"p99.9 {LEVEL} interval"))
    codec_legend(fig, colours, present(run.codecs, {p.codec for p in profiles}), extra)
    fig.suptitle("Round-trip latency percentiles per codec (pooled per-request timings; log "
                 "scale)")
    return fig


def _p999_mark(ax: Any, profile: analysis_latency.LatencyProfile, labels: list[str],
               colour: str) -> None:
    """p99.9's interval as an error bar, or a hollow marker when it is flagged."""
    label = analysis_latency.PERCENTILE_LABELS["p999_s"]
    if label not in labels:
        return
    x = labels.index(label)
    value = dict(profile.percentiles)[label]
    if profile.p999_low is not None and profile.p999_high is not None:
        ax.errorbar(x, value, yerr=[[value - profile.p999_low], [profile.p999_high - value]],
                    fmt="none", ecolor=colour, elinewidth=0.9, capsize=2.5)
    elif profile.p999_flagged:
        ax.plot([x], [value], marker="o", markersize=5, markerfacecolor="white",
                markeredgecolor=colour, linestyle="")


# -- tails (beyond the report: notebooks) ------------------------------------------------------

def tail_chart(run: Run, colours: Colours, measure: str | None = None) -> Any:
    """p99 / p50 of round-trip latency per codec and payload: how heavy each codec's tail is."""
    measure = measure or analysis_ratios.primary_measure(run)
    tails = [t for t in analysis_latency.tail_ratios(run) if t.measure == measure]
    if not tails:
        return None
    codecs = present(run.codecs, {t.codec for t in tails})
    payloads = [p for p in run.payloads if any(t.payload == p for t in tails)]
    offsets, width = slots(len(codecs))
    by = {(t.codec, t.payload): t for t in tails}
    fig = new_figure(WIDTH, 4.5)
    ax = fig.subplots()
    for g, payload in enumerate(payloads):
        for offset, codec in zip(offsets, codecs, strict=True):
            tail = by.get((codec, payload))
            if tail is not None:
                ax.bar(g + offset, tail.p99_over_p50, width=width * 0.9, color=colours[codec])
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_xticks(range(len(payloads)), payloads)
    ax.grid(axis="x", visible=False)
    ax.set_ylabel("p99 / p50 (1 = no tail)")
    codec_legend(fig, colours, codecs)
    fig.suptitle(f"Tail heaviness: p99 / p50 of {measure_title(str(measure))} latency")
    return fig
