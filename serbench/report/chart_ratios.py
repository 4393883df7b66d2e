"""The charts that set codecs against the reference: round-trip time relative to it, the codec x
payload heat map of those ratios, and the fidelity matrix (from `analysis_ratios`)."""

from __future__ import annotations

import math
from typing import Any

from serbench.common.vocabulary import LOSSY
from serbench.report import analysis_ratios
from serbench.report.basis import basis
from serbench.report.chart_parts import (
    FIDELITY_COLOURS,
    SUSPECT_COLOUR,
    WIDTH,
    Colours,
    absent,
    codec_legend,
    lossy_mark,
    slots,
    suspect_mark,
)
from serbench.report.data import Run
from serbench.report.style import (
    new_figure,
    ratio_axis,
    ratio_limits,
)
from serbench.report.text import SUSPECT_MARK, TIMES, measure_title

# -- round trip relative to the reference ------------------------------------------------------

def roundtrip_ratio_chart(run: Run, colours: Colours) -> Any:
    """Round-trip time relative to the reference, per payload and transport, with the run's 95 %
    intervals as error bars (when it has them) and hatching where the ratio is not shown to
    differ from 1 (interval includes 1; in a run without intervals, the t-test on values)."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    points = analysis_ratios.reference_ratios(run, "roundtrip")
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
    words = basis(run.environment)
    extra = [Line2D([], [], color="black", linestyle="--", label=f"{run.reference} = 1.0{TIMES}"),
             Patch(facecolor="#999999", hatch="////", edgecolor="white", label=words.faint_label)]
    if any(p.suspect for p in points):
        extra.append(Line2D([], [], color=SUSPECT_COLOUR, marker=f"${SUSPECT_MARK}$",
                            markersize=8, linestyle="", label="suspect (see the banner)"))
    codec_legend(fig, colours, codecs, extra)
    fig.suptitle(f"Round-trip time relative to {run.reference} (lower is faster; {words.whiskers})")
    return fig


# -- heat map ----------------------------------------------------------------------------------

def heatmap_chart(run: Run, colours: Colours) -> Any:
    """Codec x payload speed relative to the reference (colour: log2 of the time ratio), each
    cell with its 95 % interval when the run has one; suspect cells are outlined in red."""
    import numpy as np
    from matplotlib.colors import TwoSlopeNorm
    from matplotlib.patches import Rectangle

    heat = analysis_ratios.heatmap(run)
    if heat is None or not any(r for row in heat.ratios for r in row):
        return None
    values = np.array([[math.log2(r.value) if r else np.nan for r in row]
                       for row in heat.ratios])
    bound = max(1.0, min(4.0, float(np.nanmax(np.abs(values)))))
    words = basis(run.environment)
    row_height = 0.62 if words.intervals else 0.45  # room for the interval line
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
    meaning = words.heatmap_meaning
    if any(any(row) for row in heat.suspect):
        meaning += f"; {SUSPECT_MARK}: suspect"
    fig.suptitle(f"Speed relative to {run.reference}, codec {TIMES} payload\n"
                 f"{measure_title(heat.measure)} time ratio; {meaning}")
    return fig


def _colormap(name: str, bad: str) -> Any:
    import matplotlib

    return matplotlib.colormaps[name].with_extremes(bad=bad)


# -- fidelity ----------------------------------------------------------------------------------

def fidelity_chart(run: Run, colours: Colours) -> Any:
    """The fidelity class of every codec x payload."""
    import numpy as np
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    grid = analysis_ratios.fidelity_grid(run)
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
