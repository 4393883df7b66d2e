"""The transports chart, one per payload (from `analysis_transports`): each codec's round-trip
time on each transport, and below it the transport's share of that time (the `null` floor's
time over the cell's), so a reader sees at once where the codec and where the path decides."""

from __future__ import annotations

from typing import Any

from serbench.report.analysis_transports import TransportPanel
from serbench.report.chart_parts import WIDTH, Colours, absent, codec_legend, slots
from serbench.report.style import new_figure, seconds_axis


def transport_chart(panel: TransportPanel, colours: Colours) -> Any:
    """Two rows over the transports: time per round trip (log), and the floor's share (0-1)."""
    fig = new_figure(WIDTH, 7.0)
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    offsets, width = slots(len(panel.codecs))
    for g, transport in enumerate(panel.transports):
        for offset, codec in zip(offsets, panel.codecs, strict=True):
            bar = panel.bar(codec, transport)
            if bar is None:
                continue
            x = g + offset
            if bar.mean_s is None:
                absent(top, x, bar.reason)
                continue
            top.bar(x, bar.mean_s, width=width * 0.9, color=colours[codec])
            if bar.share is not None:
                bottom.bar(x, bar.share, width=width * 0.9, color=colours[codec])
    top.set_yscale("log")
    seconds_axis(top.yaxis)
    top.set_ylabel("time per round trip (log)")
    top.set_title(f"Round trip of {panel.payload} on each transport")
    bottom.set_ylim(0, 1.05)
    bottom.set_ylabel("transport's share\n(null floor / cell)")
    bottom.axhline(1.0, color="#888888", linewidth=0.8, linestyle=":")
    bottom.set_xticks(range(len(panel.transports)), panel.transports)
    codec_legend(fig, colours, panel.codecs)
    return fig
