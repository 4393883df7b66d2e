"""`serbench compare DIR_A DIR_B`: B/A per cell with significance, the terminal and Markdown
tables, the warning when the runs' environments differ, and clear errors."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from conftest import assert_one_line_error, run_serbench

from serbench.report.compare import compare_runs, environment_differences, format_markdown
from serbench.report.data import load_run

FIXTURE = Path(__file__).parent / "fixtures" / "results-small"
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
    run = load_run(FIXTURE)
    assert len(comparison.cells) == len(run.cells)
    assert comparison.differences == ()
    for cell in comparison.cells:
        if cell.a is not None and cell.a.rankable:
            assert cell.ratio is not None and cell.ratio.value == 1.0
            assert cell.ratio.significant is False
        else:
            assert cell.ratio is None and cell.note == "A: unsupported"


def test_a_slower_codec_is_significantly_slower(tmp_path: Path) -> None:
    b = copy_fixture(tmp_path, "b")
    slow_down(b, "msgpack", 3.0)
    comparison = compare_runs(FIXTURE, b)
    for cell in comparison.cells:
        if cell.ratio is None:
            continue
        if cell.codec == "msgpack":
            assert cell.ratio.value == pytest.approx(3.0)
            assert cell.ratio.significant is True, (cell.measure, cell.payload)
        else:
            assert cell.ratio.value == 1.0


def test_terminal_table_through_the_cli(tmp_path: Path) -> None:
    b = copy_fixture(tmp_path, "b")
    slow_down(b, "pickle", 3.0)
    proc = run_serbench("compare", str(FIXTURE), str(b))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith(f"A: {FIXTURE}") and lines[1].startswith(f"B: {b}")
    assert not any(line.startswith("warning:") for line in lines)  # same environment
    header = next(i for i, line in enumerate(lines) if line.startswith("codec "))
    assert lines[header].split() == ["codec", "measure", "payload", "A", "B", "B/A",
                                     "significance"]
    rows = [line.split() for line in lines[header + 2:] if line.startswith(
        ("pickle ", "msgpack ", "msgspec-json ", "null "))]
    assert len(rows) == len(load_run(FIXTURE).cells)
    pickle_trip = next(r for r in rows if r[:3] == ["pickle", "roundtrip/tcp", "records-100"])
    assert pickle_trip[-2:] == ["3.00x", "significant"]
    unchanged = next(r for r in rows if r[:3] == ["msgpack", "encode", "records-1"])
    assert unchanged[-4:] == ["1.00x", "~", "not", "significant"]
    skipped = next(r for r in rows if r[:3] == ["msgpack", "encode", "numpy-100"])
    assert skipped[3:] == ["A:", "unsupported"]
    assert "significantly slower" in proc.stdout and "pyperf compare_to" in proc.stdout
    proc.stdout.encode("ascii")  # the terminal table is plain ASCII


def test_warning_when_machine_python_or_libraries_differ(tmp_path: Path) -> None:
    b = copy_fixture(tmp_path, "b")
    edit_environment(b, cpu_model="Other CPU", python="3.12.1", lib_msgpack="0.9.0")
    proc = run_serbench("compare", str(FIXTURE), str(b))
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
    proc = run_serbench("compare", "--md", str(FIXTURE), str(b))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == format_markdown(compare_runs(FIXTURE, b)).strip()
    lines = proc.stdout.splitlines()
    assert "| codec | measure | payload | A | B | B/A | significance |" in lines
    assert any(line.startswith("> **warning: the runs differ in Python") for line in lines)
    times = "\N{MULTIPLICATION SIGN}"
    assert any(line.startswith("| pickle | roundtrip/tcp | records-1 |") and f"1.00{times}" in line
               for line in lines)


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



def test_a_corrupt_file_in_either_run_is_named(tmp_path: Path) -> None:
    b = copy_fixture(tmp_path, "b")
    (b / "msgspec-json.json").write_text("{]")
    assert_one_line_error(run_serbench("compare", str(FIXTURE), str(b)),
                          str(b / "msgspec-json.json"), "corrupt")
    assert_one_line_error(run_serbench("compare", str(b), str(FIXTURE)),
                          str(b / "msgspec-json.json"), "corrupt")
    (b / "environment.json").unlink()
    assert_one_line_error(run_serbench("compare", "--md", str(FIXTURE), str(b)),
                          str(b / "environment.json"), "missing")


def test_a_missing_directory_is_named(tmp_path: Path) -> None:
    assert_one_line_error(run_serbench("compare", str(FIXTURE), str(tmp_path / "nope")),
                          str(tmp_path / "nope"), "no such results directory")
