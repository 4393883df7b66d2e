"""report.md: the same tables and charts as report.html, for a README or a pull request; charts
are linked as PNG files relative to the Markdown file."""

from __future__ import annotations

import os
from pathlib import Path

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


def render_markdown(run: Run, charts: list[ChartFile], md_dir: Path) -> str:
    """The report as GitHub-flavoured Markdown; chart links are relative to `md_dir`."""
    env = run.environment
    lines = [
        "# serbench report",
        "",
        f"Run started {env.get('start', '?')} on {env.get('cpu_model', 'an unknown machine')}. "
        f"{overview(run)}",
        "",
        "## Environment",
        "",
        table(environment_table(run)),
        "",
        "## How to read this",
        "",
    ]
    for paragraph in fmt.how_to_read(run):
        lines += [paragraph, ""]
    lines += ["### Caveats", ""]
    lines += [f"- {c}" for c in fmt.caveats(run)]
    lines += ["", "## Summary per payload", ""]
    for summary in analysis.summarize(run):
        lines += [f"### {summary.payload}", "", table(best_table(summary, run.reference)), "",
                  f"Every codec on this payload: mean time · ratio to "
                  f"{run.reference or 'the reference'} (bold: fastest).", "",
                  table(payload_table(summary, run.reference)), ""]
    lines += ["## Charts", ""]
    if not charts:
        lines += ["This run has nothing to chart.", ""]
    for chart in charts:
        link = Path(os.path.relpath(chart.png, md_dir)).as_posix()
        svg = Path(os.path.relpath(chart.svg, md_dir)).as_posix()
        lines += [f"### {chart.title}", "", f"![{chart.title}]({link})", "",
                  f"{chart.caption} ([SVG]({svg}))", ""]
    lines += ["## Codecs: the timed call paths", "", table(call_path_table(run)), "",
              "## Skipped and failed cells", ""]
    problems = problem_table(run)
    lines += [table(problems) if problems.rows else "None: every cell was measured.", ""]
    return "\n".join(lines)


def table(data: Table) -> str:
    """A Markdown table; bold cells are wrapped in `**`."""
    out = ["| " + " | ".join(_cell(h) for h in data.header) + " |",
           "|" + "|".join("---" for _ in data.header) + "|"]
    for i, row in enumerate(data.rows):
        cells = [f"**{_cell(v)}**" if (i, j) in data.bold and v else _cell(v)
                 for j, v in enumerate(row)]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def _cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")
