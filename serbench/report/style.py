"""How charts look and are saved: one colour per codec in every chart, axis formatters, and
byte-stable PNG/SVG output (no dates, fixed SVG ids), written atomically.

Figures are `matplotlib.figure.Figure` objects rendered by the Agg (PNG) and SVG canvases;
pyplot is never imported, so no figure is registered anywhere and none outlives its chart.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from serbench.common.vocabulary import FLOOR_CODEC, REFERENCE_CODEC
from serbench.report.text import TIMES
from serbench.results.files import atomic_write

#: Built-in codecs keep their colour from run to run.
FIXED_COLOURS = {
    REFERENCE_CODEC: "#3b3b3b",
    "pickle-oob": "#8c564b",
    "cloudpickle": "#e377c2",
    "msgpack": "#1f77b4",
    "cbor2": "#ff7f0e",
    "orjson": "#2ca02c",
    "json": "#98df8a",
    "msgspec-msgpack": "#17becf",
    "msgspec-json": "#bcbd22",
    "pickle+zstd": "#9467bd",
    "msgpack+lz4": "#aec7e8",
    FLOOR_CODEC: "#b5b5b5",
}
#: Other codecs (third-party, compressed variants) take these in name order.
EXTRA_COLOURS = ("#d62728", "#c5b0d5", "#ffbb78", "#c49c94", "#f7b6d2", "#dbdb8d", "#9edae5",
                 "#ff9896", "#7f7f7f", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173")
TRANSPORT_COLOUR = "#d9d9d9"
PNG_DPI = 100
RC = {
    "svg.hashsalt": "serbench",      # stable ids in SVG files
    "svg.fonttype": "path",          # text as paths: the SVG renders the same without fonts
    "font.family": "DejaVu Sans",    # shipped with matplotlib: same glyphs on every machine
    "font.size": 9.0,
    "axes.titlesize": 10.0,
    "figure.titlesize": 12.0,
    "legend.fontsize": 8.0,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.axisbelow": True,
    "hatch.linewidth": 0.8,
}


def codec_colours(codecs: Iterable[str]) -> dict[str, str]:
    """A colour per codec: fixed for built-ins, the extra palette in name order for the rest."""
    names = list(codecs)
    out = {c: FIXED_COLOURS[c] for c in names if c in FIXED_COLOURS}
    extras = sorted(c for c in names if c not in FIXED_COLOURS)
    for i, codec in enumerate(extras):
        out[codec] = EXTRA_COLOURS[i % len(EXTRA_COLOURS)]
    return out


@contextmanager
def chart_style() -> Iterator[None]:
    """The rc settings charts are drawn and saved under (global settings are restored)."""
    import matplotlib

    with matplotlib.rc_context(cast(Any, RC)):
        yield


def new_figure(width: float, height: float) -> Any:
    """A figure with constrained layout, not registered with pyplot."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def save(fig: Any, png: Path, svg: Path) -> None:
    """Write the figure as PNG and SVG, byte-stable for the same figure, each atomically."""
    atomic_write(png, lambda out: out.write(png_bytes(fig)))
    # The layout is in figure units: computed once for the PNG, it holds for the SVG too.
    fig.set_layout_engine("none")
    atomic_write(svg, lambda out: out.write(svg_bytes(fig)))


def png_bytes(fig: Any) -> bytes:
    """The figure as a PNG without a Software/date stamp."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=PNG_DPI, metadata={"Software": None})
    return buffer.getvalue()


def svg_bytes(fig: Any) -> bytes:
    """The figure as an SVG without a date."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def seconds_axis(axis: Any) -> None:
    """Tick labels like `10 µs`, `2 ms` (call after the data is drawn)."""
    log_axis(axis, "s")


def unit_axis(axis: Any, unit: str) -> None:
    """Tick labels with engineering prefixes: `10 kB`, `2 Mmsg/s` (call after drawing)."""
    log_axis(axis, unit)


def log_axis(axis: Any, unit: str) -> None:
    """Engineering tick labels on a log axis: 1-2-5 steps when it spans under two decades,
    powers of ten otherwise; minor ticks unlabelled."""
    from matplotlib.ticker import EngFormatter, LogLocator, NullFormatter

    if axis.get_scale() != "log":
        axis.set_major_formatter(EngFormatter(unit=unit, places=0))
        return
    low, high = axis.get_view_interval()
    narrow = low > 0 and high / low < 100
    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0) if narrow else (1.0,)))
    axis.set_major_formatter(EngFormatter(unit=unit, places=0))
    axis.set_minor_formatter(NullFormatter())


RATIO_TICKS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 20.0,
               50.0, 100.0)


def ratio_limits(low: float, high: float) -> tuple[float, float]:
    """Limits of a log ratio axis that shows [low, high] and 1.0 with some room."""
    return min(low, 1.0) / 1.25, max(high, 1.0) * 1.25


def ratio_axis(axis: Any, low: float, high: float) -> None:
    """Ticks of a log ratio axis (call after `set_yscale("log")`), labelled `0.5x`."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter, NullLocator

    axis.set_major_locator(FixedLocator([t for t in RATIO_TICKS if low <= t <= high]))
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}{TIMES}"))
    axis.set_minor_locator(NullLocator())
    axis.set_minor_formatter(NullFormatter())
