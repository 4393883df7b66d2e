"""report.html: one self-contained page (styles inline, charts embedded as base64 PNG, nothing
fetched), so it opens from disk or as a mail attachment."""

from __future__ import annotations

import base64
from html import escape

from serbench.report import analysis
from serbench.report import text as fmt
from serbench.report.charts import ChartFile
from serbench.report.data import Run
from serbench.report.tables import (
    Table,
    best_table,
    call_path_table,
    environment_table,
    overview,
    payload_table,
    problem_table,
)

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto;
       max-width: 72em; padding: 0 1em; color: #222; line-height: 1.45; }
h1, h2, h3 { line-height: 1.2; }
h2 { border-bottom: 1px solid #ddd; padding-bottom: .2em; margin-top: 2em; }
table { border-collapse: collapse; margin: .6em 0 1.2em; font-size: .9em; }
th, td { border: 1px solid #ddd; padding: .25em .6em; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
td.best { font-weight: bold; background: #eef6ee; }
table.env th { background: none; white-space: nowrap; }
figure { margin: 1.5em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #555; font-size: .9em; max-width: 60em; }
code { font-size: .95em; }
nav ul { columns: 2; }
.note { color: #555; }
"""


def render_html(run: Run, charts: list[ChartFile]) -> str:
    """The whole page as a string (deterministic for the same results)."""
    env = run.environment
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>serbench report: run of {escape(str(env.get('start', '?')))}</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        "<h1>serbench report</h1>",
        f"<p>Run started {escape(str(env.get('start', '?')))} on "
        f"{escape(str(env.get('cpu_model', 'an unknown machine')))}. "
        f"{escape(overview(run))}</p>",
        _nav(run, charts),
        '<h2 id="environment">Environment</h2>',
        _table(environment_table(run), css="env", header=False),
        '<h2 id="how-to-read">How to read this</h2>',
        *(f"<p>{_inline(p)}</p>" for p in fmt.how_to_read(run)),
        '<h3 id="caveats">Caveats</h3>',
        "<ul>", *(f"<li>{_inline(c)}</li>" for c in fmt.caveats(run)), "</ul>",
        '<h2 id="summary">Summary per payload</h2>',
    ]
    for summary in analysis.summarize(run):
        parts.append(f'<h3 id="payload-{escape(summary.payload)}">{escape(summary.payload)}</h3>')
        parts.append(_table(best_table(summary, run.reference)))
        parts.append('<p class="note">Every codec on this payload: mean time · ratio to '
                     f"{escape(run.reference or 'the reference')} (bold: fastest).</p>")
        parts.append(_table(payload_table(summary, run.reference)))
    parts.append('<h2 id="charts">Charts</h2>')
    if not charts:
        parts.append("<p>This run has nothing to chart.</p>")
    for chart in charts:
        data = base64.b64encode(chart.png.read_bytes()).decode("ascii")
        parts += [f'<figure id="chart-{escape(chart.slug)}">',
                  f"<h3>{escape(chart.title)}</h3>",
                  f'<img src="data:image/png;base64,{data}" alt="{escape(chart.title)}">',
                  f"<figcaption>{escape(chart.caption)} "
                  f'<a href="charts/{escape(chart.svg.name)}">SVG</a></figcaption>',
                  "</figure>"]
    parts += ['<h2 id="codecs">Codecs: the timed call paths</h2>',
              _table(call_path_table(run)),
              '<h2 id="problems">Skipped and failed cells</h2>']
    problems = problem_table(run)
    parts.append(_table(problems) if problems.rows else "<p>None: every cell was measured.</p>")
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


def _nav(run: Run, charts: list[ChartFile]) -> str:
    items = [("environment", "Environment"), ("how-to-read", "How to read this"),
             ("summary", "Summary per payload"),
             *((f"chart-{c.slug}", c.title) for c in charts),
             ("codecs", "Codecs: the timed call paths"), ("problems", "Skipped and failed cells")]
    return "<nav><ul>" + "".join(f'<li><a href="#{escape(a)}">{escape(t)}</a></li>'
                                 for a, t in items) + "</ul></nav>"


def _inline(text: str) -> str:
    """Escape, then turn `code` spans into <code>."""
    pieces = escape(text).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(pieces))


def _table(table: Table, css: str = "", header: bool = True) -> str:
    lines = [f'<table class="{css}">' if css else "<table>"]
    if header:
        lines.append("<tr>" + "".join(f"<th>{escape(h)}</th>" for h in table.header) + "</tr>")
    for i, row in enumerate(table.rows):
        cells = []
        for j, value in enumerate(row):
            if not header and j == 0:
                cells.append(f"<th>{escape(value)}</th>")
            elif (i, j) in table.bold:
                cells.append(f'<td class="best">{escape(value)}</td>')
            else:
                cells.append(f"<td>{escape(value)}</td>")
        lines.append("<tr>" + "".join(cells) + "</tr>")
    lines.append("</table>")
    return "\n".join(lines)
