"""Every notebook in notebooks/ runs top to bottom (jupytext percent format, executed by nbclient
in the `python3` kernel of this interpreter) against the checked-in small results."""

from __future__ import annotations

import os
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
    assert os.environ["SERBENCH_RESULTS"] == str(FIXTURE)
