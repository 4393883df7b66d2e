"""report.md: the same content as report.html, for a README or a pull request; charts are linked
as PNG files relative to the Markdown file, tables drawn by
`serbench.common.tables.markdown_table`."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from serbench.common.tables import markdown_table, markdown_text
from serbench.report.chart_files import ChartFile
from serbench.report.content import SECTIONS, ReportContent, report_content
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
    lines += [content.intro, ""]
    for anchor, heading in SECTIONS:
        part = _PARTS.get(anchor)
        if anchor == "first-calls" and not (content.cold_start or content.memory):
            continue
        if part is not None:
            lines += [f"## {heading}", "", *part(content, md_dir)]
    return "\n".join(lines)


def _link(path: Path, md_dir: Path) -> str:
    return Path(os.path.relpath(path, md_dir)).as_posix()


def _verdict(content: ReportContent, md_dir: Path) -> list[str]:
    lines: list[str] = []
    for v in content.verdicts:
        lines += [f"### {markdown_text(v.payload)} · {v.measure}", "",
                  markdown_table(["question", "answer", "figures"],
                                 [[line.question, f"**{markdown_text(line.answer)}**",
                                   markdown_text(line.detail)] for line in v.lines]), ""]
        if v.other_measures:
            lines += [markdown_text(v.other_measures), ""]
        if v.chart is not None:
            lines += [f"![{v.chart.title}]({_link(v.chart.png, md_dir)})", "",
                      v.chart.caption, ""]
    return lines or ["No codec round-trips any payload of this run: there is nothing to rank.",
                     ""]


def _summary(content: ReportContent, md_dir: Path) -> list[str]:
    lines: list[str] = []
    for section in content.payloads:
        lines += [f"### {markdown_text(section.payload)}", "", table_markdown(section.best), "",
                  section.every_codec_note, "", table_markdown(section.every_codec), ""]
        if section.percentiles is not None:
            lines += ["Round-trip latency per request, pooled over every worker process:", "",
                      table_markdown(section.percentiles), ""]
            if section.percentile_note:
                lines += [section.percentile_note, ""]
    return lines


def _charts(content: ReportContent, md_dir: Path) -> list[str]:
    charts = [c for c in content.charts if c.section != "verdict"]
    if not charts:
        return ["This run has nothing to chart.", ""]
    lines: list[str] = []
    for chart in charts:
        lines += [f"### {chart.title}", "", f"![{chart.title}]({_link(chart.png, md_dir)})", "",
                  f"{chart.caption} ([SVG]({_link(chart.svg, md_dir)}))", ""]
    return lines


def _how_to_read(content: ReportContent, md_dir: Path) -> list[str]:
    lines: list[str] = []
    for paragraph in content.how_to_read:
        lines += [paragraph, ""]
    return [*lines, "### Caveats", "", *(f"- {c}" for c in content.caveats), ""]


def _first_calls(content: ReportContent, md_dir: Path) -> list[str]:
    lines = [content.steady_note, ""]
    for title, table in (("Cold start: a fresh process's first call", content.cold_start),
                         ("Memory per call", content.memory)):
        if table is not None:
            lines += [f"### {title}", "", table_markdown(table), ""]
    return lines


def _problems(content: ReportContent, md_dir: Path) -> list[str]:
    problems = content.problems
    return [table_markdown(problems) if problems.rows else "None: every cell was measured.", ""]


#: Each section of `content.SECTIONS` report.md draws (the load section is report.html's only).
_PARTS: dict[str, Callable[[ReportContent, Path], list[str]]] = {
    "verdict": _verdict,
    "summary": _summary,
    "charts": _charts,
    "environment": lambda content, _: [table_markdown(content.environment), ""],
    "how-to-read": _how_to_read,
    "first-calls": _first_calls,
    "codecs": lambda content, _: [table_markdown(content.call_paths), ""],
    "fidelity": lambda content, _: [table_markdown(content.fidelity), ""],
    "problems": _problems,
}


def table_markdown(data: Table) -> str:
    """A `Table` in Markdown; bold cells are wrapped in `**`."""
    rows = [[f"**{v}**" if (i, j) in data.bold and v else v for j, v in enumerate(row)]
            for i, row in enumerate(data.rows)]
    return markdown_table(data.header, rows)
