"""The load scenario's chart: per payload, p99 (log scale) against achieved rate, one line per
codec and server kind: the hockey stick. Drawn from `load.csv` rows alone.

The line is flat while the server keeps up and turns up where queueing starts; a point marked
`saturated` (achieved short of offered) is drawn hollow, a point marked `late` (the generator
missed its schedule, p99 of the scheduling error over 50 us) is crossed, the p99 target is a
dashed line, and the `null` codec's line is the generator's ceiling: a codec whose knee lies on
it measured the rig, not itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from serbench.extensions.load.output import safe
from serbench.report.style import chart_style, codec_colours, new_figure, save, seconds_axis

_SERVER_STYLES = ("-", "--", ":", "-.")


def curves(rows: Sequence[dict[str, Any]], payload: str
           ) -> dict[tuple[str, str], list[tuple[float, float, bool, bool]]]:
    """(codec, server) -> [(achieved rps, p99 s, saturated, late)] of the open-loop points of
    one payload that were measured, in order of achieved rate: the data behind one chart."""
    out: dict[tuple[str, str], list[tuple[float, float, bool, bool]]] = {}
    for row in rows:
        if (row.get("payload") != payload or row.get("loop") != "open"
                or row.get("status") != "ok" or not row.get("p99_s")
                or not row.get("achieved_rps") or row.get("stall_ms")):
            continue
        out.setdefault((row["codec"], row["server"]), []).append(
            (float(row["achieved_rps"]), float(row["p99_s"]), _truthy(row.get("saturated")),
             _truthy(row.get("late"))))
    for points in out.values():
        points.sort()
    return out


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def hockey_stick_chart(rows: Sequence[dict[str, Any]], payload: str,
                       p99_target_s: float | None) -> Any:
    """The figure for one payload, or None when it has no measured open-loop point."""
    data = curves(rows, payload)
    if not data:
        return None
    colours = codec_colours(sorted({codec for codec, _ in data}))
    servers = sorted({server for _, server in data})
    fig = new_figure(7.5, 4.2)
    ax = fig.subplots()
    ax.set_yscale("log")
    for (codec, server), points in sorted(data.items()):
        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        style = _SERVER_STYLES[servers.index(server) % len(_SERVER_STYLES)]
        label = codec if len(servers) == 1 else f"{codec} ({server})"
        ax.plot(xs, ys, style, color=colours[codec], label=label, linewidth=1.5)
        for x, y, saturated, late in points:
            ax.plot([x], [y], "o", color=colours[codec], markersize=4,
                    markerfacecolor="white" if saturated else colours[codec])
            if late:
                ax.plot([x], [y], "x", color="black", markersize=7, markeredgewidth=1)
    if p99_target_s:
        ax.axhline(p99_target_s, color="grey", linestyle="--", linewidth=1)
        ax.annotate("p99 target", (0.01, p99_target_s), xycoords=("axes fraction", "data"),
                    fontsize=7, color="grey", va="bottom")
    ax.set_xlabel("achieved rate (requests/s)")
    ax.set_ylabel("p99 latency from intended send time")
    ax.set_title(f"{payload}: p99 vs. achieved rate ({', '.join(servers)} server; hollow = "
                 "saturated, x = generator late)")
    ax.set_xlim(left=0)
    seconds_axis(ax.yaxis)
    ax.legend(loc="upper left", fontsize=7)
    return fig


def write_charts(rows: Sequence[dict[str, Any]], payloads: Sequence[str],
                 p99_target_s: float | None, directory: Path) -> dict[str, Path]:
    """One PNG (and SVG) per payload with data; payload -> the PNG's path."""

    out: dict[str, Path] = {}
    with chart_style():
        for payload in payloads:
            fig = hockey_stick_chart(rows, payload, p99_target_s)
            if fig is None:
                continue
            png = directory / f"load-{safe(payload)}.png"
            save(fig, png, png.with_suffix(".svg"))
            out[payload] = png
    return out
