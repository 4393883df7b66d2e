"""`serbench compare DIR_A DIR_B`: B/A per cell with significance, the terminal and Markdown
tables, the warning when the runs' environments differ, and clear errors."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import shutil
from pathlib import Path

import pytest
from conftest import assert_one_line_error, run_serbench, run_serbench_in_process

from serbench.report.compare import (
    _ratio_to_reference,
    compare_runs,
    environment_differences,
    flagged_share,
    slower_cells,
)
from serbench.report.compare_text import format_markdown
from serbench.results.cells import CellRecord

FIXTURE = Path(__file__).parent.parent / "fixtures" / "results-small"
TIME_COLUMNS = ("mean_s", "stdev_s", "p50_s", "p90_s", "p99_s", "p999_s", "max_s")


def copy_fixture(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copytree(FIXTURE, target)
    return target


def slow_down(directory: Path, codec: str, factor: float) -> None:
    """Make every measured cell of `codec` take `factor` times as long (summary and suite)."""
    path = directory / "summary.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    for row in rows:
        if row["codec"] == codec and row["status"] == "ok":
            for key in TIME_COLUMNS:
                if row[key]:
                    row[key] = repr(float(row[key]) * factor)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue())
    suite_path = directory / f"{codec}.json"
    suite = json.loads(suite_path.read_text())
    for bench in suite["benchmarks"]:
        for run in bench["runs"]:
            if "values" in run:
                run["values"] = [v * factor for v in run["values"]]
    suite_path.write_text(json.dumps(suite))


def edit_environment(directory: Path, **changes: object) -> None:
    path = directory / "environment.json"
    env = json.loads(path.read_text())
    for key, value in changes.items():
        if key.startswith("lib_"):
            env["libraries"][key[4:]] = value
        else:
            env[key] = value
    path.write_text(json.dumps(env))


def test_a_run_against_itself() -> None:
    comparison = compare_runs(FIXTURE, FIXTURE)
    rows = list(csv.DictReader(io.StringIO((FIXTURE / "summary.csv").read_text())))
    assert len(comparison.cells) == len(rows)
    assert comparison.differences == ()
    for cell in comparison.cells:
        if cell.ratio is not None:
            assert cell.ratio.estimate == pytest.approx(1.0)
            assert not cell.significant
        else:
            assert cell.note == "A: unsupported"
    assert flagged_share(comparison.cells) == 0.0
    ag = comparison.agreement
    assert ag.within == ag.ratios_compared > 0 and ag.contradictions == []


def test_a_slower_codec_is_significantly_slower(tmp_path: Path) -> None:
    b = copy_fixture(tmp_path, "b")
    slow_down(b, "msgpack", 3.0)
    comparison = compare_runs(FIXTURE, b)
    for cell in comparison.cells:
        if cell.ratio is None:
            continue
        if cell.codec == "msgpack":
            assert cell.ratio.estimate == pytest.approx(3.0)
        else:
            assert cell.ratio.estimate == pytest.approx(1.0)
    # msgpack's ratios to pickle all tripled: none agree, and it swapped places with codecs
    # it used to beat wherever a run tells them apart.
    ag = comparison.agreement
    moved = [c for c in comparison.cells if c.codec == "msgpack" and c.ratio is not None]
    assert ag.ratios_compared - ag.within >= len(moved) - 1
    assert ag.worst is not None and ag.worst[1] == pytest.approx(2.0)


@pytest.mark.slow
def test_terminal_table_through_the_cli(tmp_path: Path) -> None:
    b = copy_fixture(tmp_path, "b")
    slow_down(b, "pickle", 3.0)
    proc = run_serbench("compare", str(FIXTURE), str(b))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith(f"A: {FIXTURE}") and lines[1].startswith(f"B: {b}")
    assert not any(line.startswith("warning:") for line in lines)  # same environment
    header = next(i for i, line in enumerate(lines) if line.startswith("codec "))
    assert lines[header].split() == ["codec", "benchmark", "A", "B", "B/A", "[95", "%",
                                     "interval]", "verdict"]
    rows = [line.split() for line in lines[header + 2:] if line.startswith(
        ("pickle ", "msgpack ", "msgspec-json ", "null "))]
    assert len(rows) == len(compare_runs(FIXTURE, b).cells)
    pickle_trip = next(r for r in rows if r[:2] == ["pickle", "roundtrip/tcp/records-100"])
    assert pickle_trip[-5:] == ["3.000", "[3.000,", "3.000]", "slower", "in"] or \
        pickle_trip[-3:] == ["slower", "in", "B"]
    unchanged = next(r for r in rows if r[:2] == ["msgpack", "encode/records-1"])
    assert unchanged[-1] == "same"
    skipped = next(r for r in rows if r[:2] == ["msgpack", "encode/numpy-100"])
    assert skipped[2:] == ["A:", "unsupported"]
    assert "slower beyond their 95 % interval" in proc.stdout
    assert "pyperf compare_to" in proc.stdout and "Ratios to pickle" in proc.stdout
    proc.stdout.encode("ascii")  # the terminal table is plain ASCII


def test_warning_when_machine_python_or_libraries_differ(tmp_path: Path) -> None:
    b = copy_fixture(tmp_path, "b")
    edit_environment(b, cpu_model="Other CPU", python="3.12.1", lib_msgpack="0.9.0")
    proc = run_serbench_in_process("compare", str(FIXTURE), str(b))
    assert proc.returncode == 0, proc.stderr
    (warning,) = [line for line in proc.stdout.splitlines() if line.startswith("warning:")]
    env = json.loads((FIXTURE / "environment.json").read_text())
    assert f"machine {env['cpu_model']} vs Other CPU" in warning
    assert f"Python {env['python']} vs 3.12.1" in warning
    assert f"msgpack {env['libraries']['msgpack']} vs 0.9.0" in warning


def test_environment_differences_cover_settings_and_third_party_codecs() -> None:
    base = {"cpu_model": "X", "python": "3.11", "libraries": {"msgpack": "1.0"}, "pin": "same",
            "codecs": {"mine": {"library": "mylib", "version": "1.0"},
                       "msgpack": {"library": "msgpack", "version": "1.0"}}}
    other = json.loads(json.dumps(base))
    assert environment_differences(base, other) == []
    other["pin"] = "split"
    other["codecs"]["mine"]["version"] = "2.0"
    other["codecs"]["msgpack"]["version"] = "1.1"  # reported once, as a library
    other["libraries"]["msgpack"] = "1.1"
    found = environment_differences(base, other)
    assert found == ["CPU pinning same vs split",
                     "library versions (msgpack 1.0 vs 1.1, codec mine 1.0 vs 2.0)"]


def test_markdown_output(tmp_path: Path) -> None:
    b = copy_fixture(tmp_path, "b")
    edit_environment(b, python="3.12.1")
    proc = run_serbench_in_process("compare", "--md", str(FIXTURE), str(b))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == format_markdown(compare_runs(FIXTURE, b)).strip()
    lines = proc.stdout.splitlines()
    assert any(line.startswith("| codec ") and "B/A [95 % interval]" in line for line in lines)
    assert any(line.startswith("> **warning: the runs differ in Python") for line in lines)
    assert any(line.startswith("| pickle ") and "roundtrip/tcp/records-1 " in line
               and "| same " in line for line in lines)


def test_agreement_counts_ratios_and_swapped_orderings() -> None:
    from serbench.report.compare import RunData, agreement

    def run(x_over_y: float) -> RunData:
        rows = {(c, "encode", "", "p"): CellRecord(c, "encode", "", "p", "ok", ratio=q)
                for c, q in (("pickle", 1.0), ("x", x_over_y), ("y", 1.0))}
        rounds = {("pickle", "encode", "", "p"): {1: 1.0, 2: 1.0, 3: 1.0},
                  ("x", "encode", "", "p"): {1: x_over_y, 2: x_over_y * 1.01, 3: x_over_y},
                  ("y", "encode", "", "p"): {1: 1.0, 2: 1.01, 3: 1.0}}
        return RunData(Path("."), {}, rows, rounds)

    same = agreement(run(0.8), run(0.8))
    assert (same.ratios_compared, same.within, same.contradictions) == (2, 2, [])
    swapped = agreement(run(0.8), run(1.25))
    assert swapped.within == 1 and swapped.worst == ("x encode p", pytest.approx(0.5625))
    # x swapped places with both pickle and y, and each run tells them apart
    assert [c.split(": ")[1].split()[0] for c in swapped.contradictions] == ["pickle/x", "x/y"]
    assert swapped.pairs_checked == 3


def test_significance_treats_each_worker_process_as_one_observation() -> None:
    from serbench.report.compare import RunData, _compare_cell

    key = ("x", "encode", "", "p")

    def run(means: list[float]) -> RunData:
        return RunData(Path("."), {}, {key: CellRecord(*key, "ok")},
                       {key: dict(enumerate(means, 1))})

    a = run([1.00, 1.02, 0.98, 1.01, 0.99])
    slower = _compare_cell(key, a, run([1.50, 1.53, 1.47, 1.52, 1.48]))
    assert slower.significant and slower.ratio is not None
    assert slower.ratio.estimate == pytest.approx(1.5, rel=1e-3)
    same = _compare_cell(key, a, run([1.01, 0.99, 1.02, 0.98, 1.00]))
    assert not same.significant
    # Two processes a side cannot tell 3x apart from noise of this size
    wide = _compare_cell(key, run([1.0, 2.0]), run([3.0, 6.0]))
    assert wide.ratio is not None and wide.ratio.estimate == pytest.approx(3.0)
    assert not wide.significant


def test_cells_in_only_one_run(tmp_path: Path) -> None:
    b = copy_fixture(tmp_path, "b")
    path = b / "summary.csv"
    kept = [line for line in path.read_text().splitlines() if not line.startswith("msgpack,")]
    path.write_text("\n".join(kept) + "\n")
    (b / "msgpack.json").unlink()
    notes = {c.note for c in compare_runs(FIXTURE, b).cells if c.codec == "msgpack"}
    assert notes == {"only in A"}
    notes = {c.note for c in compare_runs(b, FIXTURE).cells if c.codec == "msgpack"}
    assert notes == {"only in B"}


def test_both_runs_are_read_by_the_one_reader_in_the_current_format() -> None:
    comparison = compare_runs(FIXTURE, FIXTURE)
    env = comparison.a.environment
    assert env["upgraded_from"] == 1 and env["intervals"] is False  # format 1, upgraded
    assert all(isinstance(row, CellRecord) and row.rank is None
               for row in comparison.a.rows.values())
    # No ratio column in format 1: the ratio to pickle is the ratio of mean times.
    rows = comparison.a.rows
    msgpack, pickle = rows["msgpack", "encode", "", "records-1"], rows[
        "pickle", "encode", "", "records-1"]
    assert msgpack.mean_s is not None and pickle.mean_s is not None
    assert _ratio_to_reference(comparison.a, msgpack.key) == msgpack.mean_s / pickle.mean_s


def test_a_corrupt_file_in_either_run_is_named(tmp_path: Path) -> None:
    b = copy_fixture(tmp_path, "b")
    (b / "msgspec-json.json").write_text("{]")
    assert_one_line_error(run_serbench_in_process("compare", str(FIXTURE), str(b)),
                          str(b / "msgspec-json.json"), "corrupt")
    assert_one_line_error(run_serbench_in_process("compare", str(b), str(FIXTURE)),
                          str(b / "msgspec-json.json"), "corrupt")
    (b / "environment.json").unlink()
    assert_one_line_error(run_serbench_in_process("compare", "--md", str(FIXTURE), str(b)),
                          str(b / "environment.json"), "missing")


def test_a_missing_directory_is_named(tmp_path: Path) -> None:
    assert_one_line_error(run_serbench_in_process("compare", str(FIXTURE), str(tmp_path / "nope")),
                          str(tmp_path / "nope"), "no such results directory")


def test_drift_of_the_whole_machine_is_not_a_change_of_every_cell() -> None:
    from serbench.report.compare import RunData, _compare_cell, machine_factor

    keys = [(c, "encode", "", "p") for c in ("a", "b", "c", "d", "e")]

    def run(scale: dict[str, float]) -> RunData:
        noise = [1.00, 1.02, 0.98, 1.01, 0.99]
        return RunData(Path("."), {}, {k: CellRecord(*k, "ok") for k in keys},
                       {k: {r: scale.get(k[0], 1.0) * n for r, n in enumerate(noise, 1)}
                        for k in keys})

    a = run({})
    b = run({c: 0.9 for c in "abcde"} | {"e": 0.9 * 1.5})  # 10 % faster machine, e slower
    cells = [_compare_cell(k, a, b) for k in keys]
    factor = machine_factor(cells)
    assert factor == pytest.approx(0.9, rel=1e-6)
    assert all(c.significant for c in cells)  # absolute: everything "changed"
    judged = [dataclasses.replace(c, factor=factor) for c in cells]  # type: ignore[arg-type]
    assert [c.significant for c in judged] == [False, False, False, False, True]
    assert not judged[4].faster


# -- the CI gate: --fail-slower PCT --------------------------------------------------------------

def test_fail_slower_gates_on_a_significantly_slower_cell(tmp_path: Path) -> None:
    b = copy_fixture(tmp_path, "b")
    slow_down(b, "msgpack", 1.5)
    slower = slower_cells(compare_runs(FIXTURE, b), 10)
    assert slower and {c.codec for c in slower} == {"msgpack"}
    # 50 % slower is not "more than 60 %"; a run against itself never fails the gate.
    assert slower_cells(compare_runs(FIXTURE, b), 60) == []
    assert slower_cells(compare_runs(FIXTURE, FIXTURE), 0) == []


def test_fail_slower_is_judged_against_the_whole_runs_drift() -> None:
    from serbench.report.compare import Agreement, Comparison, RunData, _compare_cell

    keys = [(c, "encode", "", "p") for c in ("a", "b", "c", "d", "e")]

    def run(scale: dict[str, float]) -> RunData:
        noise = [1.00, 1.02, 0.98, 1.01, 0.99]
        return RunData(Path("."), {}, {k: CellRecord(*k, "ok") for k in keys},
                       {k: {r: scale.get(k[0], 1.0) * n for r, n in enumerate(noise, 1)}
                        for k in keys})

    a, b = run({}), run({c: 1.2 for c in "abcde"} | {"e": 1.2 * 1.5})  # slower machine
    cells = tuple(_compare_cell(k, a, b) for k in keys)
    nothing = Agreement(0, 0, 0, None, None)
    absolute = Comparison(a, b, cells, (), nothing)
    assert {c.codec for c in slower_cells(absolute, 10)} == set("abcde")
    drift = Comparison(a, b, tuple(dataclasses.replace(c, factor=1.2) for c in cells), (),
                       nothing, 1.2)
    assert [c.codec for c in slower_cells(drift, 10)] == ["e"]
    assert slower_cells(drift, 60) == []


def test_fail_slower_exit_codes_through_the_cli(tmp_path: Path) -> None:
    b = copy_fixture(tmp_path, "b")
    slow_down(b, "msgpack", 1.5)
    failing = run_serbench_in_process("compare", str(FIXTURE), str(b), "--fail-slower", "10%")
    assert failing.returncode == 1, failing.stderr
    assert "--fail-slower: " in failing.stderr and "msgpack" in failing.stderr
    assert failing.stdout.startswith("A: ")  # the table is still printed
    passing = run_serbench_in_process("compare", str(FIXTURE), str(b), "--fail-slower", "60")
    assert passing.returncode == 0, passing.stderr
    assert "no cell significantly slower" in passing.stderr
    assert run_serbench_in_process("compare", str(FIXTURE), str(b)).returncode == 0
    assert_one_line_error(run_serbench_in_process(
        "compare", str(FIXTURE), str(b), "--fail-slower", "ten"), "not a percentage: 'ten'")
