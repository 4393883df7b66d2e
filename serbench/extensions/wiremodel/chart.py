"""The winner map as a PNG: per payload, the bandwidth x RTT plane coloured by the codec the
model predicts fastest, round trip on the left and stream throughput on the right."""

from __future__ import annotations

import itertools
import re
import textwrap
from pathlib import Path
from typing import Any

from serbench.extensions.wiremodel.winners import WinnerMap
from serbench.report.chart_parts import WIDTH, codec_legend
from serbench.report.style import chart_style, codec_colours, log_axis, new_figure, png_bytes
from serbench.results.files import atomic_write


def chart_path(directory: Path, payload: str) -> Path:
    """Where the chart of `payload` goes: `wiremodel-<payload>.png` in the results directory."""
    return directory / f"wiremodel-{re.sub(r'[^A-Za-z0-9._-]+', '_', payload)}.png"


def draw(winners: WinnerMap, note: str = "") -> Any:
    """A figure of both panels; `note` (the run, the pin mode) goes under the title."""
    import numpy as np
    from matplotlib.colors import ListedColormap

    colours = codec_colours(winners.codecs)
    cmap = ListedColormap([colours[c] for c in winners.codecs])
    fig = new_figure(WIDTH, 4.8)
    axes = fig.subplots(1, 2, sharey=True)
    edges_x = _edges(winners.bandwidths)
    edges_y = _edges(winners.rtts)
    panels = (("round trip: lowest predicted time", winners.roundtrip),
              ("stream: most predicted messages/s", winners.stream))
    for ax, (title, grid) in zip(axes, panels, strict=True):
        ax.pcolormesh(edges_x, edges_y, np.array(grid), cmap=cmap, vmin=-0.5,
                      vmax=len(winners.codecs) - 0.5, shading="flat", rasterized=True)
        ax.set_xscale("log")
        ax.set_yscale("log")
        log_axis(ax.xaxis, "bit/s")
        log_axis(ax.yaxis, "s")
        ax.grid(visible=True, which="major", color="white", alpha=0.5)
        ax.set_title(title)
        ax.set_xlabel("link bandwidth")
    axes[0].set_ylabel("round-trip time (RTT)")
    codec_legend(fig, colours, winners.winners())
    losers = [c for c in winners.codecs if c not in winners.winners()]
    subtitle = f"ranked: {len(winners.codecs)} codecs"
    if losers:
        subtitle += "; never fastest: " + ", ".join(losers)
    details = textwrap.fill(f"{note}{'; ' if note else ''}{subtitle}", width=120)
    fig.suptitle(f"Wire model, {winners.payload}: which codec is fastest where "
                 f"(predicted, not measured)\n{details}", fontsize=10)
    return fig


def _edges(centres: tuple[float, ...]) -> list[float]:
    """Cell edges around log-spaced centres (geometric midpoints, extended at both ends)."""
    if len(centres) == 1:
        return [centres[0] / 1.5, centres[0] * 1.5]
    mids = [(a * b) ** 0.5 for a, b in itertools.pairwise(centres)]
    return [centres[0] ** 2 / mids[0], *mids, centres[-1] ** 2 / mids[-1]]


def write_chart(winners: WinnerMap, directory: Path, note: str = "") -> Path:
    """Draw and save the winner map of one payload as PNG (atomically); returns its path."""
    path = chart_path(directory, winners.payload)
    with chart_style():
        fig = draw(winners, note)
        data = png_bytes(fig)
    atomic_write(path, lambda out: out.write(data))
    return path
