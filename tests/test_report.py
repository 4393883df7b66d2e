"""The report: the data behind every chart (from the checked-in small run, results format 1, and
a format-2 run built here), the chart files, the HTML and Markdown, byte-identical
regeneration, the golden tables of the format-1 run, and clear errors for missing, corrupt or
too-new files."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
import re
import shutil
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import assert_one_line_error, run_serbench
from markupsafe import escape

from serbench.report import analysis, build_report, load_run, summary
from serbench.report.chart_files import CHARTS, figures
from serbench.report.data import CellResult, Run, make_run
from serbench.report.html import render_html
from serbench.report.markdown import render_markdown
from serbench.report.style import chart_style, codec_colours, png_bytes
from serbench.report.text import TIMES as X
from serbench.report.transport_cost import floor_points, round_trip_cost
from serbench.results.files import ResultsError
from serbench.stats.significance import (
    BY_DEFINITION,
    BY_T_TEST,
    is_significant,
    reference_ratio,
    unpaired_ratio,
)

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE = FIXTURES / "results-small"
#: The format-1 fixture's report.md tables (and headings) as this report draws them, and as
#: serbench 0.1's report drew them before intervals, ties and percentile tables.
GOLDEN_TABLES = FIXTURES / "golden" / "results-small-report-tables.md"
GOLDEN_TABLES_V01 = FIXTURES / "golden" / "results-small-report-tables-v0.1.md"
CODECS = ("pickle", "msgpack", "msgspec-json", "null")
PAYLOADS = ("records-1", "records-10", "records-100", "numpy-100", "objects-2")
UNSUPPORTED = {("msgpack", "numpy-100"), ("msgpack", "objects-2"), ("msgspec-json", "numpy-100")}
LOSSY = {("msgspec-json", "objects-2")}
SLUGS = ["roundtrip-ratio", "latency-percentiles", "throughput", "sizes", "time-split",
         "heatmap", "fidelity", "size-sweep-records"]


@pytest.fixture(scope="module")
def run() -> Run:
    return load_run(FIXTURE)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The fixture's report, made once for the module by `serbench report DIR -o OUT`."""
    out = tmp_path_factory.mktemp("report")
    proc = run_serbench("report", str(FIXTURE), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert str(out / "report.html") in proc.stdout and "8 charts" in proc.stdout
    html, md = out / "report.html", out / "report.md"
    return [html, md, *(out / "charts" / f"{s}.{ext}" for s in SLUGS for ext in ("png", "svg"))]


def copy_fixture(tmp_path: Path) -> Path:
    target = tmp_path / "results"
    shutil.copytree(FIXTURE, target)
    return target


def with_cells(run: Run, change: dict[tuple[str, str, str], dict[str, Any]]) -> Run:
    """The run with some cells' fields replaced (key: codec, measure, payload)."""
    cells = [dataclasses.replace(c, **change.get((c.codec, c.measure, c.payload), {}))
             for c in run.cells]
    return make_run(run.directory, run.environment, cells)


# -- loading ----------------------------------------------------------------------------------

def test_load_orders_codecs_payloads_and_measures(run: Run) -> None:
    assert run.codecs == CODECS  # the reference first, the transport floor last
    assert run.payloads == PAYLOADS
    assert run.measures == ("roundtrip/tcp", "roundtrip/uds", "stream/tcp", "stream/uds",
                            "encode", "decode")
    assert run.reference == "pickle"
    assert run.ranked_codecs == CODECS[:3]
    assert len(run.cells) == len(CODECS) * len(PAYLOADS) * len(run.measures)


def test_every_measured_cell_has_its_pyperf_values(run: Run) -> None:
    rows = list(csv.DictReader(io.StringIO((FIXTURE / "summary.csv").read_text())))
    for row, cell in zip(rows, run.cells, strict=True):
        assert (cell.codec, cell.payload, cell.status) == (row["codec"], row["payload"],
                                                           row["status"])
        if cell.status == "ok":
            assert len(cell.values) == 4  # 2 processes x 2 values
            assert cell.mean_s == pytest.approx(sum(cell.values) / 4)
        else:
            assert cell.values == () and cell.mean_s is None
    suite = json.loads((FIXTURE / "pickle.json").read_text())
    names = {b["metadata"]["name"] for b in suite["benchmarks"]}
    assert {c.benchmark for c in run.cells if c.codec == "pickle"} == names


def test_tidy_records(run: Run) -> None:
    records = run.records()
    assert len(records) == len(run.cells)
    first = records[0]
    assert first["codec"] == "pickle" and first["measure"] == "roundtrip/tcp"
    assert first["rankable"] is True and len(first["values"]) == 4


def test_fidelity_classes_and_rankability(run: Run) -> None:
    for cell in run.cells:
        key = (cell.codec, cell.payload)
        expected = "unsupported" if key in UNSUPPORTED else "lossy" if key in LOSSY else "exact"
        assert cell.fidelity == expected, key
        assert cell.rankable == (key not in UNSUPPORTED)
        assert cell.status == ("skipped" if key in UNSUPPORTED else "ok")


# -- significance -----------------------------------------------------------------------------

def test_significance_is_pyperfs_t_test_without_its_private_api() -> None:
    from scipy import stats

    a, b = [1.0, 1.1, 0.9, 1.0], [2.0, 2.1, 1.9, 2.05]
    significant, t = is_significant(a, b)
    # Equal counts: Student's t with pooled variance, as pyperf (and scipy's default).
    assert significant is True and t == pytest.approx(float(stats.ttest_ind(a, b).statistic))
    assert is_significant(a, [1.05, 0.95, 1.0, 1.02])[0] is False
    assert is_significant([1.0], [2.0]) == (None, None)  # unknown, never "significant"
    assert is_significant([1.0, 1.0], [1.0, 1.0]) == (False, None)
    assert is_significant([1.0, 1.0], [2.0, 2.0]) == (True, None)
    c = [2.0, 2.1, 1.9]
    significant, t = is_significant(a, c)  # unequal counts: Welch
    assert significant is True and t == pytest.approx(
        float(stats.ttest_ind(a, c, equal_var=False).statistic))
    source = (Path(__file__).parent.parent / "serbench" / "stats" / "significance.py")
    assert "pyperf._utils" not in source.read_text()


def test_format1_ratio_is_the_ratio_of_means_with_the_t_test(run: Run) -> None:
    base = run.cell("pickle", "roundtrip/tcp", "records-100")
    other = run.cell("msgspec-json", "roundtrip/tcp", "records-100")
    assert base and other and base.mean_s and other.mean_s
    r = reference_ratio(other, base, run.has_intervals)
    assert r is not None and r == unpaired_ratio(base, other)
    assert r.value == pytest.approx(other.mean_s / base.mean_s)
    assert r.low is None and r.high is None and r.basis == BY_T_TEST  # no interval in format 1
    assert r.significant == is_significant(base.values, other.values)[0]
    itself = reference_ratio(base, base, run.has_intervals)
    assert itself is not None and (itself.value, itself.significant) == (1.0, False)
    assert itself.basis == BY_DEFINITION


# -- the data behind each chart ---------------------------------------------------------------

def test_chart1_ratio_data(run: Run) -> None:
    points = analysis.reference_ratios(run, "roundtrip")
    assert len(points) == len(CODECS) * len(PAYLOADS) * 2
    for p in points:
        if (p.codec, p.payload) in UNSUPPORTED:
            assert p.ratio is None and p.reason == "unsupported"
            continue
        assert p.ratio is not None and p.reason == ""
        base, cell = run.cell("pickle", p.measure, p.payload), run.cell(p.codec, p.measure,
                                                                         p.payload)
        assert base and cell and base.mean_s and cell.mean_s
        assert p.ratio.value == pytest.approx(cell.mean_s / base.mean_s)
        if p.codec == "pickle":
            assert p.ratio.value == 1.0 and p.ratio.significant is False
    assert {p.measure for p in points} == {"roundtrip/tcp", "roundtrip/uds"}


def test_chart2_percentile_data(run: Run) -> None:
    profiles = analysis.latency_profiles(run)
    assert {(p.codec, p.payload) for p in profiles} == {
        (c, p) for c in CODECS for p in PAYLOADS} - UNSUPPORTED
    for profile in profiles:
        labels = [k for k, _ in profile.percentiles]
        values = [v for _, v in profile.percentiles]
        assert labels == ["p50", "p90", "p99", "p99.9", "max"]
        assert values == sorted(values) and values[0] > 0
        cell = run.cell(profile.codec, profile.measure, profile.payload)
        assert cell is not None and values[0] == cell.p50_s and values[-1] == cell.max_s


def test_chart3_throughput_data(run: Run) -> None:
    rates = analysis.throughputs(run)
    assert len(rates) == 2 * (len(CODECS) * len(PAYLOADS) - len(UNSUPPORTED))
    for rate in rates:
        cell = run.cell(rate.codec, rate.measure, rate.payload)
        assert cell is not None and cell.mean_s and cell.encoded_bytes
        assert rate.msgs_per_s == pytest.approx(1 / cell.mean_s)
        assert rate.mb_per_s == pytest.approx(cell.encoded_bytes * rate.msgs_per_s / 1e6)


def test_chart4_size_data(run: Run) -> None:
    found = {(s.codec, s.payload): s for s in analysis.sizes(run)}
    assert set(found) == {(c, p) for c in CODECS[:3] for p in PAYLOADS} - UNSUPPORTED
    assert not any(codec == "null" for codec, _ in found)  # it ships pickle's bytes
    records = [found["pickle", p].encoded_bytes for p in PAYLOADS[:3]]
    assert records == sorted(records) and records[0] < records[-1]
    for size in found.values():
        assert size.zlib_bytes is not None and size.zlib_bytes > 0


def test_chart5_time_split_data(run: Run) -> None:
    splits = analysis.time_splits(run)
    assert {(s.codec, s.payload) for s in splits} == {
        (c, p) for c in CODECS[:3] for p in PAYLOADS} - UNSUPPORTED
    assert len(splits) == 2 * len({(s.codec, s.payload) for s in splits})
    for s in splits:
        enc, dec = run.cell(s.codec, "encode", s.payload), run.cell(s.codec, "decode", s.payload)
        trip = run.cell(s.codec, f"roundtrip/{s.transport}", s.payload)
        floor = run.cell("null", f"roundtrip/{s.transport}", s.payload)
        assert enc and dec and trip and floor and trip.encoded_bytes
        assert s.codec_s == pytest.approx(2 * ((enc.mean_s or 0) + (dec.mean_s or 0)))
        assert s.roundtrip_s == trip.mean_s and s.request_bytes == trip.encoded_bytes
        assert s.codec_s + s.transport_s + s.remainder_s == pytest.approx(s.roundtrip_s)
        # Transport at the codec's own size: null's own figure where the sizes match
        # (pickle: null ships pickle's bytes), else read off the null cells across payloads.
        if s.codec == "pickle":
            assert (s.transport_s, s.transport_how) == (floor.mean_s, "measured")
        else:
            cost = round_trip_cost(floor_points(run, trip.measure), trip.encoded_bytes)
            assert cost is not None and (s.transport_s, s.transport_how) == (cost.seconds,
                                                                             cost.how)
            assert s.transport_how != "measured"
    assert {s.fidelity for s in splits if s.payload == "objects-2"} == {"exact", "lossy"}


def test_chart6_heatmap_data(run: Run) -> None:
    heat = analysis.heatmap(run)
    assert heat is not None
    assert heat.measure == "roundtrip/tcp"
    assert heat.codecs == CODECS[:3] and heat.payloads == PAYLOADS
    assert all(r is not None and r.value == 1.0 for r in heat.ratios[0])
    for i, codec in enumerate(heat.codecs):
        for j, payload in enumerate(heat.payloads):
            if (codec, payload) in UNSUPPORTED:
                assert heat.ratios[i][j] is None and heat.notes[i][j] == "unsupported"
            else:
                assert heat.ratios[i][j] is not None
                assert heat.notes[i][j] == ("lossy" if (codec, payload) in LOSSY else "")


def test_chart7_fidelity_data(run: Run) -> None:
    grid = analysis.fidelity_grid(run)
    assert grid.codecs == CODECS and grid.payloads == PAYLOADS
    msgpack = grid.classes[1]
    assert msgpack == ("exact", "exact", "exact", "unsupported", "unsupported")
    assert "numpy.ndarray" in grid.details[1][3]
    assert grid.classes[2][4] == "lossy" and grid.details[2][4]  # what was lost


def test_chart8_size_sweep_data(run: Run) -> None:
    (sweep,) = analysis.size_sweeps(run)
    assert sweep.name == "records"
    assert sweep.payloads == ("records-1", "records-10", "records-100")
    measures = {s.measure for s in sweep.series}
    assert measures == set(run.measures)
    for series in sweep.series:
        sizes = [x for x, _ in series.points]
        assert sizes == sorted(sizes) and len(sizes) == 3
        cell = run.cell(series.codec, series.measure, "records-100")
        assert cell is not None and series.points[-1] == (cell.reference_bytes, cell.mean_s)


def test_no_sweep_without_three_sizes(run: Run) -> None:
    cells = [c for c in run.cells if c.payload != "records-10"]
    assert analysis.size_sweeps(make_run(run.directory, run.environment, cells)) == []


def test_unsupported_and_wrong_cells_are_never_ranked(run: Run) -> None:
    # A timed row with a "wrong" class (say, hand-edited or from an old run) and a tiny time
    # must not win anything, nor appear in any chart's data.
    fake = {"fidelity": "wrong", "mean_s": 1e-9, "stdev_s": 1e-10, "p50_s": 1e-9,
            "values": (1e-9, 1e-9, 1e-9, 1e-9)}
    cheat = with_cells(run, {("msgpack", m, "records-100"): fake for m in run.measures})
    for payload in summary.summarize(cheat):
        for best in payload.best:
            assert "null" not in best.codecs
            assert (best.codec, payload.payload) not in UNSUPPORTED
            assert not (best.codec == "msgpack" and payload.payload == "records-100")
    assert all(not (p.codec == "msgpack" and p.payload == "records-100" and p.ratio)
               for p in analysis.reference_ratios(cheat))
    heat = analysis.heatmap(cheat)
    assert heat is not None and heat.ratios[1][2] is None and heat.notes[1][2] == "wrong"
    assert ("msgpack", "records-100") not in {(s.codec, s.payload) for s in analysis.sizes(cheat)}
    assert ("msgpack", "records-100") not in {(s.codec, s.payload)
                                              for s in analysis.time_splits(cheat)}
    assert ("msgpack", "records-100") not in {(t.codec, t.payload)
                                              for t in analysis.throughputs(cheat)}


def test_summary_per_payload(run: Run) -> None:
    summaries = {s.payload: s for s in summary.summarize(run)}
    assert list(summaries) == list(PAYLOADS)
    numpy = summaries["numpy-100"]
    assert {b.codec for b in numpy.best} == {"pickle"}  # the only contender left
    assert all(b.tied_with == "" and b.separated for b in numpy.best)
    for payload in summaries.values():
        assert [b.measure for b in payload.best] == list(run.measures)
        for best in payload.best:
            contenders = sorted((c.mean_s, c.codec) for name in CODECS[:3]
                                if (c := run.cell(name, best.measure, payload.payload))
                                and c.rankable and c.mean_s)
            assert (best.mean_s, best.codec) == contenders[0] and best.codec != "null"
            if len(contenders) > 1:  # format 1: the t-test on values against the runner-up
                a = run.cell(best.codec, best.measure, payload.payload)
                b = run.cell(contenders[1][1], best.measure, payload.payload)
                assert a and b
                separated = is_significant(a.values, b.values)[0]
                assert best.separated == separated
                assert best.tied_with == ("" if separated else contenders[1][1])


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


def test_problems_group_skipped_cells(run: Run) -> None:
    problems = summary.problems(run)
    assert {(p.codec, p.payload) for p in problems} == UNSUPPORTED
    for p in problems:
        assert p.status == "skipped" and len(p.measures) == 6
        assert p.reason.startswith("unsupported: encode: ")


def test_tail_ratios(run: Run) -> None:
    tails = analysis.tail_ratios(run)
    assert len(tails) == 2 * (len(CODECS) * len(PAYLOADS) - len(UNSUPPORTED))
    assert all(t.p99_over_p50 >= 1.0 for t in tails)


def test_codec_colours_are_stable() -> None:
    first = codec_colours(["pickle", "msgpack", "mine", "other"])
    second = codec_colours(["other", "msgpack", "pickle", "mine", "extra"])
    assert first["pickle"] == second["pickle"] and first["msgpack"] == second["msgpack"]
    assert first == codec_colours(["other", "mine", "msgpack", "pickle"])  # order-free
    assert len(set(second.values())) == len(second)


# -- the files --------------------------------------------------------------------------------

def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.slow
def test_every_chart_renders(report: list[Path]) -> None:
    import matplotlib.image

    html, md, *charts = report
    assert html.name == "report.html" and md.name == "report.md"
    assert [p.stem for p in charts[::2]] == SLUGS and [p.stem for p in charts[1::2]] == SLUGS
    # Every chart but the drift one (format 1 has no rounds), plus the size sweep.
    assert [slug for slug, *_ in CHARTS if slug != "drift"] == SLUGS[:-1]
    for png, svg in zip(charts[::2], charts[1::2], strict=True):
        assert png.parent.name == "charts" and png.suffix == ".png" and svg.suffix == ".svg"
        data = png.read_bytes()
        width, height = png_size(data)
        assert width >= 600 and height >= 250, png
        assert len(data) > 20_000, png
        pixels = matplotlib.image.imread(png)
        assert pixels.shape[:2] == (height, width)
        assert pixels.std() > 0.05, f"{png} is nearly blank"
        text = svg.read_text()
        assert text.lstrip().startswith("<?xml") and "<svg" in text and len(text) > 20_000


def test_charts_are_not_registered_with_pyplot(run: Run) -> None:
    with chart_style():
        made = figures(run)
    assert [slug for slug, *_ in made] == SLUGS
    for *_, fig in made:
        assert fig.canvas.manager is None  # a bare Figure: nothing to close, nothing leaks
    for module in (Path(__file__).parent.parent / "serbench").rglob("*.py"):
        source = module.read_text()  # object API only
        assert not re.search(r"import\s+matplotlib\.pyplot|from\s+matplotlib\s+import\s+pyplot",
                             source), module


@pytest.mark.slow
def test_png_bytes_are_stable(run: Run) -> None:
    with chart_style():
        (fig_a,), (fig_b,) = ([f for slug, *_, f in figures(run) if slug == "heatmap"]
                              for _ in range(2))
        assert png_bytes(fig_a) == png_bytes(fig_b)


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
    assert html.count('<img src="data:image/png;base64,') == len(SLUGS)
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
    assert links == [f"charts/{slug}.png" for slug in SLUGS]
    for link in links:
        assert (md_path.parent / link).is_file()
    assert "## Environment" in md and "## Summary per payload" in md
    assert "| measure | fastest codec | mean time | ratio to pickle |" in md
    assert "unsupported: encode: TypeError: can not serialize 'numpy.ndarray' object" in md
    assert md.count("### ") >= len(PAYLOADS) + len(SLUGS)


def test_a_run_without_pickle_or_null_still_reports(run: Run) -> None:
    cells = [c for c in run.cells if c.codec in ("msgpack", "msgspec-json")]
    partial = make_run(run.directory, run.environment, cells)
    assert partial.reference is None
    with chart_style():
        slugs = [slug for slug, *_ in figures(partial)]
    # No reference: no ratio charts; no null codec: no time split.
    assert slugs == ["latency-percentiles", "throughput", "sizes", "fidelity",
                     "size-sweep-records"]
    md = render_markdown(partial, [], run.directory)
    assert "ratio to reference" in md and "This run has nothing to chart." in md


def test_failed_cells_are_listed_with_their_reason(tmp_path: Path) -> None:
    results = copy_fixture(tmp_path)
    text = (results / "summary.csv").read_text()
    lines = text.splitlines()
    header = lines[0].split(",")
    for i, line in enumerate(lines):
        if line.startswith("msgpack,roundtrip,tcp,records-100,ok,"):
            fields = next(csv.reader([line]))
            row = dict(zip(header, fields, strict=True))
            for key in ("mean_s", "stdev_s", "p50_s", "p90_s", "p99_s", "p999_s", "max_s",
                        "samples", "values"):
                row[key] = ""
            row["status"], row["detail"] = "failed", "exit code 1: server vanished"
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator="").writerow([row[k] for k in header])
            lines[i] = buffer.getvalue()
    (results / "summary.csv").write_text("\n".join(lines) + "\n")
    run = load_run(results)
    (problem,) = [p for p in summary.problems(run) if p.status == "failed"]
    assert (problem.codec, problem.payload, problem.measures) == (
        "msgpack", "records-100", ("roundtrip/tcp",))
    assert problem.reason == "exit code 1: server vanished"
    heat = analysis.heatmap(run)
    assert heat is not None and heat.notes[1][2] == "failed"
    assert "exit code 1: server vanished" in render_html(run, [])


# -- errors -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_cli_report_leaves_the_results_alone_with_o(report: list[Path]) -> None:
    assert sorted(p.name for p in report[2].parent.iterdir()) == sorted(
        f"{s}.{ext}" for s in SLUGS for ext in ("png", "svg"))
    assert not (FIXTURE / "report.html").exists() and not (FIXTURE / "charts").exists()


@pytest.mark.parametrize(("damage", "name", "why"), [
    (lambda d: (d / "summary.csv").unlink(), "summary.csv", "missing"),
    (lambda d: (d / "summary.csv").write_text("codec,scenario\npickle,encode\n"), "summary.csv",
     "corrupt"),
    (lambda d: (d / "summary.csv").write_text(
        (d / "summary.csv").read_text().replace(",ok,", ",ok,x", 1)), "summary.csv",
     "not a number"),
    (lambda d: (d / "environment.json").unlink(), "environment.json", "missing"),
    (lambda d: (d / "environment.json").write_text("{not json"), "environment.json", "corrupt"),
    (lambda d: (d / "pickle.json").unlink(), "pickle.json", "missing"),
    (lambda d: (d / "msgpack.json").write_text('{"version": "1.0", "benchmarks": [{'),
     "msgpack.json", "corrupt"),
])
def test_cli_report_names_a_missing_or_corrupt_file(
        tmp_path: Path, damage: Callable[[Path], object], name: str, why: str) -> None:
    results = copy_fixture(tmp_path)
    damage(results)
    proc = run_serbench("report", str(results))
    assert_one_line_error(proc, str(results / name), why)


def test_cli_report_on_a_missing_directory(tmp_path: Path) -> None:
    proc = run_serbench("report", str(tmp_path / "nowhere"))
    assert_one_line_error(proc, str(tmp_path / "nowhere"), "no such results directory")


def test_load_run_error_is_a_results_error(tmp_path: Path) -> None:
    results = copy_fixture(tmp_path)
    suite = json.loads((results / "null.json").read_text())
    suite["benchmarks"] = suite["benchmarks"][1:]
    (results / "null.json").write_text(json.dumps(suite))
    with pytest.raises(ResultsError, match=r"null\.json: corrupt, has no benchmark"):
        load_run(results)


def test_cells_have_every_summary_column() -> None:
    from serbench.results.files import COLUMNS

    fields = {f.name for f in dataclasses.fields(CellResult)}
    # `values` and `process_means` come from the pyperf suites (summary.csv's `values` is a
    # count); every other field is a column.
    assert fields - {"values", "process_means"} == set(COLUMNS) - {"values"}


def test_an_empty_run_still_reports(run: Run) -> None:
    empty = make_run(run.directory, run.environment, [])
    with chart_style():
        assert figures(empty) == []
    assert summary.summarize(empty) == [] and summary.problems(empty) == []
    html = render_html(empty, [])
    assert "This run has nothing to chart." in html and "0 cells" in html


# -- the format-1 golden tables -----------------------------------------------------------------

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
    # What changed since serbench 0.1's report, and only that: a "fastest" the t-test cannot
    # separate from the runner-up is a tie (both bold), the environment says the results
    # format, each payload gained a percentile table, and the run a fidelity matrix. Every 0.1
    # line is still there once the tie is read back as the codec it named.
    def plain(line: str) -> str:
        return re.sub(r"\| tie: ([^,|]+), [^|]+ \|", r"| \1 |", line.replace("**", ""))

    new = [plain(line) for line in report_tables(render_markdown(run, [], FIXTURE))]
    old = [plain(line) for line in GOLDEN_TABLES_V01.read_text(encoding="utf-8").splitlines()]
    position = 0
    for line in old:  # in order: a subsequence of the new lines
        assert line in new[position:], line
        position = new.index(line, position) + 1
    added = set(new) - set(old)
    start = new.index("## Fidelity: what each codec round-trips")
    fidelity_section = set(new[start:start + 3 + len(run.codecs)])
    assert len(fidelity_section) == 3 + len(run.codecs)
    assert {line for line in added if not line.startswith(
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


# -- results format 2: a run built here ---------------------------------------------------------

V2_CODECS = ("pickle", "msgpack", "fast", "null")
V2_PAYLOADS = ("small-1", "mid-1", "big-1")
#: null ships pickle's bytes: its encoded size per payload, and a transport cost that grows as
#: the square root of the size, so log-log interpolation between its cells is exact.
NULL_BYTES = {"small-1": 100, "mid-1": 400, "big-1": 10_000}


def null_trip_s(size: float) -> float:
    return 10e-6 * math.sqrt(size / 100)


SUSPECT_WHY = "faster than the null floor beyond its interval (0.70x [0.62, 0.79])"
DRIFT = [1.0, 1.01, 0.99, 1.02]


def v2_row(codec: str, measure: str, payload: str, **extra: Any) -> dict[str, Any]:
    scenario, _, transport = measure.partition("/")
    encoded = {"msgpack": {"small-1": 90, "mid-1": 1000, "big-1": 9000},
               "fast": {"small-1": 120, "mid-1": 1000, "big-1": 12_000}}.get(
        codec, NULL_BYTES)[payload]
    base = {"pickle": 40e-6, "msgpack": 50e-6, "fast": 30e-6, "null": 12e-6}[codec]
    if scenario in ("encode", "decode"):
        base /= 10
    elif codec == "null":
        base = null_trip_s(encoded)
    row: dict[str, Any] = {
        "codec": codec, "scenario": scenario, "transport": transport, "payload": payload,
        "status": "ok", "mean_s": base, "stdev_s": base / 20, "encoded_bytes": encoded,
        "reply_bytes": encoded, "fidelity": "exact", "values": 8, "processes": 4,
        "mean_lo_s": base * 0.97, "mean_hi_s": base * 1.03, "payload_spec": payload,
        "benchmark": f"{measure}/{payload}", "library": codec, "version": "1",
        "ratio_rounds": 4, "rank": {"fast": 1, "pickle": 2, "msgpack": 3}.get(codec),
    }
    if codec == "pickle":
        row.update(ratio=1.0)
    else:
        ratio = base / {"roundtrip": 40e-6, "encode": 4e-6, "decode": 4e-6}[scenario]
        row.update(ratio=ratio, ratio_lo=ratio * 0.95, ratio_hi=ratio * 1.05)
    if scenario == "roundtrip":
        row.update(p50_s=base * 0.9, p90_s=base * 1.1, p99_s=base * 1.5, p999_s=base * 2,
                   max_s=base * 3, samples=500)
    return row | extra


def v2_rows() -> list[dict[str, Any]]:
    rows = [v2_row(c, m, p) for c in V2_CODECS for m in ("roundtrip/tcp", "encode", "decode")
            for p in V2_PAYLOADS]
    special: dict[tuple[str, str, str], dict[str, Any]] = {
        # A round trip that ties: fast is first but its interval against pickle, the
        # runner-up, includes 1 (and its reply frame is larger than its request).
        ("fast", "roundtrip/tcp", "mid-1"): {"tied_with": "pickle", "reply_bytes": 4000,
                                             "ratio_lo": 0.55, "ratio_hi": 1.02},
        # A ratio whose interval includes 1.
        ("msgpack", "roundtrip/tcp", "small-1"): {"ratio": 0.97, "ratio_lo": 0.9,
                                                  "ratio_hi": 1.05},
        # The floor check failed here.
        ("fast", "roundtrip/tcp", "small-1"): {"suspect": SUSPECT_WHY},
        # p99.9: with its interval from enough samples, and with one from too few.
        ("pickle", "roundtrip/tcp", "big-1"): {"samples": 20_000, "p999_lo_s": 70e-6,
                                               "p999_hi_s": 95e-6},
        ("msgpack", "roundtrip/tcp", "big-1"): {"p999_lo_s": 90e-6, "p999_hi_s": 130e-6},
    }
    for row in rows:
        measure = "/".join(filter(None, (row["scenario"], row["transport"])))
        row.update(special.get((row["codec"], measure, row["payload"]), {}))
    return rows


def v2_environment() -> dict[str, Any]:
    env = json.loads((FIXTURE / "environment.json").read_text())
    env["matrix"]["codecs"] = list(V2_CODECS)
    env.update(format_version=2, drift={"reference": "pickle", "per_round": DRIFT},
               rounds={"planned": 4, "completed": 4, "time_budget_s": 600.0, "seed": 7},
               suspect=[f"fast roundtrip/tcp/small-1: {SUSPECT_WHY}"],
               precision={"median_ratio_half_width": 0.031, "max_ratio_half_width": 0.124},
               measured_beside_other_run=False)
    return env


def write_v2_run(directory: Path) -> Path:
    """A results directory of format 2: summary.csv, environment.json and pyperf suites whose
    runs carry `serbench_round` (4 rounds, 2 values a worker)."""
    import pyperf

    from serbench.results import files as results

    rows = v2_rows()
    results.write_summary(directory, rows)
    results.write_environment(directory, v2_environment())
    for codec in V2_CODECS:
        benches = []
        for row in (r for r in rows if r["codec"] == codec):
            mean = row["mean_s"]
            runs = [pyperf.Run([mean * (1 + d), mean * (1 - d)], collect_metadata=False,
                               metadata={"name": row["benchmark"], "loops": 10, "unit": "second",
                                         "serbench_round": r})
                    for r, d in enumerate((0.01, 0.02, 0.015, 0.005), 1)]
            benches.append(pyperf.Benchmark(runs))
        buffer = io.StringIO()
        pyperf.BenchmarkSuite(benches).dump(buffer, compact=False)
        results.suite_path(directory, codec).write_text(buffer.getvalue())
    return directory


@pytest.fixture(scope="module")
def v2(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return load_run(write_v2_run(tmp_path_factory.mktemp("v2")))


def test_v2_loads_the_interval_columns(v2: Run) -> None:
    assert v2.format_version == 2 and v2.has_intervals
    cell = v2.cell("msgpack", "roundtrip/tcp", "small-1")
    assert cell is not None and cell.processes == 4 and cell.rank == 3
    interval = cell.ratio_interval
    assert interval is not None and (interval.estimate, interval.low, interval.high) == (
        0.97, 0.9, 1.05)
    assert len(cell.process_means) == 4 and len(cell.values) == 8
    pickle = v2.cell("pickle", "roundtrip/tcp", "small-1")
    assert pickle is not None and pickle.ratio == 1.0 and pickle.ratio_lo is None


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


def test_v2_ratio_chart_data_uses_the_interval_columns(v2: Run) -> None:
    points = {(p.codec, p.payload): p.ratio for p in analysis.reference_ratios(v2)}
    msgpack = points["msgpack", "small-1"]
    assert msgpack is not None and (msgpack.value, msgpack.low, msgpack.high) == (0.97, 0.9, 1.05)
    assert msgpack.significant is False  # interval includes 1: hatched
    fast = points["fast", "big-1"]
    assert fast is not None and fast.significant is True and fast.basis == "interval"
    tied = points["fast", "mid-1"]
    assert tied is not None and tied.significant is False
    null = points["null", "big-1"]
    assert null is not None and null.value == pytest.approx(null_trip_s(10_000) / 40e-6)


def test_v2_tie_or_fastest(v2: Run) -> None:
    best = {(p.payload, b.measure): b for p in summary.summarize(v2) for b in p.best}
    tie = best["mid-1", "roundtrip/tcp"]
    assert (tie.codec, tie.tied_with, tie.separated) == ("fast", "pickle", False)
    clear = best["mid-1", "encode"]
    assert (clear.codec, clear.tied_with, clear.separated) == ("fast", "", True)
    md = render_markdown(v2, [], v2.directory)
    section = md.split("### mid-1")[1].split("###")[0]
    assert "| round trip (tcp) | tie: fast, pickle |" in section
    assert "| encode | fast |" in section
    assert "| round trip (tcp) | fast |" not in section
    # Both codecs of the tie are bold in the every-codec table.
    assert f"**40 µs · 1.00{X} (ref)**" in section
    assert f"**30 µs · 0.75{X} [0.55, 1.02] ≈**" in section


def test_v2_suspect_banner_and_marks(v2: Run) -> None:
    md = render_markdown(v2, [], v2.directory)
    lines = md.splitlines()
    assert lines[2].startswith("> **⚠ This run is suspect")  # right under the title
    assert f"> - fast roundtrip/tcp/small-1: {SUSPECT_WHY}" in lines
    section = md.split("### small-1")[1].split("###")[0]
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
    section = md.split("### big-1")[1].split("###")[0]
    # 20 000 samples with an interval; 500 with an interval; 500 without: flagged.
    assert "| pickle | tcp | 36 µs | 44 µs | 60 µs | 80 µs [70, 95] | 120 µs | 20,000 |" in section
    assert "| msgpack | tcp | 45 µs | 55 µs | 75 µs | 100 µs [90, 130] | 150 µs | 500 |" in section
    assert "| fast | tcp | 27 µs | 33 µs | 45 µs | 60 µs † | 90 µs | 500 |" in section
    assert "† p99.9 from fewer than 10,000 requests" in section
    profiles = {p.codec: p for p in analysis.latency_profiles(v2) if p.payload == "big-1"}
    assert [profiles[c].p999_flagged for c in ("pickle", "msgpack", "fast")] == [
        False, False, True]


def test_v2_time_split_uses_transport_at_the_codecs_size(v2: Run) -> None:
    splits = {(s.codec, s.payload): s for s in analysis.time_splits(v2)}
    # pickle's size is null's: measured.
    assert splits["pickle", "mid-1"].transport_s == pytest.approx(null_trip_s(400))
    assert splits["pickle", "mid-1"].transport_how == "measured"
    # 1000 B lies between null's 400 B and 10 000 B: log-log interpolation, exact here.
    msgpack = splits["msgpack", "mid-1"]
    assert msgpack.transport_s == pytest.approx(null_trip_s(1000))
    assert msgpack.transport_how == "interpolated" and msgpack.request_bytes == 1000
    # A 1000 B request and a 4000 B reply: half a null round trip at each size.
    fast = splits["fast", "mid-1"]
    assert fast.transport_s == pytest.approx((null_trip_s(1000) + null_trip_s(4000)) / 2)
    assert (fast.request_bytes, fast.reply_bytes) == (1000, 4000)
    # Below null's smallest size: clamped to it; above its largest: extrapolated (slope 0.5).
    assert splits["msgpack", "small-1"].transport_s == pytest.approx(null_trip_s(100))
    assert splits["msgpack", "small-1"].transport_how == "clamped"
    assert splits["fast", "big-1"].transport_s == pytest.approx(null_trip_s(12_000))
    assert splits["fast", "big-1"].transport_how == "extrapolated"


def test_transport_cost_ends_and_slopes() -> None:
    from serbench.report.transport_cost import cost_at

    points = [(100, 10e-6), (1000, 10e-6 * 10)]  # slope 1: time proportional to size
    assert cost_at(points, 100) is not None
    assert cost_at([], 100) is None
    steep = [(100, 1e-6), (200, 8e-6)]  # slope 3 on the last segment: bounded to 1
    above = cost_at(steep, 400)
    assert above is not None and above.how == "extrapolated"
    assert above.seconds == pytest.approx(16e-6)
    falling = [(100, 8e-6), (200, 4e-6)]  # a falling segment: bounded to flat
    flat = cost_at(falling, 400)
    assert flat is not None and flat.seconds == pytest.approx(4e-6)
    single = cost_at([(100, 5e-6)], 1000)
    assert single is not None and (single.seconds, single.how) == (5e-6, "clamped")


def test_v2_environment_block_shows_rounds_budget_drift_and_precision(v2: Run) -> None:
    md = render_markdown(v2, [], v2.directory)
    assert "| Results format | 2 (interleaved rounds; 95% intervals" in md
    assert "| Rounds | 4 of 4 planned completed (order seed 7) |" in md
    assert "| Time budget | 600 s |" in md
    assert ("| Drift | pickle's time moved +2.0% from round 1 to round 4 (rounds ranged -1.0% "
            "to +2.0% from round 1) |") in md
    assert "| Precision | half-width of the 95% ratio intervals: median ±3.1%, widest ±12.4% |" \
        in md


@pytest.mark.slow
def test_v2_report_files_include_the_drift_chart(tmp_path: Path) -> None:
    results = write_v2_run(tmp_path / "v2")
    written = build_report(results)
    names = [p.name for p in written]
    assert "drift.png" in names and "drift.svg" in names
    md = (results / "report.md").read_text(encoding="utf-8")
    assert "![Drift across rounds](charts/drift.png)" in md
    with chart_style():
        drift = next(fig for slug, _, _, fig in figures(load_run(results)) if slug == "drift")
    (line, *_) = drift.axes[0].get_lines()
    assert list(line.get_ydata()) == DRIFT


def test_a_drift_with_missing_rounds_is_drawn_with_gaps(v2: Run) -> None:
    env = v2.environment | {"drift": {"reference": "pickle",
                                      "per_round": [1.0, float("nan"), 1.03]}}
    gappy = dataclasses.replace(v2, environment=env)
    assert "+3.0% from round 1 to round 3" in render_markdown(gappy, [], v2.directory)
    one = dataclasses.replace(v2, environment=v2.environment | {
        "drift": {"reference": "pickle", "per_round": [1.0]}})
    with chart_style():
        assert "drift" not in [slug for slug, *_ in figures(one)]


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


def test_a_newer_results_format_is_refused(tmp_path: Path) -> None:
    results = copy_fixture(tmp_path)
    env = json.loads((results / "environment.json").read_text())
    (results / "environment.json").write_text(json.dumps(env | {"format_version": 99}))
    with pytest.raises(ResultsError, match="newer serbench"):
        load_run(results)


def test_cli_report_refuses_a_newer_results_format(tmp_path: Path) -> None:
    results = copy_fixture(tmp_path)
    env = json.loads((results / "environment.json").read_text())
    (results / "environment.json").write_text(json.dumps(env | {"format_version": 3}))
    assert_one_line_error(run_serbench("report", str(results)), str(results),
                          "newer serbench", "format 3")
    assert not (results / "report.html").exists()
