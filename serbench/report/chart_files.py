"""The report's chart files: every chart in report order with its title and caption, drawn
and saved as byte-stable PNG and SVG under `charts/`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from serbench.common.vocabulary import FLOOR_CODEC, P999_MIN_SAMPLES, REFERENCE_CODEC
from serbench.report import trust
from serbench.report.analysis_time import size_sweeps
from serbench.report.analysis_transports import panels as transport_panels
from serbench.report.basis import basis
from serbench.report.chart_latency import percentile_chart
from serbench.report.chart_parts import Colours
from serbench.report.chart_ratios import fidelity_chart, heatmap_chart, roundtrip_ratio_chart
from serbench.report.chart_time import drift_chart, sweep_chart, time_split_chart
from serbench.report.chart_transports import transport_chart
from serbench.report.chart_verdict import verdict_chart
from serbench.report.chart_wire import size_chart, throughput_chart
from serbench.report.data import Run
from serbench.report.style import chart_style, codec_colours, save
from serbench.report.text import LEVEL, SUSPECT_MARK, TIMES
from serbench.report.verdict import verdicts
from serbench.transport.link.session import link_label

ChartFunc = Callable[[Run, Colours], Any]


@dataclass(frozen=True)
class ChartFile:
    """One chart on disk."""

    slug: str
    title: str
    caption: str
    png: Path
    svg: Path
    #: The report section the chart belongs to: `verdict` (one per payload, at the top) or
    #: `charts`.
    section: str = "charts"


def _ratio_caption(run: Run) -> str:
    whiskers = basis(run.environment).ratio_caption
    flagged = (f"; {SUSPECT_MARK} a cell the run flagged as suspect" if trust.is_suspect(run)
               else "")
    return (f"Round-trip time of each codec relative to {REFERENCE_CODEC}'s, per payload and "
            f"transport; {whiskers}; {TIMES} marks a codec that does not round-trip the payload"
            f"{flagged}. The grey {FLOOR_CODEC} bars are the transport alone "
            f"({REFERENCE_CODEC}'s bytes, nothing encoded): the floor.")


def _heatmap_caption(run: Run) -> str:
    interval = basis(run.environment).heatmap_caption
    flagged = "; cells outlined in red are suspect" if trust.is_suspect(run) else ""
    return (f"Round-trip time relative to {REFERENCE_CODEC} for every codec and payload"
            f"{interval}; grey cells have no figure and say why{flagged}.")


#: slug, title, caption (text, or made from the run), function, in report order.
CHARTS: tuple[tuple[str, str, str | Callable[[Run], str], ChartFunc], ...] = (
    ("roundtrip-ratio", f"Round trip relative to {REFERENCE_CODEC}", _ratio_caption,
     roundtrip_ratio_chart),
    ("latency-percentiles", "Latency percentiles",
     "p50, p90, p99, p99.9 and max of per-request round-trip latency, pooled over every "
     f"worker process (log scale). The dotted line is the {FLOOR_CODEC} codec: the transport "
     f"alone. p99.9 carries its {LEVEL} interval when the run has one; a hollow p99.9 comes "
     f"from fewer than {P999_MIN_SAMPLES:,} requests without one: little more than the few "
     "largest.", percentile_chart),
    ("throughput", "Streaming throughput",
     "Messages per second and bytes per second on the wire (each codec's own encoded size) "
     "when frames are sent back to back.", throughput_chart),
    ("sizes", "Encoded and compressed size",
     "Bytes of one encoded message, and after zlib at its default level.", size_chart),
    ("time-split", "Where the time goes",
     "Each round trip split into codec work (two encodes and two decodes, from the in-process "
     f"figures), transport (the {FLOOR_CODEC} codec's round trip at this codec's own request "
     f"and reply sizes: measured where a {FLOOR_CODEC} cell has that size, otherwise "
     f"interpolated log-log between the {FLOOR_CODEC} cells of the run's payloads, clamped "
     "below the smallest and extrapolated above the largest; each bar says which) and the "
     "remainder. A negative remainder means the parts overlap or the in-process figures "
     "overstate the work; it is shown, not hidden.", time_split_chart),
    ("heatmap", f"Codec {TIMES} payload heat map", _heatmap_caption, heatmap_chart),
    ("fidelity", "Fidelity matrix",
     "Whether each codec gives each payload back: exact, lossy (equal after a documented "
     "normalisation), unsupported or wrong. Only exact and lossy cells are timed.",
     fidelity_chart),
    ("drift", "Drift across rounds",
     f"The reference codec's ({REFERENCE_CODEC}'s) time in each round relative to round 1, "
     "the geometric mean over its cells: how far the machine moved while the run measured. "
     "Ratios pair codecs within a round, so a steady drift cancels out of them; absolute "
     "times do not.", drift_chart),
)


TRANSPORTS_CAPTION = (
    "Each codec's mean round-trip time on each transport (log scale), and below it the "
    f"transport's share: the {FLOOR_CODEC} floor's time over the cell's. Near 1 the transport "
    "decides and another serializer buys little there; near 0 the codec does. `native` is the "
    "transport's own pickling (docs/transports.md).")


def figures(run: Run) -> list[tuple[str, str, str, Any]]:
    """(slug, title, caption, figure) of every chart the run has data for, in report order."""
    colours = codec_colours(run.codecs)
    out = []
    link = link_label(run.environment)
    for slug, title, caption, func in CHARTS:
        fig = func(run, colours)
        if fig is not None and link is not None:  # across a link: every title says which
            _with_link(fig, link)
        if fig is not None:
            out.append((slug, title, caption if isinstance(caption, str) else caption(run),
                        fig))
    for panel in transport_panels(run):  # a run with paths: docs/transports.md
        out.append((f"transports-{_slug(panel.payload)}", f"Transports: {panel.payload}",
                    TRANSPORTS_CAPTION, transport_chart(panel, colours)))
    for sweep in size_sweeps(run):
        out.append((f"size-sweep-{_slug(sweep.name)}", f"Size sweep: {sweep.name}",
                    f"Mean time per call against the size of the {sweep.name} payload "
                    f"({', '.join(sweep.payloads)}), log-log, one line per codec.",
                    _with_link(sweep_chart(run, colours, sweep), link)))
    return out


def _with_link(fig: Any, link: str | None) -> Any:
    """The figure, its title followed by the run's link (serbench.transport.link) when it has
    one."""
    if link is not None:
        title = fig.get_suptitle()
        fig.suptitle(f"{title}\n{link}" if title else link)
    return fig


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in text)


VERDICT_CAPTION = (
    "Left: each codec's time per call on this payload, fastest first, with its {level} "
    "interval; bold names are the fastest and the codecs the run cannot separate from it. "
    "Right: time against encoded size; the codecs joined by the dashed line are the Pareto "
    "front: no other codec is both faster and smaller. Only codecs that round-trip the "
    "payload (exact or lossy) are drawn.")


def verdict_title(payload: str) -> str:
    """The title of a payload's verdict chart (how the report finds it)."""
    return f"{payload}: the answer"


def verdict_figures(run: Run) -> list[tuple[str, str, str, Any]]:
    """(slug, title, caption, figure) of each payload's verdict chart, in payload order."""
    colours = codec_colours(run.codecs)
    out = []
    for verdict in verdicts(run):
        fig = verdict_chart(verdict, colours)
        if fig is not None:
            out.append((f"verdict-{_slug(verdict.payload)}", verdict_title(verdict.payload),
                        VERDICT_CAPTION.format(level=LEVEL), fig))
    return out


def render_charts(run: Run, charts_dir: Path) -> list[ChartFile]:
    """Draw and save every chart as PNG and SVG under `charts_dir`: the verdict's first."""
    out = []
    with chart_style():
        for section, drawn in (("verdict", verdict_figures(run)), ("charts", figures(run))):
            for slug, title, caption, fig in drawn:
                png, svg = charts_dir / f"{slug}.png", charts_dir / f"{slug}.svg"
                save(fig, png, svg)
                fig.clear()
                out.append(ChartFile(slug, title, caption, png, svg, section))
    return out
