"""The report's cold-start and memory tables: built from the cells' columns, absent from runs
that have none, rendered in both formats."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from serbench.report import first_calls
from serbench.report.data import Run, load_run, make_run
from serbench.report.html import render_html
from serbench.report.markdown import render_markdown

FIXTURE = Path(__file__).parent.parent / "fixtures" / "results-small"


@pytest.fixture(scope="module")
def old_run() -> Run:
    return load_run(FIXTURE)


def _with_figures(run: Run) -> Run:
    cells = []
    for c in run.cells:
        if c.timed and c.scenario in ("encode", "decode", "roundtrip"):
            c = dataclasses.replace(
                c, cold_import_s=2e-3, cold_first_s=(c.mean_s or 0) * 4, cold_first_faults=9,
                cold_rss_growth=12_000, faults_per_call=0.5, settled_workers=3, processes=3,
                alloc_peak_bytes=(4_000 if c.scenario != "roundtrip" else None),
                retained_bytes=(1_000 if c.scenario != "roundtrip" else None),
                retained_blocks=(7 if c.scenario == "decode" else None))
        cells.append(c)
    env = {**run.environment, "malloc": {"policy": "steady", "settings": "mallopt(...)"}}
    return make_run(run.directory, env, cells)


def test_a_run_without_the_columns_has_no_section(old_run: Run) -> None:
    assert first_calls.cold_start_table(old_run) is None
    assert first_calls.memory_table(old_run) is None
    assert "first-calls" not in render_html(old_run, [])


def test_cold_start_rows_give_the_first_call_against_the_steady_figure(old_run: Run) -> None:
    run = _with_figures(old_run)
    table = first_calls.cold_start_table(run)
    assert table is not None
    timed = [c for c in run.cells if c.timed and c.scenario in ("encode", "decode", "roundtrip")]
    assert len(table.rows) == len(timed)
    assert {row[table.header.index("first / steady")] for row in table.rows} == {"4x"}


def test_memory_rows_pair_encode_and_decode(old_run: Run) -> None:
    run = _with_figures(old_run)
    table = first_calls.memory_table(run)
    assert table is not None
    pairs = {(c.payload, c.codec) for c in run.cells
             if c.timed and c.scenario in ("encode", "decode")}
    assert len(table.rows) == len(pairs)
    row = table.rows[0]
    assert row[table.header.index("encode peak")] == "4 kB"
    assert row[table.header.index("decoded blocks")] == "7"


def test_both_formats_show_the_section_and_the_policy(old_run: Run, tmp_path: Path) -> None:
    run = _with_figures(old_run)
    page = render_html(run, [])
    assert 'id="first-calls"' in page and 'id="cold-start"' in page and 'id="memory"' in page
    assert "Allocator policy: steady" in page
    assert "workers settled." in page  # every one of them
    text = render_markdown(run, [], tmp_path)
    assert "## Cold start and memory per call" in text


def test_the_allocator_policy_is_in_the_environment_and_compared() -> None:
    from serbench.report.compare import environment_differences
    from serbench.report.prose import environment_items

    steady = {"malloc": {"policy": "steady", "settings": "mallopt(...)", "GLIBC_TUNABLES": None}}
    assert ("Allocator", "steady: mallopt(...)") in environment_items(steady)
    assert environment_differences({}, steady) == [
        "allocator policy default (not recorded) vs steady"]
    assert environment_differences(steady, steady) == []
