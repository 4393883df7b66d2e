"""Every notebook in notebooks/ opens and runs the way docs/report.md and the README say.

The notebooks are jupytext percent-format `.py` files. After the `notebook` extra (which the
`test` extra installs), the documented `jupytext --to ipynb FILE` converts one, and the
documented `jupytext --to ipynb --execute FILE` runs it top to bottom in the `python3` kernel
of this interpreter; here both run as written, on a copy, against the checked-in small results.
"""

from __future__ import annotations

import csv
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).parent / "fixtures" / "results-small"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.py"))
DOC = ROOT / "docs" / "report.md"
BIN = Path(sys.executable).parent  # the venv's bin: where `.venv/bin/` in the docs points


def _documented(page: Path) -> list[str]:
    """The lines of the page's ```sh blocks that run pip, jupytext or jupyter."""
    blocks = re.findall(r"^```sh\n(.*?)^```", page.read_text("utf-8"), re.MULTILINE | re.DOTALL)
    return [line.split("  #")[0].strip() for block in blocks for line in block.splitlines()
            if re.search(r"\b(jupytext|jupyter|pip install .*notebook)\b", line)]


def _run_documented(line: str, cwd: Path, notebook: Path,
                    env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """One documented command as written: its `VAR=value` prefix, `.venv/bin/` as this venv,
    `notebooks/explore.py` as this notebook (copied under `cwd`)."""
    words = shlex.split(line)
    full_env = {**os.environ, **env}
    while "=" in words[0]:
        name, _, _ = words.pop(0).partition("=")
        full_env[name] = env[name]  # the docs' placeholder, replaced by the test's value
    words[0] = str(BIN / words[0].removeprefix(".venv/bin/"))
    words = [w.replace("notebooks/explore.", f"notebooks/{notebook.stem}.") for w in words]
    return subprocess.run(words, cwd=cwd, env=full_env, capture_output=True, text=True,
                          timeout=300, check=False)


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
def test_notebook_executes(notebook: Path, tmp_path: Path) -> None:
    """The documented headless command runs the notebook; its outputs are the fixture's."""
    import nbformat

    (tmp_path / "notebooks").mkdir()
    shutil.copy(notebook, tmp_path / "notebooks" / notebook.name)
    executes = [line for line in _documented(DOC) if "--execute" in line]
    assert len(executes) == 1, _documented(DOC)
    env = {"SERBENCH_RESULTS": str(FIXTURE),
           "JUPYTER_PLATFORM_DIRS": "1",  # no path-migration warning
           "MPLBACKEND": "Agg"}
    proc = _run_documented(executes[0], tmp_path, notebook, env)
    assert proc.returncode == 0, proc.stderr
    nb = nbformat.read(tmp_path / "notebooks" / f"{notebook.stem}.ipynb", as_version=4)
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


def test_the_notebook_extra_is_what_the_docs_install() -> None:
    """The docs install `.[all,notebook]`; that extra brings JupyterLab, jupytext and
    ipykernel, and the `test` extra includes it, so the test above runs after that install."""
    installs = [line for line in _documented(DOC) if "pip install" in line]
    assert installs == [".venv/bin/pip install -q -e '.[all,notebook]'"], installs
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"][
        "optional-dependencies"]
    names = {re.split(r"[<>=;\[ ]", req)[0] for req in extras["notebook"]}
    assert {"jupyterlab", "jupytext", "ipykernel"} <= names, names
    assert "serbench[notebook]" in extras["test"]


def test_the_readme_gives_the_same_commands() -> None:
    assert _documented(ROOT / "README.md") == [
        line for line in _documented(DOC) if "--execute" not in line]


@pytest.mark.slow
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_the_documented_commands_open_the_notebook(notebook: Path, tmp_path: Path) -> None:
    """`jupytext --to ipynb FILE` writes the notebook JupyterLab opens, with every cell, and
    the documented `jupyter lab` is installed."""
    import jupytext
    import nbformat

    (tmp_path / "notebooks").mkdir()
    shutil.copy(notebook, tmp_path / "notebooks" / notebook.name)
    lines = _documented(DOC)
    convert = [line for line in lines if "--to ipynb" in line and "--execute" not in line]
    assert len(convert) == 1, lines
    proc = _run_documented(convert[0], tmp_path, notebook, {})
    assert proc.returncode == 0, proc.stderr
    written = nbformat.read(tmp_path / "notebooks" / f"{notebook.stem}.ipynb", as_version=4)
    assert [c.source for c in written.cells] == [c.source for c in jupytext.read(notebook).cells]
    lab = [line for line in lines if line.split()[0].endswith("jupyter") and " lab " in line]
    assert len(lab) == 1, lines
    version = subprocess.run([str(BIN / "jupyter"), "lab", "--version"], capture_output=True,
                             text=True, timeout=120, check=False)
    assert version.returncode == 0 and version.stdout.strip(), version.stderr
