"""The linters the project is held to: ruff on the code and tests, mypy (strict) on the code."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import ROOT


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=280, check=False)


def test_ruff() -> None:
    proc = _run("ruff", "check", "serbench", "tests")
    assert proc.returncode == 0, f"ruff found problems:\n{proc.stdout}\n{proc.stderr}"


@pytest.mark.slow  # strict mypy over the package: seconds warm, much longer from a cold cache
def test_mypy() -> None:
    proc = _run("mypy", "serbench")
    assert proc.returncode == 0, f"mypy found problems:\n{proc.stdout}\n{proc.stderr}"
    assert "Success: no issues found" in proc.stdout
