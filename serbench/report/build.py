"""`build_report`: charts, report.html and report.md from a results directory's files alone."""

from __future__ import annotations

from pathlib import Path

from serbench.report.chart_files import render_charts
from serbench.report.data import load_run
from serbench.report.html import render_html
from serbench.report.markdown import render_markdown
from serbench.results.files import atomic_write_text, check_writable

HTML = "report.html"
MARKDOWN = "report.md"
CHARTS = "charts"


def build_report(results_dir: Path, out: Path | None = None) -> list[Path]:
    """Regenerate the report of `results_dir` into `out` (default: the results directory).

    Nothing is run: only summary.csv, environment.json and the `<codec>.json` suites are read,
    and the same files give the same bytes. Returns [report.html, report.md, *chart files].
    Chart files under `out/charts/` that this run no longer produces are removed.
    """
    results_dir = Path(results_dir)
    out = Path(out) if out is not None else results_dir
    run = load_run(results_dir)
    check_writable(out)
    charts_dir = out / CHARTS
    charts = render_charts(run, charts_dir)
    written = {p for c in charts for p in (c.png, c.svg)}
    for stale in sorted(charts_dir.glob("*")):
        if stale.suffix in (".png", ".svg") and stale not in written:
            stale.unlink()
    html, markdown = out / HTML, out / MARKDOWN
    atomic_write_text(html, render_html(run, charts))
    atomic_write_text(markdown, render_markdown(run, charts, out))
    return [html, markdown, *(p for c in charts for p in (c.png, c.svg))]
