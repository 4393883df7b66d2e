"""The report's charts, drawn from `analysis` records with matplotlib's object API.

Each chart function takes a `Run` and the codec colours and returns a figure, or None when the
run has nothing for it (no stream scenario, no size sweep, ...); `chart_files` lists them in
report order and saves them. Cells a codec does not round-trip are never drawn as figures: they
appear as a grey `x` with the reason; cells the run flagged as suspect are marked in red.
"""

from __future__ import annotations

import math
from typing import Any

from serbench.common.vocabulary import FLOOR_CODEC, LOSSY, P999_MIN_SAMPLES
from serbench.report import analysis, trust
from serbench.report.chart_parts import (
    FIDELITY_COLOURS,
    SUSPECT_COLOUR,
    WIDTH,
    Colours,
    absent,
    axes_note,
    codec_legend,
    lossy_mark,
    present,
    slots,
    suspect_mark,
    suspect_ring,
)
from serbench.report.data import Run
from serbench.report.prose import drift_line
from serbench.report.style import (
    TRANSPORT_COLOUR,
    new_figure,
    ratio_axis,
    ratio_limits,
    seconds_axis,
    unit_axis,
)
from serbench.report.text import LEVEL, SUSPECT_MARK, TIMES, measure_title, nbytes

# -- 1. round trip relative to the reference --------------------------------------------------

def roundtrip_ratio_chart(run: Run, colours: Colours) -> Any:
    """Round-trip time relative to the reference, per payload and transport, with the run's 95 %
    intervals as error bars (format 2) and hatching where the ratio is not shown to differ
    from 1 (interval includes 1; in format 1, the t-test on values)."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    points = analysis.reference_ratios(run, "roundtrip")
    if run.reference is None or not any(p.ratio for p in points):
        return None
    transports = run.transports("roundtrip")
    fig = new_figure(WIDTH, 1.2 + 3.4 * len(transports))
    axes = fig.subplots(len(transports), 1, squeeze=False)[:, 0]
    codecs = [c for c in run.codecs if any(p.codec == c for p in points)]
    offsets, width = slots(len(codecs))
    for ax, transport in zip(axes, transports, strict=True):
        measure = f"roundtrip/{transport}"
        by = {(p.codec, p.payload): p for p in points if p.measure == measure}
        payloads = [p for p in run.payloads if any((c, p) in by for c in codecs)]
        ratios = [p.ratio for p in by.values() if p.ratio]
        low, high = ratio_limits(min((r.low or r.value for r in ratios), default=1.0),
                                 max((r.high or r.value for r in ratios), default=1.0))
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
                    absent(ax, x, point.reason, y=1.0)
                    continue
                r = point.ratio
                faint = r.significant is False and codec != run.reference
                ax.bar(x, r.value - 1.0, bottom=1.0, width=width * 0.9, color=colours[codec],
                       hatch="////" if faint else None, edgecolor="white" if faint else None,
                       linewidth=0)
                ax.plot([x], [r.value], marker="o", markersize=3, color=colours[codec],
                        markeredgecolor="black", markeredgewidth=0.5)
                top = max(r.high or r.value, 1.0)
                if point.fidelity == LOSSY:
                    lossy_mark(ax, x, top)
                if r.low is not None and r.high is not None:
                    ax.errorbar(x, r.value, yerr=[[r.value - r.low], [r.high - r.value]],
                                fmt="none", ecolor="black", elinewidth=0.8, capsize=2)
                if point.suspect:
                    suspect_mark(ax, x, top)
        ax.axhline(1.0, color="black", linestyle="--", linewidth=1)
        ax.set_xticks(range(len(payloads)), payloads)
        ax.set_xlim(-0.5, len(payloads) - 0.5)
        ax.grid(axis="x", visible=False)
        ax.set_title(f"transport: {transport}")
        ax.set_ylabel(f"time / {run.reference}'s time (log)")
    if run.has_intervals:
        faint_label = f"{LEVEL} interval includes 1"
        whiskers = f"error bars: {LEVEL} intervals, paired by round"
    else:
        faint_label = "not significant (t-test)"
        whiskers = "no intervals: results format 1"
    extra = [Line2D([], [], color="black", linestyle="--", label=f"{run.reference} = 1.0{TIMES}"),
             Patch(facecolor="#999999", hatch="////", edgecolor="white", label=faint_label)]
    if any(p.suspect for p in points):
        extra.append(Line2D([], [], color=SUSPECT_COLOUR, marker=f"${SUSPECT_MARK}$",
                            markersize=8, linestyle="", label="suspect (see the banner)"))
    codec_legend(fig, colours, codecs, extra)
    fig.suptitle(f"Round-trip time relative to {run.reference} (lower is faster; {whiskers})")
    return fig


# -- 2. latency percentiles -------------------------------------------------------------------

def percentile_chart(run: Run, colours: Colours) -> Any:
    """Per payload and transport: p50 ... max of every codec's round trips, log scale; p99.9
    with its interval, or hollow when it comes from too few samples to stand without one."""
    from matplotlib.lines import Line2D

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


def _p999_mark(ax: Any, profile: analysis.LatencyProfile, labels: list[str],
               colour: str) -> None:
    """p99.9's interval as an error bar, or a hollow marker when it is flagged."""
    label = analysis.PERCENTILE_LABELS["p999_s"]
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


# -- 3. streaming throughput ------------------------------------------------------------------

def throughput_chart(run: Run, colours: Colours) -> Any:
    """Messages/s and MB/s (encoded bytes) per codec and payload, per transport."""
    rates = analysis.throughputs(run)
    if not rates:
        return None
    transports = run.transports("stream")
    fig = new_figure(WIDTH, 1.2 + 5.6 * len(transports))
    axes = fig.subplots(2 * len(transports), 1, squeeze=False)[:, 0]
    codecs = present(run.codecs, {r.codec for r in rates})
    offsets, width = slots(len(codecs))
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
                            absent(ax, g + offset, analysis.short_reason(cell))
                        continue
                    value = getattr(rate, what)
                    if value is not None:
                        value = value * 1e6 if what == "mb_per_s" else value
                        ax.bar(g + offset, value, width=width * 0.9, color=colours[codec])
                        if rate.fidelity == LOSSY:
                            lossy_mark(ax, g + offset, value)
                        if rate.suspect:
                            suspect_mark(ax, g + offset, value)
            ax.set_yscale("log")
            unit_axis(ax.yaxis, unit)
            ax.set_xticks(range(len(run.payloads)), run.payloads)
            ax.set_xlim(-0.5, len(run.payloads) - 0.5)
            ax.grid(axis="x", visible=False)
            ax.set_ylabel(label)
            ax.set_title(f"{'messages' if k == 0 else 'bytes'} per second, transport: "
                         f"{transport} (higher is better)")
    codec_legend(fig, colours, codecs)
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
    codecs = present(run.ranked_codecs, {s.codec for s in found})
    offsets, width = slots(len(codecs))
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
                        absent(ax, g + offset, analysis.short_reason(cell))
                    continue
                value = getattr(size, what)
                if value:
                    ax.bar(g + offset, value, width=width * 0.9, color=colours[codec])
                    if size.fidelity == LOSSY:
                        lossy_mark(ax, g + offset, value)
        ax.set_yscale("log")
        unit_axis(ax.yaxis, "B")
        ax.set_xticks(range(len(run.payloads)), run.payloads)
        ax.set_xlim(-0.5, len(run.payloads) - 0.5)
        ax.grid(axis="x", visible=False)
        ax.set_ylabel("bytes per message (log)")
        ax.set_title(f"{title} (lower is smaller)")
    codec_legend(fig, colours, codecs)
    fig.suptitle("Message size: encoded and compressed")
    return fig


# -- 5. where the time goes -------------------------------------------------------------------

def time_split_chart(run: Run, colours: Colours) -> Any:
    """Each round trip as codec work (2 x (encode + decode)) + transport (the null codec's
    round trip at the codec's own encoded size, measured or interpolated: each bar says which)
    + remainder; a black mark at the measured round trip."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator
    from matplotlib.transforms import blended_transform_factory

    splits = analysis.time_splits(run)
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


def _split_label(split: analysis.TimeSplit) -> str:
    """Shares of the round trip, and how its transport figure was obtained, on two lines."""
    how = f"transport {split.transport_how} at {nbytes(split.request_bytes)}"
    if split.reply_bytes != split.request_bytes:
        how += f" / {nbytes(split.reply_bytes)}"
    if split.suspect:
        how = f"{SUSPECT_MARK} suspect · {how}"
    return (f"codec {split.codec_share:.0%} · transport "
            f"{split.transport_s / split.roundtrip_s:.0%} · rest "
            f"{split.remainder_s / split.roundtrip_s:+.0%}\n{how}")


# -- 6. heat map ------------------------------------------------------------------------------

def heatmap_chart(run: Run, colours: Colours) -> Any:
    """Codec x payload speed relative to the reference (colour: log2 of the time ratio), each
    cell with its 95 % interval when the run has one; suspect cells are outlined in red."""
    import numpy as np
    from matplotlib.colors import TwoSlopeNorm
    from matplotlib.patches import Rectangle

    heat = analysis.heatmap(run)
    if heat is None or not any(r for row in heat.ratios for r in row):
        return None
    values = np.array([[math.log2(r.value) if r else np.nan for r in row]
                       for row in heat.ratios])
    bound = max(1.0, min(4.0, float(np.nanmax(np.abs(values)))))
    row_height = 0.62 if run.has_intervals else 0.45
    fig = new_figure(max(7.0, 2.6 + 1.25 * len(heat.payloads)),
                     1.8 + row_height * len(heat.codecs))
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
            if r.low is not None and r.high is not None:
                text += f"\n[{r.low:.2f}, {r.high:.2f}]"
            if note:
                text += f"\n({note})"
            suspect = bool(heat.suspect) and heat.suspect[i][j]
            if suspect:
                text = f"{SUSPECT_MARK} {text}"
                ax.add_patch(Rectangle((j - 0.48, i - 0.46), 0.96, 0.92, fill=False,
                                       edgecolor=SUSPECT_COLOUR, linewidth=2))
            dark = abs(values[i][j]) > bound * 0.6
            ax.text(j, i, text, ha="center", va="center", fontsize=7,
                    color="white" if dark else "black")
    ax.set_xticks(range(len(heat.payloads)), heat.payloads)
    ax.set_yticks(range(len(heat.codecs)), heat.codecs)
    ax.grid(False)
    bar = fig.colorbar(image, ax=ax, shrink=0.9)
    ticks = [t for t in (-4, -3, -2, -1, 0, 1, 2, 3, 4) if -bound <= t <= bound]
    bar.set_ticks(ticks, labels=[f"{2.0 ** t:g}{TIMES}" for t in ticks])
    bar.set_label(f"time relative to {run.reference} (blue: faster)")
    meaning = (f"[{LEVEL} interval]; ≈: interval includes 1" if run.has_intervals
               else "≈: not significant (t-test on values; no intervals in format 1)")
    if any(any(row) for row in heat.suspect):
        meaning += f"; {SUSPECT_MARK}: suspect"
    fig.suptitle(f"Speed relative to {run.reference}, codec {TIMES} payload\n"
                 f"{measure_title(heat.measure)} time ratio; {meaning}")
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


# -- 9. drift across rounds ------------------------------------------------------------------

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


# -- beyond the report ------------------------------------------------------------------------

def tail_chart(run: Run, colours: Colours, measure: str | None = None) -> Any:
    """p99 / p50 of round-trip latency per codec and payload: how heavy each codec's tail is."""
    measure = measure or analysis.primary_measure(run)
    tails = [t for t in analysis.tail_ratios(run) if t.measure == measure]
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
