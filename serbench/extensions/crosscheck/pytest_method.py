"""orjson's benchmark method: pytest-benchmark, run as orjson's `script/pybench` runs it.

`pytest --benchmark-min-time=1 --benchmark-max-time=5 --benchmark-disable-gc --random-order`:
one pytest process for every case, in random order; each case calibrated so a round lasts at
least `min_time`, rounds repeated until `max_time`, and the median round's time per call kept.
The test module is written next to the results, and run with its own ini file so that no
project's pytest settings apply.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from serbench.common.errors import UserError
from serbench.extensions.crosscheck.cases import Case

_TEST_MODULE = '''"""Written by serbench crosscheck: orjson's method on serbench's calls."""
import pytest

from serbench.extensions.crosscheck.cases import Case, prepared_call

CASES = {cases!r}


@pytest.mark.parametrize("ident", CASES)
def test_case(benchmark, ident):
    call, arg = prepared_call(Case.parse(ident))
    benchmark(call, arg)
'''


@dataclass(frozen=True)
class PytestBudget:
    """pytest-benchmark's time options: orjson's are 1 s and 5 s."""

    min_time: float = 1.0
    max_time: float = 5.0


def missing_plugins() -> list[str]:
    """The distributions orjson's method needs that are not installed."""
    import importlib.util

    wanted = {"pytest_benchmark": "pytest-benchmark", "random_order": "pytest-random-order"}
    return [dist for module, dist in wanted.items() if importlib.util.find_spec(module) is None]


def command(work: Path, budget: PytestBudget) -> list[str]:
    """The pytest command line orjson's script runs, pointed at the written module."""
    return [sys.executable, "-m", "pytest", str(work / "test_crosscheck.py"), "-q",
            "-c", str(work / "pytest.ini"), "--rootdir", str(work), "-p", "no:cacheprovider",
            f"--benchmark-min-time={budget.min_time:g}",
            f"--benchmark-max-time={budget.max_time:g}", "--benchmark-disable-gc",
            "--random-order", f"--benchmark-json={work / 'benchmark.json'}"]


def run_cases(cases: Sequence[Case], work: Path, budget: PytestBudget = PytestBudget(),
              timeout_s: float = 3600.0) -> dict[str, float]:
    """Case ident -> median seconds per call."""
    missing = missing_plugins()
    if missing:
        raise UserError(f"orjson's method needs {', '.join(missing)}: "
                        "pip install 'serbench[crosscheck]'")
    work.mkdir(parents=True, exist_ok=True)
    (work / "test_crosscheck.py").write_text(
        _TEST_MODULE.format(cases=[c.ident for c in cases]), encoding="utf-8")
    (work / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    log = work / "pytest.log"
    with open(log, "wb") as out:
        code = subprocess.run(command(work, budget), stdout=out, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, timeout=timeout_s, check=False).returncode
    if code != 0:
        raise UserError(f"orjson's method (pytest-benchmark) failed with exit code {code}; "
                        f"see {log}")
    return medians(json.loads((work / "benchmark.json").read_text(encoding="utf-8")))


def medians(report: dict[str, object]) -> dict[str, float]:
    """pytest-benchmark's JSON report -> case ident -> median seconds."""
    out: dict[str, float] = {}
    benchmarks = report.get("benchmarks")
    for bench in benchmarks if isinstance(benchmarks, list) else []:
        ident = bench["params"]["ident"]
        out[ident] = float(bench["stats"]["median"])
    return out
