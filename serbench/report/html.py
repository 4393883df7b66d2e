"""report.html, rendered from the package's Jinja2 template `templates/report.html.j2`.

Autoescaping is on for the whole template: codec and payload names come from third-party
plugins and land in the page, so nothing reaches it unescaped except what this module builds
from escaped text (`inline_code`) and the base64 chart data.
"""

from __future__ import annotations

import base64
from functools import cache
from pathlib import Path

import jinja2
from markupsafe import Markup, escape

from serbench.common.registry import scan
from serbench.report.chart_files import ChartFile
from serbench.report.content import SECTIONS, report_content
from serbench.report.data import Run
from serbench.report.report_tables import Table

TEMPLATE = "report.html.j2"
#: Extensions add sections to a run's report through this entry-point group: each entry is a
#: callable `(results_dir, charts_dir) -> str | None`, an HTML fragment or None when the
#: directory holds nothing of the extension's (`serbench load`'s points, say).
SECTIONS_GROUP = "serbench.report_sections"


def extra_sections(directory: Path) -> list[str]:
    """The extensions' HTML fragments for `directory`, in entry-point name order."""
    fragments = []
    for entry in scan(SECTIONS_GROUP, "report section").values():
        fragment = entry.load()(directory, directory / "charts")
        if fragment:
            fragments.append(fragment)
    return fragments


@cache
def _templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("serbench.report", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
        lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["inline_code"] = inline_code
    env.globals["cell_classes"] = cell_classes
    return env


def render_html(run: Run, charts: list[ChartFile]) -> str:
    """The whole page as a string (deterministic for the same results)."""
    content = report_content(run, charts)
    # A `serbench load` written into the same results directory joins the report.
    load_html = "".join(extra_sections(run.directory))
    sections = [(anchor, heading) for anchor, heading in SECTIONS
                if (anchor != "load" or load_html)
                and (anchor != "first-calls" or content.cold_start or content.memory)]
    nav = [(anchor, heading) for anchor, heading in sections if anchor != "load"]
    if content.warnings:
        nav.insert(0, ("suspect", "Why this run is suspect"))
    pngs = {chart.slug: base64.b64encode(chart.png.read_bytes()).decode("ascii")
            for chart in charts}
    return _templates().get_template(TEMPLATE).render(
        content=content, start=str(run.environment.get("start", "?")), nav=nav,
        sections=sections, pngs=pngs,
        charts=[(c, pngs[c.slug]) for c in charts if c.section != "verdict"],
        load_html=Markup(load_html) if load_html else None)


def inline_code(text: str) -> Markup:
    """Escape, then turn `code` spans into <code>."""
    pieces = str(escape(text)).split("`")
    return Markup("".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(pieces)))


def cell_classes(table: Table, row: int, column: int) -> str:
    """The CSS classes of one table cell: `best`, `suspect`, both or none."""
    return " ".join(name for name, cells in (("best", table.bold), ("suspect", table.flagged))
                    if (row, column) in cells)
