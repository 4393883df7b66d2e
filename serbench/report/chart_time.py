"""The charts of where the time goes: each round trip split into codec work, transport and
remainder; time against payload size; and the reference codec's drift across rounds (from
`analysis_time` and `trust`)."""

from __future__ import annotations

import math
from typing import Any

from serbench.common.vocabulary import FLOOR_CODEC, LOSSY
from serbench.report import analysis_time, trust
from serbench.report.chart_parts import (
    SUSPECT_COLOUR,
    WIDTH,
    Colours,
    axes_note,
    codec_legend,
    present,
    suspect_ring,
)
from serbench.report.data import Run
from serbench.report.prose import drift_line
from serbench.report.style import (
    TRANSPORT_COLOUR,
    new_figure,
    seconds_axis,
    unit_axis,
)
from serbench.report.text import SUSPECT_MARK, TIMES, measure_title, nbytes

# -- where the time goes -----------------------------------------------------------------------

def time_split_chart(run: Run, colours: Colours) -> Any:
    """Each round trip as codec work (2 x (encode + decode)) + transport (the null codec's
    round trip at the codec's own encoded size, measured or interpolated: each bar says which)
    + remainder; a black mark at the measured round trip."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator
    from matplotlib.transforms import blended_transform_factory

    splits = analysis_time.time_splits(run)
    if not splits:
        return None
    transports = [t for t in run.transports("roundtrip") if any(s.transport == t for s in splits)]
    payloads = [p for p in run.payloads if any(s.payload == p for s in splits)]
    codecs = present(run.ranked_codecs, {s.codec for s in splits})
    fig = new_figure(WIDTH, 1.4 + (0.8 + 0.32 * len(codecs)) * len(payloads))
    axes = fig.subplots(len(payloads), len(transports), squeeze=False)
    by = {(s.codec, s.payload, s.transport): s for s in splits}
    for row, payload in enumerate(payloads):
        for col, transport in enumerate(transports):
            ax = axes[row][col]
            label_at = blended_transform_factory(ax.transAxes, ax.transData)
            shown = [c for c in codecs if (c, payload, transport) in by]
            for y, codec in enumerate(shown):
                s = by[codec, payload, transport]
                ax.barh(y, s.codec_s, color=colours[codec], height=0.7)
                ax.barh(y, s.transport_s, left=s.codec_s, color=TRANSPORT_COLOUR, height=0.7)
                if s.remainder_s > 0:
                    ax.barh(y, s.remainder_s, left=s.codec_s + s.transport_s, color="white",
                            edgecolor="#777777", hatch="....", linewidth=0.5, height=0.7)
                ax.plot([s.roundtrip_s], [y], marker="D", color="black", markersize=4)
                ax.text(0.99, y, _split_label(s), transform=label_at, ha="right",
                        va="center", fontsize=6.5, linespacing=1.1,
                        color=SUSPECT_COLOUR if s.suspect else "black")
            ax.set_yticks(range(len(shown)), [
                c + (" (lossy)" if by[c, payload, transport].fidelity == LOSSY else "")
                for c in shown])
            ax.set_ylim(len(shown) - 0.5, -0.5)
            seconds_axis(ax.xaxis)
            ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
            ax.set_xlim(0, max(max(s.roundtrip_s, s.codec_s + s.transport_s) for s in
                               (by[c, payload, transport] for c in shown)) * 2.6)
            ax.grid(axis="y", visible=False)
            ax.set_title(f"{payload} ({transport})")
            if row == len(payloads) - 1:
                ax.set_xlabel("time per round trip")
    legend = [Patch(facecolor="#777777",
                    label=f"codec work (in the codec's colour): 2 {TIMES} (encode + decode)"),
              Patch(facecolor=TRANSPORT_COLOUR,
                    label="transport: null codec's round trip at the codec's own frame sizes "
                          "(measured, or log-log interpolated between payload sizes)"),
              Patch(facecolor="white", edgecolor="#777777", hatch="....",
                    label="remainder (not explained by either)"),
              Line2D([], [], marker="D", color="black", linestyle="", markersize=4,
                     label="measured round trip")]
    fig.legend(handles=legend, loc="outside lower center", ncols=1, frameon=False)
    fig.suptitle("Where the time goes: codec work vs transport in each round trip")
    return fig


def _split_label(split: analysis_time.TimeSplit) -> str:
    """Shares of the round trip, and how its transport figure was obtained, on two lines."""
    how = f"transport {split.transport_how} at {nbytes(split.request_bytes)}"
    if split.reply_bytes != split.request_bytes:
        how += f" / {nbytes(split.reply_bytes)}"
    if split.suspect:
        how = f"{SUSPECT_MARK} suspect · {how}"
    return (f"codec {split.codec_share:.0%} · transport "
            f"{split.transport_s / split.roundtrip_s:.0%} · rest "
            f"{split.remainder_s / split.roundtrip_s:+.0%}\n{how}")


# -- size sweep --------------------------------------------------------------------------------

def sweep_chart(run: Run, colours: Colours, sweep: analysis_time.Sweep) -> Any:
    """Time per call against payload size, log-log, one line per codec, one panel a measure."""
    measures = list(dict.fromkeys(s.measure for s in sweep.series))
    cols = min(2, len(measures))
    rows = math.ceil(len(measures) / cols)
    fig = new_figure(WIDTH, 1.4 + 3.6 * rows)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, measure in zip(axes, measures, strict=False):
        for series in sweep.series:
            if series.measure != measure:
                continue
            xs, ys = zip(*series.points, strict=True)
            ax.plot(xs, ys, marker="o", markersize=3.5, color=colours[series.codec],
                    label=series.codec,
                    linestyle=":" if series.codec == FLOOR_CODEC else "-")
            for (x, y), flagged in zip(series.points, series.suspect, strict=False):
                if flagged:
                    suspect_ring(ax, x, y)
        ax.set_xscale("log")
        ax.set_yscale("log")
        unit_axis(ax.xaxis, "B")
        seconds_axis(ax.yaxis)
        ax.set_title(measure_title(measure))
        axes_note(ax, run, [measure], sweep.payloads)
        ax.set_xlabel(f"payload size ({sweep.name}, as pickle bytes; log)")
        ax.set_ylabel("mean time per call (log)")
    for ax in axes[len(measures):]:
        ax.set_visible(False)
    codec_legend(fig, colours, present(run.codecs, {s.codec for s in sweep.series}))
    fig.suptitle(f"Time against payload size: {sweep.name} at {len(sweep.payloads)} sizes "
                 "(log-log)")
    return fig


# -- drift across rounds -----------------------------------------------------------------------

def drift_chart(run: Run, colours: Colours) -> Any:
    """The reference codec's time per round relative to round 1 (environment `drift`): how
    much the machine moved while the run measured; None with fewer than two rounds."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    found = trust.drift(run.environment)
    if found is None or len(found.measured) < 2:
        return None
    fig = new_figure(WIDTH, 3.6)
    ax = fig.subplots()
    colour = colours.get(found.reference, "#3b3b3b")
    ax.plot(range(1, len(found.per_round) + 1), found.per_round, marker="o", markersize=4,
            color=colour, label=found.reference)  # NaN rounds leave a gap
    ax.axhline(1.0, color="black", linestyle="--", linewidth=1)
    low, high = found.spread
    room = max(0.01, (high - low) * 0.25)
    ax.set_ylim(min(low, 1.0) - room, max(high, 1.0) + room)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v - 1:+.1%}"))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("round")
    ax.set_ylabel("time relative to round 1")
    ax.set_title(drift_line(found), fontsize=8.5)
    fig.suptitle(f"Drift: {found.reference}'s time per round, relative to round 1 "
                 "(geometric mean over its cells)")
    return fig
