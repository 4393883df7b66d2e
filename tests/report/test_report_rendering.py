"""The report's rendering: report.html and report.md from the checked-in small run (results
format 1, upgraded at load) and a format-2 run built in `test_report_data`, byte-identical
regeneration, self-contained HTML, escaping, and the golden tables of the format-1 run."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from markupsafe import escape
from test_report_data import (
    ALL_SLUGS,
    FIXTURE,
    FIXTURES,
    PAYLOADS,
    SLUGS,
    SUSPECT_WHY,
    copy_fixture,
    module_fixtures,
    summary_part,
    with_cells,
)

from serbench.report import analysis_latency, build_report, summary
from serbench.report.chart_files import figures
from serbench.report.data import Run, make_run
from serbench.report.html import render_html
from serbench.report.markdown import render_markdown
from serbench.report.style import chart_style
from serbench.report.text import TIMES as X

#: The format-1 fixture's report.md tables (and headings) as this report draws them, and as
#: serbench 0.1's report drew them before intervals, ties and percentile tables.
GOLDEN_TABLES = FIXTURES / "golden" / "results-small-report-tables.md"
GOLDEN_TABLES_V01 = FIXTURES / "golden" / "results-small-report-tables-v0.1.md"


run, report, v2 = module_fixtures()


# -- format 1 (upgraded at load): the files ----------------------------------------------------

def test_a_tie_is_never_called_fastest(run: Run) -> None:
    ties = [(p.payload, b) for p in summary.summarize(run) for b in p.best if b.tied_with]
    assert ties, "the fixture has codecs its t-test cannot separate"
    md = render_markdown(run, [], run.directory)
    for payload, best in ties:
        row = next(line for line in md.splitlines()
                   if line.startswith(f"| {measure_words(best.measure)} | ")
                   and f"tie: {best.codec}, {best.tied_with}" in line)
        assert f"| {best.codec} |" not in row, (payload, row)


def measure_words(measure: str) -> str:
    scenario, _, transport = measure.partition("/")
    name = "round trip" if scenario == "roundtrip" else scenario
    return f"{name} ({transport})" if transport else name


@pytest.mark.slow
def test_report_regenerates_identically(tmp_path: Path, report: list[Path]) -> None:
    # Build in place (the default output is the results directory) over an earlier report
    # with a stale chart: same bytes as the CLI's build elsewhere, and the stale chart is gone.
    results = copy_fixture(tmp_path)
    (results / "charts").mkdir()
    (results / "charts" / "old-chart.png").write_bytes(b"stale")
    (results / "charts" / "notes.txt").write_text("mine")
    again = build_report(results)
    assert [p.relative_to(results) for p in again] == [
        p.relative_to(report[0].parent) for p in report]
    for old, new in zip(report, again, strict=True):
        assert new.read_bytes() == old.read_bytes(), f"{new.name} differs when regenerated"
    assert not (results / "charts" / "old-chart.png").exists()
    assert (results / "charts" / "notes.txt").exists()


@pytest.mark.slow
def test_html_is_self_contained_and_complete(report: list[Path], run: Run) -> None:
    html = report[0].read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    # Nothing fetched: no external scripts, styles, images or fonts.
    assert not re.search(r"""(src|href)=["'](https?:|//)""", html)
    assert "<script" not in html and "<link" not in html and "@import" not in html
    assert html.count('<img src="data:image/png;base64,') == len(ALL_SLUGS)
    env = run.environment
    for text in (env["cpu_model"], env["python"], f"msgpack {env['libraries']['msgpack']}",
                 "CPU pinning", "GC", env["start"], str(env["serbench_commit"]),
                 "How to read this", "Caveats", "Loopback is not a network",
                 "Summary per payload", "Skipped and failed cells",
                 "can not serialize &#39;numpy.ndarray&#39; object",
                 "95% intervals are unavailable for it"):
        assert text in html, text
    for payload in PAYLOADS:
        assert f'<h3 id="payload-{payload}">' in html
    for info in env["codecs"].values():
        assert str(escape(info["call_path"])) in html
    assert 'class="warning"' not in html  # nothing suspect in this run
    assert "generated" not in html.lower()  # no generation timestamp


@pytest.mark.slow
def test_markdown_links_the_chart_files(report: list[Path]) -> None:
    md_path = report[1]
    md = md_path.read_text(encoding="utf-8")
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert links == [f"charts/{slug}.png" for slug in ALL_SLUGS]
    for link in links:
        assert (md_path.parent / link).is_file()
    assert "## Environment" in md and "## Summary per payload" in md
    assert "| measure | fastest codec | mean time | ratio to pickle |" in md
    assert "unsupported: encode: TypeError: can not serialize 'numpy.ndarray' object" in md
    assert md.count("### ") >= len(PAYLOADS) + len(SLUGS)


@pytest.mark.slow
def test_cli_report_leaves_the_results_alone_with_o(report: list[Path]) -> None:
    assert sorted(p.name for p in report[2].parent.iterdir()) == sorted(
        f"{s}.{ext}" for s in ALL_SLUGS for ext in ("png", "svg"))
    assert not (FIXTURE / "report.html").exists() and not (FIXTURE / "charts").exists()


def test_an_empty_run_still_reports(run: Run) -> None:
    empty = make_run(run.directory, run.environment, [])
    with chart_style():
        assert figures(empty) == []
    assert summary.summarize(empty) == [] and summary.problems(empty) == []
    html = render_html(empty, [])
    assert "This run has nothing to chart." in html and "0 cells" in html


# -- the format-1 golden tables ----------------------------------------------------------------

def report_tables(md: str) -> list[str]:
    """The headings and table lines of a report.md, outside its charts section."""
    out, in_charts = [], False
    for line in md.splitlines():
        if line.startswith("## "):
            in_charts = line == "## Charts"
        if line.startswith(("|", "#")) and not in_charts:
            out.append(line)
    return out


def test_format1_tables_match_the_golden_file(run: Run) -> None:
    md = render_markdown(run, [], FIXTURE)
    assert report_tables(md) == GOLDEN_TABLES.read_text(encoding="utf-8").splitlines()


def test_format1_tables_keep_every_figure_of_serbench_01(run: Run) -> None:
    # What changed since serbench 0.1's report, and only that: the answer (the verdict) comes
    # first and the environment below the summary; a "fastest" the t-test cannot separate from
    # the runner-up is a tie (both bold), the environment says the results format, each payload
    # gained a percentile table, and the run a fidelity matrix. Every 0.1 line is still there,
    # in order within its section, once the tie is read back as the codec it named.
    def plain(line: str) -> str:
        return re.sub(r"\| tie: ([^,|]+), [^|]+ \|", r"| \1 |", line.replace("**", ""))

    def sections(lines: list[str]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        heading = ""
        for line in lines:
            heading = line if line.startswith("## ") else heading
            out.setdefault(heading, []).append(line)
        return out

    new_lines = [plain(line) for line in report_tables(render_markdown(run, [], FIXTURE))]
    old_lines = [plain(line)
                 for line in GOLDEN_TABLES_V01.read_text(encoding="utf-8").splitlines()]
    new, old = sections(new_lines), sections(old_lines)
    assert set(old) <= set(new)
    for heading, lines in old.items():
        position = 0
        for line in lines:  # in order: a subsequence of the section's new lines
            assert line in new[heading][position:], line
            position = new[heading].index(line, position) + 1
    verdict = set(new.pop("## The answer: which codec, per payload"))
    added = {line for lines in new.values() for line in lines} - set(old_lines)
    fidelity_section = set(new["## Fidelity: what each codec round-trips"])
    assert len(fidelity_section) == 3 + len(run.codecs)
    assert verdict and {line for line in added if not line.startswith(
        ("| codec | transport | p50 |", "|---|---|---|---|---|---|---|---|", "| Results format"))
        and not re.match(r"\| [\w-]+( \(transport floor\))? \| (tcp|uds) \| ", line)
        and line not in fidelity_section} == set()


@pytest.mark.slow
def test_format1_fixture_renders_with_intervals_unavailable(report: list[Path]) -> None:
    md = report[1].read_text(encoding="utf-8")
    assert "95% intervals are unavailable for it" in md
    assert "| Results format | 1 (no 95% intervals" in md
    assert report_tables(md) == GOLDEN_TABLES.read_text(encoding="utf-8").splitlines()
    assert "suspect" not in md.lower() and not (report[2].parent / "drift.png").exists()
    # p99.9 from 100 requests without an interval is flagged, with each cell's sample count.
    assert "| pickle | tcp | 15.4 µs | 16.2 µs | 22.8 µs | 83.3 µs † | 90 µs | 100 |" in md
    assert "† p99.9 from fewer than 10,000 requests" in md


# -- results format 2: a run built here --------------------------------------------------------

def test_v2_ratios_carry_their_intervals_in_tables(v2: Run) -> None:
    md = render_markdown(v2, [], v2.directory)
    # Significant: the interval excludes 1; "≈": it includes 1.
    assert f"50 µs · 1.25{X} [1.19, 1.31] |" in md
    assert f"50 µs · 0.97{X} [0.90, 1.05] ≈ |" in md
    assert (f"| round trip (tcp) | fast ⚠ suspect | 30 µs [29.1, 30.9] | 0.75{X} [0.71, 0.79] |"
            in md)
    assert "95% confidence interval with the worker process as the unit" in md
    html = render_html(v2, [])
    assert f"1.25{X} [1.19, 1.31]" in html and f"0.97{X} [0.90, 1.05] ≈" in html


def test_v2_suspect_banner_and_marks(v2: Run) -> None:
    md = render_markdown(v2, [], v2.directory)
    lines = md.splitlines()
    assert lines[2].startswith("> **⚠ This run is suspect")  # right under the title
    assert f"> - fast roundtrip/tcp/small-1: {SUSPECT_WHY}" in lines
    section = summary_part(md, "small-1")
    assert f"30 µs · 0.75{X} [0.71, 0.79] ⚠ suspect" in section  # the every-codec table
    assert "| fast ⚠ suspect | tcp |" in section  # the percentile table
    html = render_html(v2, [])
    assert html.index('<div class="warning" id="suspect">') < html.index("<h2")
    assert html.count('<td class="suspect">') + html.count('<td class="best suspect">') >= 3
    with chart_style():
        made = {slug: fig for slug, _, _, fig in figures(v2)}
    texts = {slug: [t.get_text() for t in fig.findobj(
        lambda a: hasattr(a, "get_text"))] for slug, fig in made.items()}
    for slug in ("roundtrip-ratio", "heatmap", "time-split", "latency-percentiles"):
        assert any("⚠" in t for t in texts[slug]), slug


def test_v2_unflagged_run_has_no_banner(v2: Run) -> None:
    clean = with_cells(v2, {("fast", "roundtrip/tcp", "small-1"): {"suspect": ""}})
    clean = dataclasses.replace(clean, environment=clean.environment | {"suspect": []})
    md = render_markdown(clean, [], v2.directory)
    assert "suspect" not in md.lower()
    assert 'class="warning"' not in render_html(clean, [])
    with chart_style():
        made = figures(clean)
    assert not any("suspect" in caption for _, _, caption, _ in made)
    # A run-level reason alone (no flagged cell) still raises the banner.
    worried = dataclasses.replace(clean, environment=clean.environment | {
        "suspect": ["pickle drifted 12% over the run"]})
    lines = render_markdown(worried, [], v2.directory).splitlines()
    assert lines[2].startswith("> **⚠ This run is suspect")
    assert "> - pickle drifted 12% over the run" in lines


def test_v2_p999_interval_or_flag(v2: Run) -> None:
    md = render_markdown(v2, [], v2.directory)
    section = summary_part(md, "big-1")
    # 20 000 samples with an interval; 500 with an interval; 500 without: flagged.
    assert "| pickle | tcp | 36 µs | 44 µs | 60 µs | 80 µs [70, 95] | 120 µs | 20,000 |" in section
    assert "| msgpack | tcp | 45 µs | 55 µs | 75 µs | 100 µs [90, 130] | 150 µs | 500 |" in section
    assert "| fast | tcp | 27 µs | 33 µs | 45 µs | 60 µs † | 90 µs | 500 |" in section
    assert "† p99.9 from fewer than 10,000 requests" in section
    profiles = {p.codec: p for p in analysis_latency.latency_profiles(v2) if p.payload == "big-1"}
    assert [profiles[c].p999_flagged for c in ("pickle", "msgpack", "fast")] == [
        False, False, True]


def test_v2_environment_block_shows_rounds_budget_drift_and_precision(v2: Run) -> None:
    md = render_markdown(v2, [], v2.directory)
    assert "| Results format | 2 (interleaved rounds; 95% intervals" in md
    assert "| Rounds | 4 of 4 planned completed (order seed 7) |" in md
    assert "| Time budget | 600 s |" in md
    assert ("| Drift | pickle's time moved +2.0% from round 1 to round 4 (rounds ranged -1.0% "
            "to +2.0% from round 1) |") in md
    assert "| Precision | half-width of the 95% ratio intervals: median ±3.1%, widest ±12.4% |" \
        in md


def test_html_escapes_names_from_plugins(v2: Run) -> None:
    evil = "<script>x</script>"
    cells = [dataclasses.replace(c, codec=evil) if c.codec == "msgpack" else c
             for c in v2.cells]
    cells = [dataclasses.replace(c, payload="<b>p</b>") if c.payload == "mid-1" else c
             for c in cells]
    run = make_run(v2.directory, v2.environment, cells)
    html = render_html(run, [])
    assert "<script" not in html and "<b>p</b>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "&lt;b&gt;p&lt;/b&gt;" in html
    md = render_markdown(run, [], v2.directory)
    assert "<script" not in md and "&lt;script>x&lt;/script>" in md


def test_html_is_rendered_from_the_packaged_template() -> None:
    import serbench.report

    template = Path(serbench.report.__file__).parent / "templates" / "report.html.j2"
    assert template.is_file()
    source = (Path(serbench.report.__file__).parent / "html.py").read_text()
    assert "PackageLoader" in source and "autoescape=True" in source
