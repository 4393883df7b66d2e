"""The report's data: a results directory read into typed cells (the checked-in small run,
written in results format 1 and upgraded at load, and a format-2 run built here), the upgrade
itself, significance, the data behind every chart and table, and clear errors for missing,
corrupt or too-new files.

The other report tests (`test_report_charts`, `test_report_rendering`, `test_report_browser`)
take this module's fixture constants and its format-2 run (`write_v2_run`)."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import assert_one_line_error, run_serbench, run_serbench_in_process

from serbench.common import vocabulary
from serbench.report import (
    analysis_latency,
    analysis_ratios,
    analysis_time,
    analysis_wire,
    load_run,
    summary,
)
from serbench.report.data import CellResult, Run, make_run
from serbench.report.html import render_html
from serbench.report.markdown import render_markdown
from serbench.report.text import TIMES as X
from serbench.report.transport_cost import floor_points, round_trip_cost
from serbench.results import files as results_files
from serbench.results.cells import CellRecord
from serbench.results.files import FORMAT_2_COLUMNS, FORMAT_VERSION, ResultsError
from serbench.results.read import read_raw, read_results
from serbench.results.upgrade import has_intervals, upgrade, written_format
from serbench.stats.significance import (
    BY_DEFINITION,
    BY_T_TEST,
    is_significant,
    reference_ratio,
    separated,
    unpaired_ratio,
)

FIXTURES = Path(__file__).parent.parent / "fixtures"
FIXTURE = FIXTURES / "results-small"
CODECS = ("pickle", "msgpack", "msgspec-json", "null")
PAYLOADS = ("records-1", "records-10", "records-100", "numpy-100", "objects-2")
UNSUPPORTED = {("msgpack", "numpy-100"), ("msgpack", "objects-2"), ("msgspec-json", "numpy-100")}
LOSSY = {("msgspec-json", "objects-2")}
SLUGS = ["roundtrip-ratio", "latency-percentiles", "throughput", "sizes", "time-split",
         "heatmap", "fidelity", "size-sweep-records"]
#: The verdict's charts (one per payload) come first, then the others.
VERDICT_SLUGS = [f"verdict-{payload}" for payload in PAYLOADS]
ALL_SLUGS = VERDICT_SLUGS + SLUGS


def summary_part(md: str, payload: str) -> str:
    """A payload's part of report.md's summary section (not of its verdict)."""
    return md.split("## Summary per payload")[1].split(f"### {payload}")[1].split("###")[0]


def module_fixtures() -> tuple[Any, Any, Any]:
    """The fixtures of a report test module, made once for the module that assigns them
    (`run, report, v2 = module_fixtures()`): `run`, the checked-in format-1 run; `report`, its
    report made by `serbench report DIR -o OUT` ([report.html, report.md, *chart files]); `v2`,
    the format-2 run built here."""

    @pytest.fixture(scope="module", name="run")
    def run_fixture() -> Run:
        return load_run(FIXTURE)

    @pytest.fixture(scope="module", name="report")
    def report_fixture(small_run_report: tuple[Path, Any]) -> list[Path]:
        out, proc = small_run_report  # one `serbench report` for the session (conftest)
        assert proc.returncode == 0, proc.stderr
        assert proc.stderr == ""
        assert str(out / "report.html") in proc.stdout
        assert f"{len(ALL_SLUGS)} charts" in proc.stdout
        html, md = out / "report.html", out / "report.md"
        return [html, md, *(out / "charts" / f"{s}.{ext}" for s in ALL_SLUGS
                            for ext in ("png", "svg"))]

    @pytest.fixture(scope="module", name="v2")
    def v2_fixture(tmp_path_factory: pytest.TempPathFactory) -> Run:
        return load_run(write_v2_run(tmp_path_factory.mktemp("v2")))

    return run_fixture, report_fixture, v2_fixture


run, report, v2 = module_fixtures()


def copy_fixture(tmp_path: Path) -> Path:
    target = tmp_path / "results"
    shutil.copytree(FIXTURE, target)
    return target


def with_cells(run: Run, change: dict[tuple[str, str, str], dict[str, Any]]) -> Run:
    """The run with some cells' fields replaced (key: codec, measure, payload)."""
    cells = [dataclasses.replace(c, **change.get((c.codec, c.measure, c.payload), {}))
             for c in run.cells]
    return make_run(run.directory, run.environment, cells, run.rounds)


# -- loading -----------------------------------------------------------------------------------

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


def test_cells_have_every_summary_column() -> None:
    from serbench.results.files import COLUMNS

    fields = {f.name for f in dataclasses.fields(CellResult)}
    # `values` and `process_means` come from the pyperf suites (summary.csv's `values` is a
    # count); every other field is a column.
    assert fields - {"values", "process_means"} == set(COLUMNS) - {"values"}


# -- significance ------------------------------------------------------------------------------

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
    source = (Path(__file__).parent.parent.parent / "serbench" / "stats" / "significance.py")
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


# -- the data behind each chart ----------------------------------------------------------------

def test_chart1_ratio_data(run: Run) -> None:
    points = analysis_ratios.reference_ratios(run, "roundtrip")
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
    profiles = analysis_latency.latency_profiles(run)
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
    rates = analysis_wire.throughputs(run)
    assert len(rates) == 2 * (len(CODECS) * len(PAYLOADS) - len(UNSUPPORTED))
    for rate in rates:
        cell = run.cell(rate.codec, rate.measure, rate.payload)
        assert cell is not None and cell.mean_s and cell.encoded_bytes
        assert rate.msgs_per_s == pytest.approx(1 / cell.mean_s)
        assert rate.mb_per_s == pytest.approx(cell.encoded_bytes * rate.msgs_per_s / 1e6)


def test_chart4_size_data(run: Run) -> None:
    found = {(s.codec, s.payload): s for s in analysis_wire.sizes(run)}
    assert set(found) == {(c, p) for c in CODECS[:3] for p in PAYLOADS} - UNSUPPORTED
    assert not any(codec == "null" for codec, _ in found)  # it ships pickle's bytes
    records = [found["pickle", p].encoded_bytes for p in PAYLOADS[:3]]
    assert records == sorted(records) and records[0] < records[-1]
    for size in found.values():
        assert size.zlib_bytes is not None and size.zlib_bytes > 0


def test_chart5_time_split_data(run: Run) -> None:
    splits = analysis_time.time_splits(run)
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
    heat = analysis_ratios.heatmap(run)
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
    grid = analysis_ratios.fidelity_grid(run)
    assert grid.codecs == CODECS and grid.payloads == PAYLOADS
    msgpack = grid.classes[1]
    assert msgpack == ("exact", "exact", "exact", "unsupported", "unsupported")
    assert "numpy.ndarray" in grid.details[1][3]
    assert grid.classes[2][4] == "lossy" and grid.details[2][4]  # what was lost


def test_chart8_size_sweep_data(run: Run) -> None:
    (sweep,) = analysis_time.size_sweeps(run)
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
    assert analysis_time.size_sweeps(make_run(run.directory, run.environment, cells)) == []


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
               for p in analysis_ratios.reference_ratios(cheat))
    heat = analysis_ratios.heatmap(cheat)
    assert heat is not None and heat.ratios[1][2] is None and heat.notes[1][2] == "wrong"
    assert ("msgpack", "records-100") not in {(s.codec, s.payload)
                                              for s in analysis_wire.sizes(cheat)}
    assert ("msgpack", "records-100") not in {(s.codec, s.payload)
                                              for s in analysis_time.time_splits(cheat)}
    assert ("msgpack", "records-100") not in {(t.codec, t.payload)
                                              for t in analysis_wire.throughputs(cheat)}


def test_tail_ratios(run: Run) -> None:
    tails = analysis_latency.tail_ratios(run)
    assert len(tails) == 2 * (len(CODECS) * len(PAYLOADS) - len(UNSUPPORTED))
    assert all(t.p99_over_p50 >= 1.0 for t in tails)


# -- the data behind the tables ----------------------------------------------------------------

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


def test_problems_group_skipped_cells(run: Run) -> None:
    problems = summary.problems(run)
    assert {(p.codec, p.payload) for p in problems} == UNSUPPORTED
    for p in problems:
        assert p.status == "skipped" and len(p.measures) == 6
        assert p.reason.startswith("unsupported: encode: ")


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
    heat = analysis_ratios.heatmap(run)
    assert heat is not None and heat.notes[1][2] == "failed"
    assert "exit code 1: server vanished" in render_html(run, [])


# -- errors ------------------------------------------------------------------------------------

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
    # One case in a real process (the exit code and stderr as a shell sees them), the rest
    # through the same `main` in this one.
    real = (name, why) == ("summary.csv", "missing")
    proc = (run_serbench if real else run_serbench_in_process)("report", str(results))
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
    assert_one_line_error(run_serbench_in_process("report", str(results)), str(results),
                          "newer serbench", "format 3")
    assert not (results / "report.html").exists()


# -- reading and upgrading: one reader, the format upgraded at load ----------------------------

def test_one_reader_upgrades_format_1_at_load() -> None:
    raw = read_raw(FIXTURE)  # the files as written: what `serbench merge` copies
    assert raw.version == 1 and "format_version" not in raw.environment
    assert all(isinstance(v, str) for row in raw.rows for v in row.values())
    found = read_results(FIXTURE, CellRecord)  # what every reader reads
    assert written_format(found.environment) == 1 and not has_intervals(found.environment)
    assert found.environment["format_version"] == FORMAT_VERSION
    assert found.environment["upgraded_from"] == 1 and found.environment["intervals"] is False
    assert len(found.cells) == len(raw.rows)
    for cell in found.cells:
        assert all(getattr(cell, column) in (None, "") for column in FORMAT_2_COLUMNS), cell
    # Each timed cell's per-round means: 2 worker processes, numbered in file order.
    timed = [c for c in found.cells if c.status == "ok"]
    assert set(found.rounds) == {c.key for c in timed}
    assert all(list(found.rounds[c.key]) == [1, 2] for c in timed)
    run = load_run(FIXTURE)
    assert run.format_version == 1 and run.has_intervals is False


def test_the_upgrade_empties_what_format_1_cannot_hold(tmp_path: Path) -> None:
    # A format-1 file with format-2 figures (hand-edited, say) is read as format 1.
    results = copy_fixture(tmp_path)
    rows = list(csv.DictReader(io.StringIO((results / "summary.csv").read_text())))
    results_files.write_summary(results, [row | {"rank": "1", "ratio": "0.5", "ratio_lo": "0.4",
                                                 "ratio_hi": "0.6"} for row in rows])
    found = read_results(results, CellRecord)
    assert all(c.rank is None and c.ratio is None and c.ratio_lo is None for c in found.cells)
    assert load_run(results).cells == load_run(FIXTURE).cells


def test_the_upgrade_runs_once_and_only_on_older_formats(v2: Run) -> None:
    env = {"format_version": FORMAT_VERSION, "cpu_model": "x"}
    cells = [CellRecord("pickle", "encode", "", "p", "ok", mean_s=1.0, ratio=1.0, rank=1)]
    same_env, same_cells = upgrade(env, cells, FORMAT_VERSION)
    assert same_env is env and same_cells is cells
    assert written_format(env) == FORMAT_VERSION and has_intervals(env)
    old_env, old_cells = upgrade({"cpu_model": "x"}, cells, 1)
    assert old_env == {"cpu_model": "x", "format_version": FORMAT_VERSION, "upgraded_from": 1,
                       "intervals": False}
    assert (old_cells[0].mean_s, old_cells[0].ratio, old_cells[0].rank) == (1.0, None, None)
    assert written_format(old_env) == 1 and not has_intervals(old_env)
    assert v2.format_version == 2 and v2.has_intervals and "upgraded_from" not in v2.environment


def test_without_intervals_the_t_test_separates_the_fastest(run: Run) -> None:
    a = run.cell("pickle", "roundtrip/tcp", "records-100")
    b = run.cell("msgspec-json", "roundtrip/tcp", "records-100")
    assert a is not None and b is not None
    assert separated(a, b, run.has_intervals) == is_significant(a.values, b.values)[0]
    assert separated(a, b, True) is None  # a run with intervals ranks its cells itself


def test_a_cells_status_words_are_defined_once() -> None:
    assert (results_files.OK, results_files.SKIPPED, results_files.FAILED) == (
        vocabulary.OK, vocabulary.SKIPPED, vocabulary.FAILED)
    assert '"skipped"' not in Path(results_files.__file__).read_text()


# -- results format 2: a run built here --------------------------------------------------------

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


def test_v2_ratio_chart_data_uses_the_interval_columns(v2: Run) -> None:
    points = {(p.codec, p.payload): p.ratio for p in analysis_ratios.reference_ratios(v2)}
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
    section = summary_part(md, "mid-1")
    assert "| round trip (tcp) | tie: fast, pickle |" in section
    assert "| encode | fast |" in section
    assert "| round trip (tcp) | fast |" not in section
    # Both codecs of the tie are bold in the every-codec table.
    assert f"**40 µs · 1.00{X} (ref)**" in section
    assert f"**30 µs · 0.75{X} [0.55, 1.02] ≈**" in section


def test_v2_time_split_uses_transport_at_the_codecs_size(v2: Run) -> None:
    splits = {(s.codec, s.payload): s for s in analysis_time.time_splits(v2)}
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
