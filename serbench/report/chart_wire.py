"""The charts of what goes on the wire: streaming throughput and message sizes (from
`analysis_wire`)."""

from __future__ import annotations

from typing import Any

from serbench.common.vocabulary import LOSSY
from serbench.report import analysis_ratios, analysis_wire
from serbench.report.chart_parts import (
    WIDTH,
    Colours,
    absent,
    codec_legend,
    lossy_mark,
    present,
    slots,
    suspect_mark,
)
from serbench.report.data import Run
from serbench.report.style import (
    new_figure,
    unit_axis,
)

# -- streaming throughput ----------------------------------------------------------------------

def throughput_chart(run: Run, colours: Colours) -> Any:
    """Messages/s and MB/s (encoded bytes) per codec and payload, per transport."""
    rates = analysis_wire.throughputs(run)
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
                            absent(ax, g + offset, analysis_ratios.short_reason(cell))
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


# -- sizes -------------------------------------------------------------------------------------

def size_chart(run: Run, colours: Colours) -> Any:
    """Encoded and zlib-compressed bytes per message, per codec and payload."""
    found = analysis_wire.sizes(run)
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
                        absent(ax, g + offset, analysis_ratios.short_reason(cell))
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
