"""report.md: the same content as report.html, for a README or a pull request; charts are linked
as PNG files relative to the Markdown file, tables drawn by
`serbench.common.tables.markdown_table`."""

from __future__ import annotations

import os
from pathlib import Path

from serbench.common.tables import markdown_table, markdown_text
from serbench.report.chart_files import ChartFile
from serbench.report.content import report_content
from serbench.report.data import Run
from serbench.report.report_tables import Table


def render_markdown(run: Run, charts: list[ChartFile], md_dir: Path) -> str:
    """The report as GitHub-flavoured Markdown; chart links are relative to `md_dir`."""
    content = report_content(run, charts)
    lines = [f"# {content.title}", ""]
    if content.warnings:
        headline, *details = content.warnings
        lines += [f"> **{markdown_text(headline)}**",
                  *(f"> - {markdown_text(d)}" for d in details), ""]
    lines += [content.intro, "", "## Environment", "", table_markdown(content.environment), "",
              "## How to read this", ""]
    for paragraph in content.how_to_read:
        lines += [paragraph, ""]
    lines += ["### Caveats", "", *(f"- {c}" for c in content.caveats), "",
              "## Summary per payload", ""]
    for section in content.payloads:
        lines += [f"### {markdown_text(section.payload)}", "", table_markdown(section.best), "",
                  section.every_codec_note, "", table_markdown(section.every_codec), ""]
        if section.percentiles is not None:
            lines += ["Round-trip latency per request, pooled over every worker process:", "",
                      table_markdown(section.percentiles), ""]
            if section.percentile_note:
                lines += [section.percentile_note, ""]
    lines += ["## Charts", ""]
    if not content.charts:
        lines += ["This run has nothing to chart.", ""]
    for chart in content.charts:
        link = Path(os.path.relpath(chart.png, md_dir)).as_posix()
        svg = Path(os.path.relpath(chart.svg, md_dir)).as_posix()
        lines += [f"### {chart.title}", "", f"![{chart.title}]({link})", "",
                  f"{chart.caption} ([SVG]({svg}))", ""]
    if content.cold_start or content.memory:
        lines += ["## Cold start and memory per call", "", content.steady_note, ""]
        for title, table in (("Cold start: a fresh process's first call", content.cold_start),
                             ("Memory per call", content.memory)):
            if table is not None:
                lines += [f"### {title}", "", table_markdown(table), ""]
    lines += ["## Codecs: the timed call paths", "", table_markdown(content.call_paths), "",
              "## Fidelity: what each codec round-trips", "", table_markdown(content.fidelity),
              "", "## Skipped and failed cells", ""]
    problems = content.problems
    lines += [table_markdown(problems) if problems.rows else "None: every cell was measured.",
              ""]
    return "\n".join(lines)


def table_markdown(data: Table) -> str:
    """A `Table` in Markdown; bold cells are wrapped in `**`."""
    rows = [[f"**{v}**" if (i, j) in data.bold and v else v for j, v in enumerate(row)]
            for i, row in enumerate(data.rows)]
    return markdown_table(data.header, rows)
