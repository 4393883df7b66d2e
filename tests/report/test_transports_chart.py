"""The transports chart (report/analysis_transports, chart_transports): one per payload for a
run with paths, none for a socket-only run, and the transport's share computed from the floor."""

from __future__ import annotations

from pathlib import Path

import pytest

from serbench.report.analysis_transports import panels
from serbench.report.chart_files import figures
from serbench.report.data import CellResult, Run, make_run


def _cell(codec: str, transport: str, mean_s: float | None, payload: str = "small-2",
          status: str = "ok", fidelity: str = "exact") -> CellResult:
    return CellResult(codec=codec, scenario="roundtrip", transport=transport, payload=payload,
                      status=status, fidelity=fidelity, mean_s=mean_s,
                      detail="" if status == "ok" else "shm has no pickling of its own")


def _run(tmp_path: Path, transports: tuple[str, ...]) -> Run:
    cells = []
    for t in transports:
        cells += [_cell("pickle", t, 40e-6), _cell("null", t, 10e-6)]
        cells.append(_cell("native", t, 30e-6) if t != "shm"
                     else _cell("native", t, None, status="skipped"))
    return make_run(tmp_path, {"matrix": {"codecs": ["pickle", "native", "null"]}}, cells)


def test_a_run_with_paths_gets_one_panel_per_payload_with_the_floors_share(
        tmp_path: Path) -> None:
    run = _run(tmp_path, ("uds", "mp-pipe", "shm"))
    (panel,) = panels(run)
    assert panel.transports == ("uds", "mp-pipe", "shm")
    assert panel.codecs[-1] == "null"  # the floor last
    pickle_pipe = panel.bar("pickle", "mp-pipe")
    assert pickle_pipe is not None and pickle_pipe.share == pytest.approx(0.25)
    null_pipe = panel.bar("null", "mp-pipe")
    assert null_pipe is not None and null_pipe.share == 1.0
    native_shm = panel.bar("native", "shm")
    assert native_shm is not None and native_shm.mean_s is None and native_shm.reason


def test_a_socket_only_run_has_no_transports_chart(tmp_path: Path) -> None:
    assert panels(_run(tmp_path, ("tcp", "uds"))) == []


def test_the_chart_joins_the_reports_figures(tmp_path: Path) -> None:
    run = _run(tmp_path, ("uds", "mp-queue"))
    slugs = [slug for slug, *_ in figures(run)]
    assert "transports-small-2" in slugs
