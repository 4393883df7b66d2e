"""The load scenario's report: a self-contained `load.html` (and the same part as an HTML
fragment for the main report), from the results directory's files alone.

Per payload: the hockey-stick chart, then each codec's capacity, the highest rate that holds
the p99 target and whether that capacity is the codec's or the generator's; then every point.
It says plainly where client and server ran: on a 2-core machine they compete for the CPUs.
"""

from __future__ import annotations

import base64
import csv
import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from serbench.common.tables import format_table
from serbench.common.units import seconds
from serbench.extensions.load.charts import write_charts
from serbench.results.files import atomic_write_text

LOAD_HTML = "load.html"


def read_rows(path: Path) -> list[dict[str, Any]]:
    """A CSV written by `serbench load` as dicts (empty cells as None); [] when missing."""
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return [{k: (v if v != "" else None) for k, v in row.items()}
                for row in csv.DictReader(handle)]


def _num(value: Any) -> float | None:
    try:
        return None if value in (None, "") else float(value)
    except (TypeError, ValueError):
        return None


def _rate(value: Any) -> str:
    number = _num(value)
    return "" if number is None else f"{number:,.0f}/s"


def _secs(value: Any) -> str:
    return seconds(_num(value), micro="us")


def summary_table(summaries: Sequence[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the table: each codec's capacity and highest rate within target."""
    header = ["payload", "server", "codec", "capacity", "max rate, p99 <= target",
              "target", "limited by", "bound", "ceiling (null)"]
    rows = [[str(s["payload"]), str(s["server"]), str(s["codec"]), _rate(s["capacity_rps"]),
             _rate(s["max_rps_within_p99_target"]) or "none", _secs(s["p99_target_s"]),
             str(s.get("target_bound") or ""), str(s["bound"]), _rate(s["ceiling_rps"])]
            for s in summaries]
    return header, rows


def summary_lines(summaries: Sequence[dict[str, Any]]) -> list[str]:
    """The summary table as terminal lines."""
    if not summaries:
        return []
    header, rows = summary_table(summaries)
    return format_table(header, rows).splitlines()


POINT_COLUMNS = [("codec", "codec"), ("server", "server"), ("point", "point"),
                 ("offered_rps", "offered"), ("achieved_rps", "achieved"), ("p50_s", "p50"),
                 ("p99_s", "p99"), ("p999_s", "p99.9"), ("max_s", "max"),
                 ("sched_p99_s", "sched. error p99"), ("late", "late"),
                 ("server_cpu_per_request_s", "server CPU/request"), ("overflow", "overflow"),
                 ("saturated", "saturated"), ("status", "status")]


def _cell(key: str, row: dict[str, Any]) -> str:
    value = row.get(key)
    if key.endswith("_rps"):
        return _rate(value)
    if key.endswith("_s"):
        return _secs(value)
    if key == "status" and value != "ok":
        return f"{value}: {row.get('detail') or ''}"
    return "" if value is None else str(value)


def _table_html(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                   for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def placement_note(env: dict[str, Any]) -> str:
    """Where the server and the load processes ran, and what that means on 2 cores."""
    load = env.get("load") or {}
    cpus = env.get("cpu_count")
    pin = load.get("pin", "?")
    text = (f"Placement: pin mode {pin} on a machine with {cpus} CPUs. The load generator and "
            "the server share this machine")
    if cpus is not None and int(cpus) <= 2:
        text += (": on 2 cores the client and the server are in contention, so every "
                 "capacity here is a capacity of client and server together, and the null "
                 "codec's ceiling says how much of it is the client")
    return text + "."


def load_fragment(directory: Path, charts_dir: Path | None = None) -> str | None:
    """The load part of a report as HTML (charts embedded as PNG data), or None when the
    directory holds no load run."""
    rows = read_rows(directory / "load.csv")
    if not rows:
        return None
    summaries = read_rows(directory / "load_summary.csv")
    env_path = directory / "load_environment.json"
    env = json.loads(env_path.read_text()) if env_path.exists() else {}
    target = _num((env.get("load") or {}).get("p99_target_s"))
    payloads = list(dict.fromkeys(str(r["payload"]) for r in rows))
    charts = write_charts(rows, payloads, target, charts_dir or directory / "charts")
    parts = ["<section class='load'><h2>Under load: latency vs. throughput</h2>",
             "<p>Latency runs from each request's <em>intended</em> send time (a fixed-rate "
             "schedule), so a stalled server is charged for every request it delayed, not "
             "only the one it held (coordinated omission). Closed-loop points (one request in "
             "flight per connection) give each codec's maximum; the open-loop points offer "
             "fractions of it. A saturated point (achieved rate short of offered by more "
             "than 1 %) is drawn hollow. A <em>late</em> point (crossed) is one where the "
             "generator itself missed its schedule: the p99 of its scheduling error (actual "
             "minus intended send time) exceeded 50 us, so its latencies include the "
             "generator's own lateness and overstate the server's; it happens as the offered "
             "rate nears the generator's ceiling.</p>",
             f"<p>{html.escape(placement_note(env))}</p>"]
    for payload in payloads:
        parts.append(f"<h3>{html.escape(payload)}</h3>")
        if payload in charts:
            data = base64.b64encode(charts[payload].read_bytes()).decode("ascii")
            parts.append(f"<img alt='p99 vs achieved rate, {html.escape(payload)}' "
                         f"src='data:image/png;base64,{data}'>")
        mine = [s for s in summaries if s.get("payload") == payload]
        if mine:
            parts.append(_table_html(*summary_table(mine)))
        points = [r for r in rows if r.get("payload") == payload]
        parts.append("<details><summary>every point</summary>" + _table_html(
            [title for _, title in POINT_COLUMNS],
            [[_cell(key, r) for key, _ in POINT_COLUMNS] for r in points]) + "</details>")
    parts.append("</section>")
    return "\n".join(parts)


def write_load_report(directory: Path) -> Path:
    """`load.html` in the results directory (self-contained); returns its path."""
    fragment = load_fragment(directory) or "<p>No load points in this directory.</p>"
    page = ("<!doctype html><html><head><meta charset='utf-8'><title>serbench load</title>"
            "<style>body{font-family:sans-serif;max-width:70em;margin:auto}"
            "table{border-collapse:collapse;font-size:0.85em}td,th{border:1px solid #ccc;"
            "padding:2px 6px;text-align:right}img{max-width:100%}</style></head><body>"
            f"{fragment}</body></html>\n")
    path = directory / LOAD_HTML
    atomic_write_text(path, page)
    return path
