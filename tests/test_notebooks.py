"""Every notebook in notebooks/ runs top to bottom (jupytext percent format, executed by nbclient
in the `python3` kernel of this interpreter) against the checked-in small results."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).parent / "fixtures" / "results-small"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.py"))


def test_there_are_notebooks() -> None:
    assert [p.name for p in NOTEBOOKS] == ["explore.py"] or len(NOTEBOOKS) > 1


def test_the_kernel_is_this_interpreter() -> None:
    # jupyter_client starts a kernelspec whose argv[0] is "python" with sys.executable: the
    # venv's interpreter, which has serbench and ipykernel.
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec("python3")
    assert spec.argv[0] in ("python", "python3", sys.executable), spec.argv


def _tail_rows() -> list[tuple[str, ...]]:
    """The notebook's p99/p50 table, worked out from the fixture's summary.csv by hand: one row
    per round-trip cell that was measured and gave the payload back, sorted by measure, payload,
    then heaviest tail first."""
    rows = []
    with open(FIXTURE / "summary.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if (row["scenario"] != "roundtrip" or row["status"] != "ok"
                    or row["fidelity"] not in ("exact", "lossy")):
                continue
            p50, p99 = float(row["p50_s"]), float(row["p99_s"])
            rows.append((f"roundtrip/{row['transport']}", row["payload"], row["codec"],
                         p50, p99, p99 / p50))
    rows.sort(key=lambda r: (r[0], r[1], -r[5]))
    return [(m, p, c, f"{p50 * 1e6:.1f}", f"{p99 * 1e6:.1f}", f"{ratio:.2f}")
            for m, p, c, p50, p99, ratio in rows]


def _markdown_rows(markdown: str) -> list[tuple[str, ...]]:
    lines = markdown.strip().splitlines()[2:]  # past the header and the |---| line
    return [tuple(cell.strip() for cell in line.strip("|").split("|")) for line in lines]


@pytest.mark.slow
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_executes(notebook: Path, tmp_path: Path,
                           monkeypatch: pytest.MonkeyPatch) -> None:
    import jupytext
    from nbclient import NotebookClient

    monkeypatch.setenv("SERBENCH_RESULTS", str(FIXTURE))
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")  # no path-migration warning
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = jupytext.read(notebook)
    client = NotebookClient(nb, kernel_name="python3", timeout=120,
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    errors = [o for o in outputs if o.output_type == "error"]
    assert not errors, errors
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert str(FIXTURE) in text
    markdown = [o["data"]["text/markdown"] for o in outputs
                if o.output_type == "display_data" and "text/markdown" in o.get("data", {})]
    assert markdown and markdown[0].startswith("| payload | measure | fastest codec |")
    images = [o for o in outputs
              if o.output_type == "display_data" and "image/png" in o.get("data", {})]
    assert images, "the notebook's own chart is missing"
    # The tail table shows the fixture's own figures, every one of them.
    tails = [m for m in markdown if m.startswith("| measure | payload | codec |")]
    assert len(tails) == 1, markdown
    expected = _tail_rows()
    assert len(expected) == 34  # the fixture: 40 round-trip cells, 6 of them unsupported
    assert _markdown_rows(tails[0]) == expected
