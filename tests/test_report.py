"""The report: the data behind every chart (from the checked-in small run), the chart files, the
HTML and Markdown, byte-identical regeneration, and clear errors for missing or corrupt files."""

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

from serbench.report import analysis, build_report, load_run
from serbench.report.charts import CHARTS, figures
from serbench.report.data import Cell, Run, make_run
from serbench.report.html import render_html
from serbench.report.markdown import render_markdown
from serbench.report.significance import is_significant, ratio
from serbench.report.style import chart_style, codec_colours, png_bytes
from serbench.results import ResultsError

FIXTURE = Path(__file__).parent / "fixtures" / "results-small"
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

def test_significance_uses_pyperfs_t_test() -> None:
    from pyperf._utils import is_significant as pyperf_is_significant

    a, b = [1.0, 1.1, 0.9, 1.0], [2.0, 2.1, 1.9, 2.05]
    assert is_significant(a, b) == (True, pytest.approx(pyperf_is_significant(a, b)[1]))
    assert is_significant(a, [1.05, 0.95, 1.0, 1.02])[0] is False
    assert is_significant([1.0], [2.0]) == (None, None)  # unknown, never "significant"
    assert is_significant([1.0, 1.0], [1.0, 1.0]) == (False, None)
    assert is_significant([1.0, 1.0], [2.0, 2.0]) == (True, None)
    significant, t = is_significant(a, [2.0, 2.1, 1.9])  # unequal counts: Welch
    assert significant is True and t is not None and t < 0


def test_ratio_propagates_error(run: Run) -> None:
    base = run.cell("pickle", "roundtrip/tcp", "records-100")
    other = run.cell("msgspec-json", "roundtrip/tcp", "records-100")
    assert base and other and base.mean_s and other.mean_s and base.stdev_s and other.stdev_s
    r = ratio(base, other)
    assert r is not None
    assert r.value == pytest.approx(other.mean_s / base.mean_s)
    assert r.error == pytest.approx(r.value * math.hypot(base.stdev_s / base.mean_s,
                                                         other.stdev_s / other.mean_s))
    assert r.significant == is_significant(base.values, other.values)[0]


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
        assert enc and dec and trip and floor
        assert s.codec_s == pytest.approx(2 * ((enc.mean_s or 0) + (dec.mean_s or 0)))
        assert s.transport_s == floor.mean_s and s.roundtrip_s == trip.mean_s
        assert s.codec_s + s.transport_s + s.remainder_s == pytest.approx(s.roundtrip_s)
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
    for summary in analysis.summarize(cheat):
        for best in summary.best:
            assert best.codec != "null"
            assert (best.codec, summary.payload) not in UNSUPPORTED
            assert not (best.codec == "msgpack" and summary.payload == "records-100")
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
    summaries = {s.payload: s for s in analysis.summarize(run)}
    assert list(summaries) == list(PAYLOADS)
    numpy = summaries["numpy-100"]
    assert {b.codec for b in numpy.best} == {"pickle"}  # the only contender left
    for summary in summaries.values():
        assert [b.measure for b in summary.best] == list(run.measures)
        for best in summary.best:
            contenders = [run.cell(c, best.measure, summary.payload) for c in CODECS[:3]]
            fastest = min(c.mean_s for c in contenders if c and c.rankable and c.mean_s)
            assert best.mean_s == fastest and best.codec != "null"


def test_problems_group_skipped_cells(run: Run) -> None:
    problems = analysis.problems(run)
    assert {(p.codec, p.payload) for p in problems} == UNSUPPORTED
    for p in problems:
        assert p.status == "skipped" and len(p.measures) == 6
        assert p.reason.startswith("unsupported: encode: ")


def test_tail_ratios(run: Run) -> None:
    tails = analysis.tail_ratios(run)
    assert len(tails) == 2 * (len(CODECS) * len(PAYLOADS) - len(UNSUPPORTED))
    assert all(t.ratio >= 1.0 for t in tails)


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


def test_every_chart_renders(report: list[Path]) -> None:
    import matplotlib.image

    html, md, *charts = report
    assert html.name == "report.html" and md.name == "report.md"
    assert [p.stem for p in charts[::2]] == SLUGS and [p.stem for p in charts[1::2]] == SLUGS
    assert len(CHARTS) + 1 == len(SLUGS)
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
    for module in (Path(__file__).parent.parent / "serbench" / "report").glob("*.py"):
        source = module.read_text()  # object API only
        assert not re.search(r"import\s+matplotlib\.pyplot|from\s+matplotlib\s+import\s+pyplot",
                             source), module


def test_png_bytes_are_stable(run: Run) -> None:
    with chart_style():
        (fig_a,), (fig_b,) = ([f for slug, *_, f in figures(run) if slug == "heatmap"]
                              for _ in range(2))
        assert png_bytes(fig_a) == png_bytes(fig_b)


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
                 "can not serialize &#x27;numpy.ndarray&#x27; object"):
        assert text in html, text
    for payload in PAYLOADS:
        assert f'<h3 id="payload-{payload}">' in html
    for info in env["codecs"].values():
        assert info["call_path"].replace("'", "&#x27;").replace(">", "&gt;") in html
    assert "generated" not in html.lower()  # no generation timestamp


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
    (problem,) = [p for p in analysis.problems(run) if p.status == "failed"]
    assert (problem.codec, problem.payload, problem.measures) == (
        "msgpack", "records-100", ("roundtrip/tcp",))
    assert problem.reason == "exit code 1: server vanished"
    heat = analysis.heatmap(run)
    assert heat is not None and heat.notes[1][2] == "failed"
    assert "exit code 1: server vanished" in render_html(run, [])


# -- errors -----------------------------------------------------------------------------------


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
    from serbench.results import COLUMNS

    fields = {f.name for f in dataclasses.fields(Cell)}
    assert fields - {"values"} == set(COLUMNS) - {"values"}


def test_an_empty_run_still_reports(run: Run) -> None:
    empty = make_run(run.directory, run.environment, [])
    with chart_style():
        assert figures(empty) == []
    assert analysis.summarize(empty) == [] and analysis.problems(empty) == []
    html = render_html(empty, [])
    assert "This run has nothing to chart." in html and "0 cells" in html
