"""The report's charts: every chart drawn and saved as PNG and SVG from the checked-in small
run (results format 1, upgraded at load) and a format-2 run built in `test_report_data`,
byte-stable, never through pyplot, and the charts a run has data for."""

from __future__ import annotations

import dataclasses
import re
import struct
from pathlib import Path

import pytest
from test_report_data import ALL_SLUGS, DRIFT, SLUGS, module_fixtures

from serbench.report import load_run
from serbench.report.chart_files import CHARTS, figures
from serbench.report.data import Run, make_run
from serbench.report.markdown import render_markdown
from serbench.report.style import chart_style, codec_colours, png_bytes

run, report, v2 = module_fixtures()


def test_codec_colours_are_stable() -> None:
    first = codec_colours(["pickle", "msgpack", "mine", "other"])
    second = codec_colours(["other", "msgpack", "pickle", "mine", "extra"])
    assert first["pickle"] == second["pickle"] and first["msgpack"] == second["msgpack"]
    assert first == codec_colours(["other", "mine", "msgpack", "pickle"])  # order-free
    assert len(set(second.values())) == len(second)


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.slow
def test_every_chart_renders(report: list[Path]) -> None:
    import matplotlib.image

    html, md, *charts = report
    assert html.name == "report.html" and md.name == "report.md"
    assert [p.stem for p in charts[::2]] == ALL_SLUGS
    assert [p.stem for p in charts[1::2]] == ALL_SLUGS
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
    for module in (Path(__file__).parent.parent.parent / "serbench").rglob("*.py"):
        source = module.read_text()  # object API only
        assert not re.search(r"import\s+matplotlib\.pyplot|from\s+matplotlib\s+import\s+pyplot",
                             source), module


@pytest.mark.slow
def test_png_bytes_are_stable(run: Run) -> None:
    with chart_style():
        (fig_a,), (fig_b,) = ([f for slug, *_, f in figures(run) if slug == "heatmap"]
                              for _ in range(2))
        assert png_bytes(fig_a) == png_bytes(fig_b)


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


@pytest.mark.slow
def test_v2_report_files_include_the_drift_chart(v2_report: tuple[Path, list[Path]]) -> None:
    results, written = v2_report
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
