"""report.html in a real browser (Debian's headless chromium): every embedded chart decodes and
the page renders, for the format-1 fixture and a format-2 run with a suspect banner. Skipped when
chromium is missing, unless SERBENCH_REQUIRE_BROWSER=1 (CI)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from test_report_data import write_v2_run

from serbench.report import build_report

FIXTURE = Path(__file__).parent.parent / "fixtures" / "results-small"
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
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report")
    return build_report(FIXTURE, out)[0]


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
    assert charts == 8
    assert dom.count("<img ") == charts
    assert dom.count("<figure ") == charts
    widths = decoded_widths(dom)
    assert len(widths) == charts and all(w >= 600 for w in widths), widths
    for heading in ("Environment", "How to read this", "Summary per payload", "Charts",
                    "Skipped and failed cells"):
        assert f">{heading}</h2>" in dom
    assert 'class="warning"' not in dom


@pytest.mark.slow
def test_a_suspect_format2_run_shows_its_banner(browser: str, tmp_path: Path) -> None:
    results = write_v2_run(tmp_path / "v2")
    report = build_report(results)[0]
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
