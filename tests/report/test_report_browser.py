"""report.html in a real browser (Debian's headless chromium): every embedded chart decodes and
the page renders, for the format-1 fixture and a format-2 run with a suspect banner. Skipped when
chromium is missing, unless SERBENCH_REQUIRE_BROWSER=1 (CI)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars"]
#: Appended to a *copy* of the report (the report itself has no script): after load, record
#: each image's decoded width in the DOM, so --dump-dom shows whether the browser rendered it.
PROBE = """<script>
window.addEventListener("load", () => {
  document.body.setAttribute("data-decoded",
    Array.from(document.images).map(i => i.complete ? i.naturalWidth : -1).join(","));
});
</script>"""


@pytest.fixture(scope="module")
def browser() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("SERBENCH_REQUIRE_BROWSER") == "1":
        pytest.fail("SERBENCH_REQUIRE_BROWSER=1 but no chromium is installed "
                    "(apt-get install chromium)")
    pytest.skip("chromium is not installed (set SERBENCH_REQUIRE_BROWSER=1 to fail instead)")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory, small_run_report: tuple[Path, Any]) -> Path:
    """The fixture run's report.html (the session's `serbench report`, conftest), copied with
    its charts: the probes are written beside it."""
    out = tmp_path_factory.mktemp("report") / "out"
    shutil.copytree(small_run_report[0], out)
    return out / "report.html"


@pytest.fixture(scope="module")
def suspect_report(tmp_path_factory: pytest.TempPathFactory,
                   v2_report: tuple[Path, list[Path]]) -> Path:
    """report.html of the format-2 run with a suspect banner (the session's, conftest), copied
    with its charts: the probes are written beside it."""
    out = tmp_path_factory.mktemp("suspect") / "v2"
    shutil.copytree(v2_report[0], out)
    return out / v2_report[1][0].name


def run_browser(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([browser, *FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=120, check=False,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


def rendered_dom(browser: str, report: Path, profile: Path) -> str:
    """The page's DOM after load, with each image's decoded width in `data-decoded`."""
    html = report.read_text(encoding="utf-8")
    probe = report.with_name("probe.html")
    probe.write_text(html.replace("</body>", PROBE + "\n</body>"), encoding="utf-8")
    return run_browser(browser, profile, "--virtual-time-budget=10000", "--dump-dom",
                       probe.as_uri()).stdout


def decoded_widths(dom: str) -> list[int]:
    match = re.search(r'data-decoded="([^"]*)"', dom)
    assert match, "the page's load event never fired"
    return [int(w) for w in match.group(1).split(",")]


@pytest.mark.slow
def test_every_chart_decodes_in_the_browser(browser: str, report: Path, tmp_path: Path) -> None:
    dom = rendered_dom(browser, report, tmp_path / "profile")
    charts = len(list((report.parent / "charts").glob("*.png")))
    assert charts == 8 + 5  # eight charts and one verdict chart per payload
    assert dom.count("<img ") == charts
    assert dom.count("<figure ") == charts
    widths = decoded_widths(dom)
    assert len(widths) == charts and all(w >= 600 for w in widths), widths
    headings = ("The answer: which codec, per payload", "Summary per payload", "Charts",
                "Environment", "How to read this", "Skipped and failed cells")
    for heading in headings:
        assert f">{heading}</h2>" in dom
    assert [dom.index(f">{h}</h2>") for h in headings] == sorted(
        dom.index(f">{h}</h2>") for h in headings), "the answer first, method below"
    assert 'class="warning"' not in dom


@pytest.mark.slow
def test_a_suspect_format2_run_shows_its_banner(browser: str, suspect_report: Path,
                                                tmp_path: Path) -> None:
    report, results = suspect_report, suspect_report.parent
    dom = rendered_dom(browser, report, tmp_path / "profile")
    assert '<div class="warning" id="suspect">' in dom
    assert dom.index('class="warning"') < dom.index("<h2")
    widths = decoded_widths(dom)
    assert len(widths) == len(list((results / "charts").glob("*.png")))  # the drift chart too
    assert all(w >= 600 for w in widths), widths


@pytest.mark.slow
def test_the_page_renders_non_blank(browser: str, report: Path, tmp_path: Path) -> None:
    import matplotlib.image

    shot = tmp_path / "shot.png"
    run_browser(browser, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1200,3000",
                report.as_uri())
    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[:2] == (3000, 1200)
    rgb = pixels[..., :3]
    assert rgb.std() > 0.05, "the screenshot is blank"
    ink = (rgb.mean(axis=2) < 0.6).mean()
    assert ink > 0.01, f"only {ink:.2%} of the page is drawn on"


#: Appended to a copy of the report: after load, the verdict section's bounding box and the
#: first verdict line, in CSS pixels of the 1400 x 900 window.
BOX_PROBE = """<script>
window.addEventListener("load", () => {
  const box = (el) => { const r = el.getBoundingClientRect();
                        return [r.top, r.left, r.bottom, r.right].map(Math.round).join(","); };
  document.body.setAttribute("data-verdict", box(document.getElementById("verdict")));
  document.body.setAttribute("data-first-answer",
    box(document.querySelector("#verdict table.answers tr")));
  document.body.setAttribute("data-viewport", [innerHeight, innerWidth].join(","));
});
</script>"""


def first_screen(browser: str, report: Path, profile: Path) -> dict[str, list[int]]:
    """The verdict's boxes and the viewport, as the browser laid the page out at 1400 x 900."""
    html = report.read_text(encoding="utf-8")
    probe = report.with_name("box-probe.html")
    probe.write_text(html.replace("</body>", BOX_PROBE + "\n</body>"), encoding="utf-8")
    dom = run_browser(browser, profile, "--window-size=1400,900", "--virtual-time-budget=10000",
                      "--dump-dom", probe.as_uri()).stdout
    found = {}
    for name in ("verdict", "first-answer", "viewport"):
        match = re.search(rf'data-{name}="([^"]*)"', dom)
        assert match, f"the page's load event never fired ({name})"
        found[name] = [int(v) for v in match.group(1).split(",")]
    return found


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["format-1 fixture", "suspect format-2 run"])
def test_the_verdict_is_in_the_first_screen(browser: str, request: pytest.FixtureRequest,
                                            tmp_path: Path, kind: str) -> None:
    # The suspect banner stands above the verdict: it must still fit.
    report = request.getfixturevalue("report" if kind == "format-1 fixture" else "suspect_report")
    boxes = first_screen(browser, report, tmp_path / "profile")
    height, width = boxes["viewport"]  # headless chromium may keep some of the 900 px
    assert width <= 1400 and 600 <= height <= 900, boxes
    top, _, _, _ = boxes["verdict"]
    answer_top, _, answer_bottom, answer_right = boxes["first-answer"]
    assert 0 <= top < height, f"the verdict starts at {top}px, below the first screen"
    assert answer_bottom <= height and answer_right <= width, boxes
    assert answer_top > top


@pytest.mark.slow
def test_the_first_screen_shows_the_answer(browser: str, report: Path, tmp_path: Path) -> None:
    """A screenshot of the first screen: the verdict's green answer cells are drawn in it."""
    import matplotlib.image
    import numpy

    shot = tmp_path / "first.png"
    run_browser(browser, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1400,900",
                report.as_uri())
    pixels = matplotlib.image.imread(shot)[..., :3]
    assert pixels.shape[:2] == (900, 1400)
    answer_green = numpy.array([0xee, 0xf6, 0xee]) / 255  # td.answer's background
    drawn = numpy.all(numpy.abs(pixels - answer_green) < 0.01, axis=2).mean()
    assert drawn > 0.005, f"only {drawn:.2%} of the first screen is answer cells"
