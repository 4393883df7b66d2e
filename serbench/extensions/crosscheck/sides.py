"""The real side runners of the paired schedule, each a fresh process per document and round.

serbench's side is a `serbench run` of one document's cases, run as a user would run it:
`--scenarios encode,decode --gc off --pin none` (the peers disable the GC and do not pin), its
default warm-up rule, the chosen allocator policy, and its share of the time budget (below its
minimum rounds it runs the minimum). Its output goes to a log beside its results directory, so
the terminal shows one line per step. The peers' methods are `pytest_method` and
`timeit_method`, unchanged.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from serbench.common.errors import UserError
from serbench.extensions.crosscheck.cases import Case
from serbench.extensions.crosscheck.pytest_method import PytestBudget, run_cases
from serbench.extensions.crosscheck.schedule import PeerSide, SerbenchSide, Unit
from serbench.results.files import read_summary


def serbench_command(cases: Sequence[Case], out: Path, budget_s: float, malloc: str
                     ) -> list[str]:
    """`serbench run` restricted to these cases' codecs and payloads."""
    return [sys.executable, "-m", "serbench", "run",
            "--codecs", ",".join(sorted({c.codec for c in cases})),
            "--payloads", ",".join(sorted({c.payload for c in cases})),
            "--scenarios", "encode,decode", "--gc", "off", "--pin", "none",
            "--malloc", malloc, "--time", f"{budget_s:.6g}s", "--no-report", "-o", str(out)]


def run_serbench(cases: Sequence[Case], out: Path, budget_s: float, malloc: str
                 ) -> dict[str, dict[str, str]]:
    """serbench's summary row of each case, by case ident (cases it did not time are absent)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = serbench_command(cases, out, budget_s, malloc)
    log = out.parent / f"{out.name}.log"
    with open(log, "wb") as sink:
        code = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=sink,
                              stderr=subprocess.STDOUT, check=False).returncode
    if code != 0:
        raise UserError(f"serbench run exited with {code}; see {log}")
    rows = {(r["codec"], r["scenario"], r["payload_spec"]): r for r in read_summary(out)}
    return {c.ident: rows[(c.codec, c.direction, c.payload)] for c in cases
            if (c.codec, c.direction, c.payload) in rows}


def run_msgspec_method(cases: Sequence[Case], work: Path) -> dict[str, float]:
    """msgspec's method: one `timeit` process per document, its cases in order."""
    work.mkdir(parents=True, exist_ok=True)
    out: dict[str, float] = {}
    for payload in dict.fromkeys(c.payload for c in cases):
        idents = [c.ident for c in cases if c.payload == payload]
        done = subprocess.run(
            [sys.executable, "-m", "serbench.extensions.crosscheck.timeit_method", *idents],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False)
        with (work / "timeit.log").open("a", encoding="utf-8") as log:
            log.write(done.stdout + done.stderr)
        if done.returncode != 0:
            raise UserError(f"msgspec's method (timeit) failed; see {work / 'timeit.log'}")
        for line in done.stdout.splitlines():
            row = json.loads(line)
            out[row["case"]] = float(row["seconds"])
    return out


def serbench_side(malloc: str) -> SerbenchSide:
    """serbench's side of a unit, under the given allocator policy."""
    def run(unit: Unit, work: Path, budget_s: float) -> dict[str, dict[str, str]]:
        return run_serbench(unit.cases, work, budget_s, malloc)
    return run


def peer_side(pytest_budget: PytestBudget) -> PeerSide:
    """The peer's method of a unit: orjson's pytest-benchmark run or msgspec's timeit."""
    def run(unit: Unit, work: Path) -> dict[str, float]:
        if unit.peer == "orjson":
            return run_cases(unit.cases, work, pytest_budget)
        return run_msgspec_method(unit.cases, work)
    return run
