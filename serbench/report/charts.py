"""The report's charts, drawn from `analysis` records with matplotlib's object API.

Each chart function takes a `Run` and the codec colours and returns a figure, or None when the
run has nothing for it (no stream scenario, no size sweep, ...). `render_charts` saves every
chart as PNG and SVG under `charts/`. Cells a codec does not round-trip are never drawn as
figures: they appear as a grey `x` with the reason.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from serbench.report import analysis
from serbench.report.data import TRANSPORT_FLOOR, Run
from serbench.report.style import (
    TRANSPORT_COLOUR,
    chart_style,
    codec_colours,
    new_figure,
    ratio_axis,
    ratio_limits,
    save,
    seconds_axis,
    unit_axis,
)
from serbench.report.text import TIMES, measure_title

WIDTH = 10.0
ABSENT = "#8a8a8a"
CROSS = TIMES
FIDELITY_COLOURS = {"exact": "#a6dba0", "lossy": "#fee08b", "unsupported": "#d9d9d9",
                    "wrong": "#f4a582", "": "#ffffff"}

Colours = dict[str, str]
ChartFunc = Callable[[Run, Colours], Any]


@dataclass(frozen=True)
class ChartFile:
    """One chart on disk."""

    slug: str
    title: str
    caption: str
    png: Path
    svg: Path


# -- helpers ----------------------------------------------------------------------------------

def _slots(n: int, width: float = 0.8) -> tuple[list[float], float]:
    """Offsets of n bars around a group's centre, and each bar's width."""
    step = width / max(n, 1)
    return [-width / 2 + step * (i + 0.5) for i in range(n)], step


def _absent(ax: Any, x: float, reason: str, y: float | None = None) -> None:
    """A grey `x` with the reason where a codec has no figure."""
    from matplotlib.transforms import blended_transform_factory

    transform = blended_transform_factory(ax.transData, ax.transAxes) if y is None \
        else ax.transData
    base = 0.03 if y is None else y
    ax.text(x, base, CROSS, ha="center", va="bottom", color=ABSENT, fontsize=9,
            transform=transform)
    ax.annotate(reason, (x, base), xytext=(0, 12), textcoords="offset points", ha="center",
                va="bottom", rotation=90, fontsize=6.5, color=ABSENT,
                xycoords=transform)


def _lossy(ax: Any, x: float, y: float) -> None:
    """Mark a bar whose codec only round-trips the payload after normalisation."""
    ax.annotate("lossy", (x, y), xytext=(0, 3), textcoords="offset points", ha="center",
                va="bottom", rotation=90, fontsize=6.5, color="#333333")


def _codec_legend(fig: Any, colours: Colours, codecs: Sequence[str], extra: Sequence[Any] = (),
                  ) -> None:
    from matplotlib.patches import Patch

    handles = [Patch(facecolor=colours[c], label=c) for c in codecs]
    fig.legend(handles=[*handles, *extra], loc="outside lower center",
               ncols=min(len(handles) + len(extra), 7), frameon=False)


def _present(codecs: Sequence[str], keys: set[str]) -> list[str]:
    return [c for c in codecs if c in keys]


def _note(ax: Any, run: Run, measures: Sequence[str], payloads: Sequence[str]) -> None:
    """List, inside the axes, codecs left out of it (and why) and lossy ones."""
    missing, lossy = [], []
    for codec in run.codecs:
        for measure in measures:
            for payload in payloads:
                cell = run.cell(codec, measure, payload)
                if cell is None:
                    continue
                where = f" ({payload})" if len(payloads) > 1 else ""
                if not cell.rankable:
                    missing.append(f"{codec}{where}: {analysis.short_reason(cell)}")
                elif cell.fidelity == "lossy":
                    lossy.append(f"{codec}{where}")
    lines = []
    if missing:
        lines.append("not shown: " + ", ".join(dict.fromkeys(missing)))
    if lossy:
        lines.append("lossy: " + ", ".join(dict.fromkeys(lossy)))
    if lines:
        # Wrapped, and kept out of the layout: a long list of missing codecs must not squeeze
        # the axes (the layout engine would make room for all of it).
        text = "\n".join(textwrap.fill(line, width=70) for line in lines)
        note = ax.text(0.01, 0.97, text, transform=ax.transAxes, ha="left", va="top",
                       fontsize=6.5, color="#555555", clip_on=True,
                       bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none",
                             "pad": 1.5})
        note.set_in_layout(False)


# -- 1. round trip relative to the reference --------------------------------------------------

def roundtrip_ratio_chart(run: Run, colours: Colours) -> Any:
    """Round-trip time relative to the reference, per payload and transport, with error bars
    (propagated std dev) and hatching where the difference is not significant."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    points = analysis.reference_ratios(run, "roundtrip")
    if run.reference is None or not any(p.ratio for p in points):
        return None
    transports = run.transports("roundtrip")
    fig = new_figure(WIDTH, 1.2 + 3.4 * len(transports))
    axes = fig.subplots(len(transports), 1, squeeze=False)[:, 0]
    codecs = [c for c in run.codecs if any(p.codec == c for p in points)]
    offsets, width = _slots(len(codecs))
    for ax, transport in zip(axes, transports, strict=True):
        measure = f"roundtrip/{transport}"
        by = {(p.codec, p.payload): p for p in points if p.measure == measure}
        payloads = [p for p in run.payloads if any((c, p) in by for c in codecs)]
        lows = [p.ratio.value - min(p.ratio.error or 0, 0.9 * p.ratio.value)
                for p in by.values() if p.ratio] or [1.0]
        highs = [p.ratio.value + (p.ratio.error or 0) for p in by.values() if p.ratio] or [1.0]
        low, high = ratio_limits(min(lows), max(highs))
        ax.set_yscale("log")
        ax.set_ylim(low, high)
        ratio_axis(ax.yaxis, low, high)
        for g, payload in enumerate(payloads):
            for offset, codec in zip(offsets, codecs, strict=True):
                point = by.get((codec, payload))
                x = g + offset
                if point is None:
                    continue
                if point.ratio is None:
                    _absent(ax, x, point.reason, y=1.0)
                    continue
                r = point.ratio
                faint = r.significant is False and codec != run.reference
                ax.bar(x, r.value - 1.0, bottom=1.0, width=width * 0.9, color=colours[codec],
                       hatch="////" if faint else None, edgecolor="white" if faint else None,
                       linewidth=0)
                ax.plot([x], [r.value], marker="o", markersize=3, color=colours[codec],
                        markeredgecolor="black", markeredgewidth=0.5)
                if point.fidelity == "lossy":
                    _lossy(ax, x, max(r.value + (r.error or 0), 1.0))
                if r.error:
                    ax.errorbar(x, r.value, yerr=[[min(r.error, r.value * 0.9)], [r.error]],
                                fmt="none", ecolor="black", elinewidth=0.8, capsize=2)
        ax.axhline(1.0, color="black", linestyle="--", linewidth=1)
        ax.set_xticks(range(len(payloads)), payloads)
        ax.set_xlim(-0.5, len(payloads) - 0.5)
        ax.grid(axis="x", visible=False)
        ax.set_title(f"transport: {transport}")
        ax.set_ylabel(f"time / {run.reference}'s time (log)")
    extra = [Line2D([], [], color="black", linestyle="--", label=f"{run.reference} = 1.0{TIMES}"),
             Patch(facecolor="#999999", hatch="////", edgecolor="white",
                   label="not significant (t-test)")]
    _codec_legend(fig, colours, codecs, extra)
    fig.suptitle(f"Round-trip time relative to {run.reference} (mean ± std dev; lower is "
                 "faster)")
    return fig


# -- 2. latency percentiles -------------------------------------------------------------------

def percentile_chart(run: Run, colours: Colours) -> Any:
    """Per payload and transport: p50 ... max of every codec's round trips, log scale."""
    profiles = analysis.latency_profiles(run)
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
                        linestyle=":" if codec == TRANSPORT_FLOOR else "-")
            ax.set_yscale("log")
            seconds_axis(ax.yaxis)
            ax.set_xticks(range(len(labels)), labels)
            ax.set_title(f"{payload} ({transport})")
            if col == 0:
                ax.set_ylabel("latency per request (log)")
            _note(ax, run, [measure], [payload])
    _codec_legend(fig, colours, _present(run.codecs, {p.codec for p in profiles}))
    fig.suptitle("Round-trip latency percentiles per codec (pooled per-request timings; log "
                 "scale)")
    return fig


# -- 3. streaming throughput ------------------------------------------------------------------

def throughput_chart(run: Run, colours: Colours) -> Any:
    """Messages/s and MB/s (encoded bytes) per codec and payload, per transport."""
    rates = analysis.throughputs(run)
    if not rates:
        return None
    transports = run.transports("stream")
    fig = new_figure(WIDTH, 1.2 + 5.6 * len(transports))
    axes = fig.subplots(2 * len(transports), 1, squeeze=False)[:, 0]
    codecs = _present(run.codecs, {r.codec for r in rates})
    offsets, width = _slots(len(codecs))
    by = {(r.codec, r.payload, r.measure): r for r in rates}
    for t, transport in enumerate(transports):
        measure = f"stream/{transport}"
        for k, (what, unit, label) in enumerate((
                ("msgs_per_s", "msg/s", "messages per second (log)"),
                ("mb_per_s", "B/s", "bytes per second on the wire (log)"))):
            ax = axes[2 * t + k]
            for g, payload in enumerate(run.payloads):
                for offset, codec in zip(offsets, codecs, strict=True):
                    rate = by.get((codec, payload, measure))
                    if rate is None:
                        cell = run.cell(codec, measure, payload)
                        if cell is not None:
                            _absent(ax, g + offset, analysis.short_reason(cell))
                        continue
                    value = getattr(rate, what)
                    if value is not None:
                        value = value * 1e6 if what == "mb_per_s" else value
                        ax.bar(g + offset, value, width=width * 0.9, color=colours[codec])
                        if rate.fidelity == "lossy":
                            _lossy(ax, g + offset, value)
            ax.set_yscale("log")
            unit_axis(ax.yaxis, unit)
            ax.set_xticks(range(len(run.payloads)), run.payloads)
            ax.set_xlim(-0.5, len(run.payloads) - 0.5)
            ax.grid(axis="x", visible=False)
            ax.set_ylabel(label)
            ax.set_title(f"{'messages' if k == 0 else 'bytes'} per second, transport: "
                         f"{transport} (higher is better)")
    _codec_legend(fig, colours, codecs)
    fig.suptitle("Streaming throughput: frames sent back to back, decoded by the server")
    return fig


# -- 4. sizes ---------------------------------------------------------------------------------

def size_chart(run: Run, colours: Colours) -> Any:
    """Encoded and zlib-compressed bytes per message, per codec and payload."""
    found = analysis.sizes(run)
    if not found:
        return None
    fig = new_figure(WIDTH, 7.0)
    axes = fig.subplots(2, 1, squeeze=False)[:, 0]
    codecs = _present(run.ranked_codecs, {s.codec for s in found})
    offsets, width = _slots(len(codecs))
    by = {(s.codec, s.payload): s for s in found}
    for ax, (what, title) in zip(axes, (("encoded_bytes", "encoded size"),
                                        ("zlib_bytes", "size after zlib (level 6)")),
                                 strict=True):
        for g, payload in enumerate(run.payloads):
            for offset, codec in zip(offsets, codecs, strict=True):
                size = by.get((codec, payload))
                if size is None:
                    cell = run.payload_cell(codec, payload)
                    if cell is not None:
                        _absent(ax, g + offset, analysis.short_reason(cell))
                    continue
                value = getattr(size, what)
                if value:
                    ax.bar(g + offset, value, width=width * 0.9, color=colours[codec])
                    if size.fidelity == "lossy":
                        _lossy(ax, g + offset, value)
        ax.set_yscale("log")
        unit_axis(ax.yaxis, "B")
        ax.set_xticks(range(len(run.payloads)), run.payloads)
        ax.set_xlim(-0.5, len(run.payloads) - 0.5)
        ax.grid(axis="x", visible=False)
        ax.set_ylabel("bytes per message (log)")
        ax.set_title(f"{title} (lower is smaller)")
    _codec_legend(fig, colours, codecs)
    fig.suptitle("Message size: encoded and compressed")
    return fig


# -- 5. where the time goes -------------------------------------------------------------------

def time_split_chart(run: Run, colours: Colours) -> Any:
    """Each round trip as codec work (2 x (encode + decode)) + transport (the null codec's
    round trip) + remainder; a black mark at the measured round trip."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    splits = analysis.time_splits(run)
    if not splits:
        return None
    transports = [t for t in run.transports("roundtrip") if any(s.transport == t for s in splits)]
    payloads = [p for p in run.payloads if any(s.payload == p for s in splits)]
    codecs = _present(run.ranked_codecs, {s.codec for s in splits})
    fig = new_figure(WIDTH, 1.4 + (0.8 + 0.32 * len(codecs)) * len(payloads))
    axes = fig.subplots(len(payloads), len(transports), squeeze=False)
    by = {(s.codec, s.payload, s.transport): s for s in splits}
    for row, payload in enumerate(payloads):
        for col, transport in enumerate(transports):
            ax = axes[row][col]
            shown = [c for c in codecs if (c, payload, transport) in by]
            for y, codec in enumerate(shown):
                s = by[codec, payload, transport]
                ax.barh(y, s.codec_s, color=colours[codec], height=0.7)
                ax.barh(y, s.transport_s, left=s.codec_s, color=TRANSPORT_COLOUR, height=0.7)
                if s.remainder_s > 0:
                    ax.barh(y, s.remainder_s, left=s.codec_s + s.transport_s, color="white",
                            edgecolor="#777777", hatch="....", linewidth=0.5, height=0.7)
                ax.plot([s.roundtrip_s], [y], marker="D", color="black", markersize=4)
                end = max(s.roundtrip_s, s.codec_s + s.transport_s)
                ax.text(end, y, f"  codec {s.codec_share:.0%} · transport "
                        f"{s.transport_s / s.roundtrip_s:.0%} · rest "
                        f"{s.remainder_s / s.roundtrip_s:+.0%}", va="center", fontsize=6.5)
            ax.set_yticks(range(len(shown)), [
                c + (" (lossy)" if by[c, payload, transport].fidelity == "lossy" else "")
                for c in shown])
            ax.set_ylim(len(shown) - 0.5, -0.5)
            seconds_axis(ax.xaxis)
            ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
            ax.set_xlim(0, max(max(s.roundtrip_s, s.codec_s + s.transport_s) for s in
                               (by[c, payload, transport] for c in shown)) * 1.7)
            ax.grid(axis="y", visible=False)
            ax.set_title(f"{payload} ({transport})")
            if row == len(payloads) - 1:
                ax.set_xlabel("time per round trip")
    legend = [Patch(facecolor="#777777",
                    label=f"codec work (in the codec's colour): 2 {TIMES} (encode + decode)"),
              Patch(facecolor=TRANSPORT_COLOUR, label="transport: null codec's round trip"),
              Patch(facecolor="white", edgecolor="#777777", hatch="....",
                    label="remainder (not explained by either)"),
              Line2D([], [], marker="D", color="black", linestyle="", markersize=4,
                     label="measured round trip")]
    fig.legend(handles=legend, loc="outside lower center", ncols=2, frameon=False)
    fig.suptitle("Where the time goes: codec work vs transport in each round trip")
    return fig


# -- 6. heat map ------------------------------------------------------------------------------

def heatmap_chart(run: Run, colours: Colours) -> Any:
    """Codec x payload speed relative to the reference (colour: log2 of the time ratio)."""
    import numpy as np
    from matplotlib.colors import TwoSlopeNorm

    heat = analysis.heatmap(run)
    if heat is None or not any(r for row in heat.ratios for r in row):
        return None
    values = np.array([[math.log2(r.value) if r else np.nan for r in row]
                       for row in heat.ratios])
    bound = max(1.0, min(4.0, float(np.nanmax(np.abs(values)))))
    fig = new_figure(max(7.0, 2.6 + 1.25 * len(heat.payloads)), 1.8 + 0.45 * len(heat.codecs))
    ax = fig.subplots()
    cmap = _colormap("RdBu_r", bad="#d4d4d4")
    image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, aspect="auto",
                      norm=TwoSlopeNorm(0.0, -bound, bound))
    for i, codec in enumerate(heat.codecs):
        for j in range(len(heat.payloads)):
            r, note = heat.ratios[i][j], heat.notes[i][j]
            if r is None:
                ax.text(j, i, note, ha="center", va="center", fontsize=7, color="#666666")
                continue
            text = f"{r.value:.2f}{TIMES}" + (" ≈" if r.significant is False
                                         and codec != run.reference else "")
            if note:
                text += f"\n({note})"
            dark = abs(values[i][j]) > bound * 0.6
            ax.text(j, i, text, ha="center", va="center", fontsize=7.5,
                    color="white" if dark else "black")
    ax.set_xticks(range(len(heat.payloads)), heat.payloads)
    ax.set_yticks(range(len(heat.codecs)), heat.codecs)
    ax.grid(False)
    bar = fig.colorbar(image, ax=ax, shrink=0.9)
    ticks = [t for t in (-4, -3, -2, -1, 0, 1, 2, 3, 4) if -bound <= t <= bound]
    bar.set_ticks(ticks, labels=[f"{2.0 ** t:g}{TIMES}" for t in ticks])
    bar.set_label(f"time relative to {run.reference} (blue: faster)")
    fig.suptitle(f"Speed relative to {run.reference}, codec {TIMES} payload\n"
                 f"{measure_title(heat.measure)} time ratio; ≈: not significant")
    return fig


def _colormap(name: str, bad: str) -> Any:
    import matplotlib

    return matplotlib.colormaps[name].with_extremes(bad=bad)


# -- 7. fidelity ------------------------------------------------------------------------------

def fidelity_chart(run: Run, colours: Colours) -> Any:
    """The fidelity class of every codec x payload."""
    import numpy as np
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    grid = analysis.fidelity_grid(run)
    if not grid.codecs or not grid.payloads:
        return None
    names = list(FIDELITY_COLOURS)
    index = np.array([[names.index(c) if c in names else names.index("") for c in row]
                      for row in grid.classes])
    fig = new_figure(max(7.0, 2.6 + 1.25 * len(grid.payloads)), 2.0 + 0.45 * len(grid.codecs))
    ax = fig.subplots()
    ax.imshow(index, cmap=ListedColormap([FIDELITY_COLOURS[n] for n in names]), aspect="auto",
              vmin=-0.5, vmax=len(names) - 0.5)
    for i in range(len(grid.codecs)):
        for j in range(len(grid.payloads)):
            ax.text(j, i, grid.classes[i][j] or "not run", ha="center", va="center", fontsize=7.5,
                    color="black")
    ax.set_xticks(range(len(grid.payloads)), grid.payloads)
    ax.set_yticks(range(len(grid.codecs)), grid.codecs)
    ax.grid(False)
    fig.legend(handles=[Patch(facecolor=FIDELITY_COLOURS[n], edgecolor="#999999", label=n)
                        for n in names if n], loc="outside lower center", ncols=4, frameon=False)
    fig.suptitle("Fidelity: does each codec give each payload back?\n"
                 "only exact and lossy cells are timed and ranked")
    return fig


# -- 8. size sweep ----------------------------------------------------------------------------

def sweep_chart(run: Run, colours: Colours, sweep: analysis.Sweep) -> Any:
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
                    linestyle=":" if series.codec == TRANSPORT_FLOOR else "-")
        ax.set_xscale("log")
        ax.set_yscale("log")
        unit_axis(ax.xaxis, "B")
        seconds_axis(ax.yaxis)
        ax.set_title(measure_title(measure))
        _note(ax, run, [measure], sweep.payloads)
        ax.set_xlabel(f"payload size ({sweep.name}, as pickle bytes; log)")
        ax.set_ylabel("mean time per call (log)")
    for ax in axes[len(measures):]:
        ax.set_visible(False)
    _codec_legend(fig, colours, _present(run.codecs, {s.codec for s in sweep.series}))
    fig.suptitle(f"Time against payload size: {sweep.name} at {len(sweep.payloads)} sizes "
                 "(log-log)")
    return fig


# -- beyond the report ------------------------------------------------------------------------

def tail_chart(run: Run, colours: Colours, measure: str | None = None) -> Any:
    """p99 / p50 of round-trip latency per codec and payload: how heavy each codec's tail is."""
    measure = measure or analysis.primary_measure(run)
    tails = [t for t in analysis.tail_ratios(run) if t.measure == measure]
    if not tails:
        return None
    codecs = _present(run.codecs, {t.codec for t in tails})
    payloads = [p for p in run.payloads if any(t.payload == p for t in tails)]
    offsets, width = _slots(len(codecs))
    by = {(t.codec, t.payload): t for t in tails}
    fig = new_figure(WIDTH, 4.5)
    ax = fig.subplots()
    for g, payload in enumerate(payloads):
        for offset, codec in zip(offsets, codecs, strict=True):
            tail = by.get((codec, payload))
            if tail is not None:
                ax.bar(g + offset, tail.ratio, width=width * 0.9, color=colours[codec])
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_xticks(range(len(payloads)), payloads)
    ax.grid(axis="x", visible=False)
    ax.set_ylabel("p99 / p50 (1 = no tail)")
    _codec_legend(fig, colours, codecs)
    fig.suptitle(f"Tail heaviness: p99 / p50 of {measure_title(str(measure))} latency")
    return fig


# -- rendering --------------------------------------------------------------------------------

#: slug, title, caption, function, in report order.
CHARTS: tuple[tuple[str, str, str, ChartFunc], ...] = (
    ("roundtrip-ratio", "Round trip relative to pickle",
     "Mean round-trip time of each codec divided by pickle's, per payload and transport; "
     "error bars are one propagated standard deviation; hatched bars are not significantly "
     f"different from pickle; {TIMES} marks a codec that does not round-trip the payload. "
     "The grey null bars are the transport alone (pickle's bytes, nothing encoded): the floor.",
     roundtrip_ratio_chart),
    ("latency-percentiles", "Latency percentiles",
     "p50, p90, p99, p99.9 and max of per-request round-trip latency, pooled over every "
     "worker process (log scale). The dotted line is the null codec: the transport alone.",
     percentile_chart),
    ("throughput", "Streaming throughput",
     "Messages per second and bytes per second on the wire (each codec's own encoded size) "
     "when frames are sent back to back.", throughput_chart),
    ("sizes", "Encoded and compressed size",
     "Bytes of one encoded message, and after zlib at its default level.", size_chart),
    ("time-split", "Where the time goes",
     "Each round trip split into codec work (two encodes and two decodes, from the in-process "
     "figures), transport (the null codec's round trip of the same payload, which ships "
     "pickle's bytes) and the remainder. A negative remainder means the parts overlap or the "
     "in-process figures overstate the work; it is shown, not hidden.", time_split_chart),
    ("heatmap", f"Codec {TIMES} payload heat map",
     "Round-trip time relative to pickle for every codec and payload; grey cells have no "
     "figure and say why.", heatmap_chart),
    ("fidelity", "Fidelity matrix",
     "Whether each codec gives each payload back: exact, lossy (equal after a documented "
     "normalisation), unsupported or wrong. Only exact and lossy cells are timed.",
     fidelity_chart),
)


def figures(run: Run) -> list[tuple[str, str, str, Any]]:
    """(slug, title, caption, figure) of every chart the run has data for, in report order."""
    colours = codec_colours(run.codecs)
    out = []
    for slug, title, caption, func in CHARTS:
        fig = func(run, colours)
        if fig is not None:
            out.append((slug, title, caption, fig))
    for sweep in analysis.size_sweeps(run):
        out.append((f"size-sweep-{_slug(sweep.name)}", f"Size sweep: {sweep.name}",
                    f"Mean time per call against the size of the {sweep.name} payload "
                    f"({', '.join(sweep.payloads)}), log-log, one line per codec.",
                    sweep_chart(run, colours, sweep)))
    return out


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in text)


def render_charts(run: Run, charts_dir: Path) -> list[ChartFile]:
    """Draw and save every chart as PNG and SVG under `charts_dir`."""
    out = []
    with chart_style():
        for slug, title, caption, fig in figures(run):
            png, svg = charts_dir / f"{slug}.png", charts_dir / f"{slug}.svg"
            save(fig, png, svg)
            fig.clear()
            out.append(ChartFile(slug, title, caption, png, svg))
    return out
