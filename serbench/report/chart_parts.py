"""What every chart shares: the figure width, the colours of marks, and the marks themselves
(a codec without a figure, a lossy one, a suspect cell), the codec legend and the in-axes note
that lists what a panel leaves out.

Each chart function (`chart_ratios`, `chart_latency`, `chart_wire`, `chart_time`) takes a `Run`
and the codec colours and returns a figure, or None when the run has nothing for it;
`chart_files` lists them in report order and saves them. Cells a codec does not round-trip are
never drawn as figures: they appear as a grey `x` with the reason (or their class); cells the
run flagged as suspect are marked in red.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

from serbench.common.vocabulary import EXACT, LOSSY, UNSUPPORTED, WRONG
from serbench.report.analysis_ratios import short_reason
from serbench.report.data import Run
from serbench.report.text import SUSPECT_MARK, TIMES

WIDTH = 10.0
ABSENT = "#8a8a8a"
SUSPECT_COLOUR = "#c0392b"
CROSS = TIMES
FIDELITY_COLOURS = {EXACT: "#a6dba0", LOSSY: "#fee08b", UNSUPPORTED: "#d9d9d9",
                    WRONG: "#f4a582", "": "#ffffff"}

Colours = dict[str, str]


def slots(n: int, width: float = 0.8) -> tuple[list[float], float]:
    """Offsets of n bars around a group's centre, and each bar's width."""
    step = width / max(n, 1)
    return [-width / 2 + step * (i + 0.5) for i in range(n)], step


def absent(ax: Any, x: float, reason: str, y: float | None = None) -> None:
    """A grey `x` with the reason where a codec has no figure: from the bottom of the axes up,
    or (at `y`, a ratio chart's 1.0 line) hanging down from it, where its slot is empty."""
    from matplotlib.transforms import blended_transform_factory

    if y is None:
        transform = blended_transform_factory(ax.transData, ax.transAxes)
        ax.text(x, 0.03, CROSS, ha="center", va="bottom", color=ABSENT, fontsize=9,
                transform=transform)
        ax.annotate(reason, (x, 0.03), xytext=(0, 12), textcoords="offset points",
                    ha="center", va="bottom", rotation=90, fontsize=6.5, color=ABSENT,
                    xycoords=transform)
        return
    ax.text(x, y, CROSS, ha="center", va="center", color=ABSENT, fontsize=9)
    ax.annotate(reason, (x, y), xytext=(0, -8), textcoords="offset points", ha="center",
                va="top", rotation=90, fontsize=6.5, color=ABSENT)


def lossy_mark(ax: Any, x: float, y: float) -> None:
    """Mark a bar whose codec only round-trips the payload after normalisation."""
    ax.annotate(LOSSY, (x, y), xytext=(0, 3), textcoords="offset points", ha="center",
                va="bottom", rotation=90, fontsize=6.5, color="#333333")


def suspect_mark(ax: Any, x: float, y: float) -> None:
    """Mark a bar or point of a cell the run flagged as suspect."""
    ax.annotate(SUSPECT_MARK, (x, y), xytext=(0, 2), textcoords="offset points", ha="center",
                va="bottom", fontsize=9, color=SUSPECT_COLOUR, fontweight="bold")


def suspect_ring(ax: Any, x: float, y: float) -> None:
    """Circle a point of a cell the run flagged as suspect (line charts)."""
    ax.plot([x], [y], marker="o", markersize=9, markerfacecolor="none",
            markeredgecolor=SUSPECT_COLOUR, markeredgewidth=1.5, linestyle="")


def codec_legend(fig: Any, colours: Colours, codecs: Sequence[str], extra: Sequence[Any] = (),
                  ) -> None:
    from matplotlib.patches import Patch

    handles = [*(Patch(facecolor=colours[c], label=c) for c in codecs), *extra]
    fig.legend(handles=handles, loc="outside lower center", ncols=_legend_columns(fig, handles),
               frameon=False)


def _legend_columns(fig: Any, handles: Sequence[Any]) -> int:
    """As many columns as fit the figure's width (at most 7): matplotlib does not wrap a
    legend, and an entry cut off at the edge is lost."""
    per_char, per_entry = 0.062, 0.55  # inches at the legend's 8 pt
    width = fig.get_figwidth() - 0.4
    longest = max((len(h.get_label()) for h in handles), default=0)
    ncols = min(len(handles), 7)
    while ncols > 1 and ncols * (longest * per_char + per_entry) > width:
        ncols -= 1
    return max(ncols, 1)


def present(codecs: Sequence[str], keys: set[str]) -> list[str]:
    return [c for c in codecs if c in keys]


def axes_note(ax: Any, run: Run, measures: Sequence[str], payloads: Sequence[str]) -> None:
    """List, inside the axes, codecs left out of it (and why) and lossy ones."""
    missing, lossy, suspect = [], [], []
    for codec in run.codecs:
        for measure in measures:
            for payload in payloads:
                cell = run.cell(codec, measure, payload)
                if cell is None:
                    continue
                where = f" ({payload})" if len(payloads) > 1 else ""
                if not cell.rankable:
                    missing.append(f"{codec}{where}: {short_reason(cell)}")
                    continue
                if cell.fidelity == LOSSY:
                    lossy.append(f"{codec}{where}")
                if cell.suspect:
                    suspect.append(f"{codec}{where}")
    lines = []
    if suspect:
        lines.append(f"{SUSPECT_MARK} suspect: " + ", ".join(dict.fromkeys(suspect)))
    if missing:
        lines.append("not shown: " + ", ".join(dict.fromkeys(missing)))
    if lossy:
        lines.append("lossy: " + ", ".join(dict.fromkeys(lossy)))
    if lines:
        # Wrapped, and kept out of the layout: a long list of missing codecs must not squeeze
        # the axes (the layout engine would make room for all of it).
        text = "\n".join(textwrap.fill(line, width=70) for line in lines)
        note = ax.text(0.01, 0.97, text, transform=ax.transAxes, ha="left", va="top",
                       fontsize=6.5, color=SUSPECT_COLOUR if suspect else "#555555",
                       clip_on=True,
                       bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none",
                             "pad": 1.5})
        note.set_in_layout(False)
