"""The report of a fleet directory (`serbench merge`): machines side by side, never ranked
against each other.

Each machine's results directory gets its own full report (`OUT/<machine>/report.html`), where
codecs are ranked as in any run. The fleet's own report.md / report.html adds two views:

- one section per machine: its host, its runs (shards) and, per payload and measure, the codecs
  that rank first *on that machine*;
- a side-by-side table per payload and measure: each machine's ratio to its own pickle (and
  pickle's own time), one column per machine. A ratio is within one machine's run; no figure
  compares one machine's codec with another machine's, and nothing is ranked across columns.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import Any

from serbench.common.tables import markdown_table
from serbench.common.vocabulary import REFERENCE_CODEC
from serbench.report.data import CellResult, Run, load_run
from serbench.report.text import measure_title, seconds
from serbench.results.files import atomic_write_text, check_writable

HTML = "report.html"
MARKDOWN = "report.md"
NOT_RANKED = ("Codecs are ranked only within one machine (each machine's section, and its own "
              "report). Across machines this report shows each machine's ratio to its own "
              "pickle, side by side: a column is one machine, and no figure compares one "
              "machine's codec with another's.")

Table = tuple[list[str], list[list[str]]]
Section = tuple[str, list[str], list[Table]]  # title, paragraphs, tables


def build_fleet_report(directory: Path, fleet: dict[str, Any], out: Path | None,
                       build_one: Callable[[Path, Path | None], list[Path]]) -> list[Path]:
    """Every machine's own report (`build_one`), then the fleet's report.html and report.md.
    Returns [report.html, report.md, *every machine's files]."""
    out = Path(out) if out is not None else directory
    check_writable(out)
    runs: dict[str, Run] = {}
    written: list[Path] = []
    for name in fleet["machines"]:
        runs[name] = load_run(directory / name)
        written += build_one(directory / name, out / name)
    sections = fleet_sections(runs, fleet)
    html_path, md_path = out / HTML, out / MARKDOWN
    atomic_write_text(md_path, render_markdown(sections))
    atomic_write_text(html_path, render_html(sections))
    return [html_path, md_path, *written]


def fleet_sections(runs: dict[str, Run], fleet: dict[str, Any]) -> list[Section]:
    """Everything the fleet report says, in reading order."""
    names = list(runs)
    intro = [f"{len(names)} machine(s): {', '.join(names)}. {NOT_RANKED}"]
    machines: Table = (["machine", "host", "CPU", "Python", "runs", "cells measured", "report"],
                       [_machine_row(n, runs[n], fleet["machines"].get(n, {})) for n in names])
    sections: list[Section] = [("serbench fleet report", intro, [machines])]
    sections.append(("Side by side: each machine's ratio to its own pickle",
                     [f"Rows are codecs; each column is one machine's run, relative to that "
                      f"machine's {REFERENCE_CODEC} (its {REFERENCE_CODEC} row gives its own "
                      "time). Not a ranking across machines."],
                     side_by_side(runs)))
    for name in names:
        sections.append(machine_section(name, runs[name]))
    return sections


def _machine_row(name: str, run: Run, record: dict[str, Any]) -> list[str]:
    env = run.environment
    shards = record.get("shards") or {}
    runs_text = str(len(record.get("sources", [])) or 1)
    if shards:
        runs_text += f" (shards {shards.get('present')} of {shards.get('count')})"
    measured = sum(1 for c in run.cells if c.timed)
    return [name, str(env.get("hostname", "")), str(env.get("cpu_model", "")),
            f"{env.get('python_implementation', '')} {env.get('python', '')}".strip(),
            runs_text, str(measured), f"{name}/{HTML}"]


def _groups(runs: dict[str, Run]) -> list[tuple[str, str]]:
    """(payload, measure) pairs of every machine, in first-seen order."""
    seen: dict[tuple[str, str], None] = {}
    for run in runs.values():
        for payload in run.payloads:
            for measure in run.measures:
                if any(run.cell(c, measure, payload) for c in run.codecs):
                    seen[(payload, measure)] = None
    return list(seen)


def _ratio_text(cell: CellResult | None) -> str:
    if cell is None:
        return ""
    if not cell.timed:
        return cell.status
    if cell.codec == REFERENCE_CODEC:
        return seconds(cell.mean_s)
    if cell.ratio is None:
        return "(no pickle)"
    text = f"{cell.ratio:.2f}x"
    if cell.ratio_lo is not None and cell.ratio_hi is not None:
        text += f" [{cell.ratio_lo:.2f}, {cell.ratio_hi:.2f}]"
    return text


def side_by_side(runs: dict[str, Run]) -> list[Table]:
    """One table per payload and measure: codec rows, machine columns."""
    names = list(runs)
    tables: list[Table] = []
    for payload, measure in _groups(runs):
        codecs = list(dict.fromkeys(c for run in runs.values() for c in run.codecs
                                    if run.cell(c, measure, payload) is not None))
        rows = [[codec, *(_ratio_text(runs[n].cell(codec, measure, payload)) for n in names)]
                for codec in codecs]
        tables.append(([f"{payload}: {measure_title(measure)}", *names], rows))
    return tables


def machine_section(name: str, run: Run) -> Section:
    """One machine: where it ran, and which codecs rank first there, per payload and measure."""
    env = run.environment
    remote = env.get("hosts") or {}
    words = [f"Host {env.get('hostname', '?')}, {env.get('cpu_model', '?')}, "
             f"{env.get('os', '?')}; its full report: {name}/{HTML}."]
    if remote.get("server"):
        server = remote["server"]
        words.append(f"Measured against a server on another host: {server.get('hostname')}, "
                     f"{server.get('cpu_model')}, Python {server.get('python')}.")
    rows = []
    for payload in run.payloads:
        for measure in run.measures:
            cells = [c for codec in run.codecs
                     if (c := run.cell(codec, measure, payload)) is not None]
            if not cells:
                continue
            first = [c.codec for c in cells if c.rankable and c.headline and c.rank == 1]
            reference = run.cell(REFERENCE_CODEC, measure, payload)
            rows.append([payload, measure_title(measure), ", ".join(first) or "-",
                         seconds(reference.mean_s) if reference and reference.timed else ""])
    table: Table = (["payload", "measure", "rank 1 on this machine",
                     f"{REFERENCE_CODEC} time"], rows)
    return (f"Machine {name}", words, [table])


def render_markdown(sections: list[Section]) -> str:
    """report.md of the fleet."""
    parts: list[str] = []
    for number, (title, words, tables) in enumerate(sections):
        parts.append(("# " if number == 0 else "## ") + title)
        parts.extend(words)
        parts.extend(markdown_table(header, rows) for header, rows in tables)
    return "\n\n".join(parts) + "\n"


def render_html(sections: list[Section]) -> str:
    """report.html of the fleet (every text escaped: names come from plugins and hosts)."""
    e = html.escape
    body: list[str] = []
    for number, (title, words, tables) in enumerate(sections):
        tag = "h1" if number == 0 else "h2"
        body.append(f"<section><{tag}>{e(title)}</{tag}>")
        body.extend(f"<p>{e(w)}</p>" for w in words)
        for header, rows in tables:
            head = "".join(f"<th>{e(h)}</th>" for h in header)
            lines = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>"
                            for row in rows)
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{lines}</tbody></table>")
        body.append("</section>")
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<title>serbench fleet report</title><style>body{font-family:sans-serif;"
            "max-width:70em;margin:auto}table{border-collapse:collapse;margin:1em 0}"
            "td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}</style></head>"
            f"<body>\n{chr(10).join(body)}\n</body></html>\n")
