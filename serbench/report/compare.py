"""`serbench compare DIR_A DIR_B`: two runs cell by cell, and how far they agree.

The unit of replication is the worker process: B/A per cell is the ratio of the geometric
means of the two runs' per-process means, with Welch's 95 % interval on their logarithms (a
t-test over a run's values would treat values from one process as independent and call drift
significant). "Agreement" asks what a user asks of two runs of the same matrix: do the ratios
to pickle agree, and does any pair of codecs swap places while either run calls the
difference significant?

The suites are pyperf files, so pyperf's own tools work on them too:
`python -m pyperf compare_to DIR_A/msgpack.json DIR_B/msgpack.json`. The comparison's words
and tables are in `compare_text`.
"""

from __future__ import annotations

import dataclasses
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any

from serbench.common.vocabulary import FLOOR_CODEC, OK, REFERENCE_CODEC, SKIPPED
from serbench.results.cells import CellRecord
from serbench.results.read import CellKey, read_results
from serbench.stats.intervals import Interval, family_confidence, paired_ratio, welch_ratio

#: Ratios to pickle "agree" between runs within this (the reproducibility goal).
AGREEMENT = 0.10


@dataclass(frozen=True)
class RunData:
    """One results directory: its cells, environment and per-round means per cell."""

    directory: Path
    environment: dict[str, Any]
    rows: dict[CellKey, CellRecord]
    rounds: dict[CellKey, dict[int, float]]


def load(directory: Path | str) -> RunData:
    """Read a results directory (any format this serbench reads, in the current one)."""
    found = read_results(directory, CellRecord)
    return RunData(found.directory, found.environment, {c.key: c for c in found.cells},
                   found.rounds)


@dataclass(frozen=True)
class CellComparison:
    """One cell in both runs: B/A with its interval, or why there is none."""

    key: CellKey
    a_mean: float | None
    b_mean: float | None
    ratio: Interval | None
    note: str = ""
    #: The whole run's B/A (the machine's drift between the runs): the verdict is on the
    #: cell's ratio relative to it. 1.0 compares absolute times.
    factor: float = 1.0

    @property
    def codec(self) -> str:
        """The codec of this cell."""
        return self.key[0]

    @property
    def significant(self) -> bool:
        """B differs from A beyond the 95 % interval, after the whole run's B/A."""
        return self.ratio is not None and self.ratio.excludes(self.factor)

    @property
    def faster(self) -> bool:
        """Significantly faster in B (relative to the whole run's B/A)."""
        return self.significant and self.ratio is not None and self.ratio.estimate < self.factor


@dataclass(frozen=True)
class Agreement:
    """How far two runs of the same matrix tell the same story."""

    ratios_compared: int
    within: int
    within_5: int
    median_change: float | None
    worst: tuple[str, float] | None
    contradictions: list[str] = field(default_factory=list)
    pairs_checked: int = 0


@dataclass(frozen=True)
class Comparison:
    """Run B against run A."""

    a: RunData
    b: RunData
    cells: tuple[CellComparison, ...]
    differences: tuple[str, ...]
    agreement: Agreement
    #: The median B/A over every cell with an interval (None: absolute comparison).
    factor: float | None = None


def compare_runs(dir_a: Path | str, dir_b: Path | str, absolute: bool = False) -> Comparison:
    """Load both runs and pair their cells.

    Two runs minutes apart differ by the machine's drift as a whole (a VM's neighbours, its
    clock, its caches): every cell moves alike, and a test of absolute times calls that
    significant everywhere. Unless `absolute`, each cell is judged against the run's own
    B/A, the median over every cell (a change that touches only some codecs leaves the median
    where the others are); that factor is printed, so a change of everything stays visible.
    """
    a, b = load(dir_a), load(dir_b)
    cells = [_compare_cell(key, a, b) for key in dict.fromkeys([*a.rows, *b.rows])]
    factor = None if absolute else machine_factor(cells)
    if factor is not None:
        cells = [dataclasses.replace(c, factor=factor) for c in cells]
    return Comparison(a, b, tuple(cells),
                      tuple(environment_differences(a.environment, b.environment)),
                      agreement(a, b), factor)


def machine_factor(cells: Sequence[CellComparison]) -> float | None:
    """The median B/A over the cells with an interval (geometric: on logarithms)."""
    logs = [math.log(c.ratio.estimate) for c in cells if c.ratio is not None and c.ratio.known]
    return math.exp(statistics.median(logs)) if logs else None


def _compare_cell(key: CellKey, a: RunData, b: RunData) -> CellComparison:
    ra, rb = a.rows.get(key), b.rows.get(key)
    if ra is None or rb is None:
        return CellComparison(key, None, None, None, "only in B" if ra is None else "only in A")
    ma, mb = a.rounds.get(key), b.rounds.get(key)
    if not ma or not mb:
        side, row = ("A", ra) if not ma else ("B", rb)
        return CellComparison(key, None, None, None,
                              f"{side}: {row.fidelity if row.status == SKIPPED else row.status}")
    interval = welch_ratio(list(ma.values()), list(mb.values()))
    return CellComparison(key, statistics.fmean(ma.values()), statistics.fmean(mb.values()),
                          interval)


def agreement(a: RunData, b: RunData) -> Agreement:
    """Ratios to pickle within ±10 % between the runs, and pairs of codecs ordered one way in
    one run and the other way in the other while either run calls their difference
    significant (paired by round within each run, at the family-wise 95 % of the group's
    pairs: the level at which the report claims an order)."""
    changes: list[tuple[str, float]] = []
    for key in (k for k in a.rows if k in b.rows):
        if key[0] == REFERENCE_CODEC:
            continue
        qa, qb = _ratio_to_reference(a, key), _ratio_to_reference(b, key)
        if qa and qb:
            changes.append((" ".join(x for x in key if x), qb / qa - 1))
    contradictions: list[str] = []
    checked = 0
    groups: dict[tuple[str, str, str], list[str]] = {}
    for key in (k for k in a.rounds if k in b.rounds):
        if key[0] != FLOOR_CODEC:
            groups.setdefault(key[1:], []).append(key[0])
    for group, codecs in sorted(groups.items()):
        # An order claim is one of the group's pairwise comparisons: family-wise 95 %.
        level = family_confidence(len(codecs) * (len(codecs) - 1) // 2)
        for x, y in combinations(sorted(codecs), 2):
            checked += 1
            ia = paired_ratio(a.rounds[(x, *group)], a.rounds[(y, *group)], level)
            ib = paired_ratio(b.rounds[(x, *group)], b.rounds[(y, *group)], level)
            if ia is None or ib is None:
                continue
            swapped = (ia.estimate < 1) != (ib.estimate < 1)
            if swapped and (ia.excludes(1.0) or ib.excludes(1.0)):
                contradictions.append(f"{'/'.join(s for s in group if s)}: {x}/{y} "
                                      f"{ia.estimate:.3f} in A, {ib.estimate:.3f} in B")
    magnitudes = [abs(c) for _, c in changes]
    worst = max(changes, key=lambda c: abs(c[1])) if changes else None
    return Agreement(len(changes), sum(1 for m in magnitudes if m <= AGREEMENT),
                     sum(1 for m in magnitudes if m <= AGREEMENT / 2),
                     statistics.median(magnitudes) if magnitudes else None, worst,
                     contradictions, checked)


def _ratio_to_reference(run: RunData, key: CellKey) -> float | None:
    """The run's own ratio to the reference, else (a row without one: no intervals, or no
    round shared with the reference) the ratio of mean times."""
    row = run.rows.get(key)
    ref = run.rows.get((REFERENCE_CODEC, *key[1:]))
    if row is None or row.status != OK:
        return None
    if row.ratio:
        return row.ratio
    if ref is not None and ref.status == OK and row.mean_s and ref.mean_s:
        return row.mean_s / ref.mean_s
    return None


def environment_differences(env_a: dict[str, Any], env_b: dict[str, Any]) -> list[str]:
    """Machine, Python, library and codec versions, and settings that differ between runs."""
    out = []
    for key, what in (("cpu_model", "machine"), ("cpu_count", "CPU count"),
                      ("python_implementation", "Python implementation"),
                      ("python", "Python"), ("pin", "CPU pinning"), ("gc", "GC policy"),
                      ("pickle_protocol", "pickle protocol")):
        if env_a.get(key) != env_b.get(key):
            out.append(f"{what} {env_a.get(key)!s} vs {env_b.get(key)!s}")
    policies = [_dict(e.get("malloc")).get("policy", "default (not recorded)")
                for e in (env_a, env_b)]
    if policies[0] != policies[1]:
        out.append(f"allocator policy {policies[0]} vs {policies[1]}")
    libs_a, libs_b = _dict(env_a.get("libraries")), _dict(env_b.get("libraries"))
    changed = [f"{name} {libs_a.get(name)} vs {libs_b.get(name)}"
               for name in sorted(set(libs_a) | set(libs_b))
               if libs_a.get(name) != libs_b.get(name)]
    codecs_a, codecs_b = _dict(env_a.get("codecs")), _dict(env_b.get("codecs"))
    for name in sorted(set(codecs_a) & set(codecs_b)):
        va, vb = _dict(codecs_a[name]).get("version"), _dict(codecs_b[name]).get("version")
        library = _dict(codecs_a[name]).get("library")
        if va != vb and library not in libs_a and library != "python":
            changed.append(f"codec {name} {va} vs {vb}")
    if changed:
        out.append("library versions (" + ", ".join(changed) + ")")
    return out


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def slower_cells(comparison: Comparison, percent: float) -> list[CellComparison]:
    """The gate of `compare --fail-slower PCT` (asv's `compare --factor`, pytest-benchmark's
    `--benchmark-compare-fail`): the cells significantly slower in B (the interval of B/A
    excludes the whole run's B/A, or 1 when absolute) whose B/A exceeds that by more than
    `percent`. A cell without an interval never fails the gate: it cannot be shown slower."""
    limit = 1 + percent / 100
    return [c for c in comparison.cells
            if c.significant and not c.faster and c.ratio is not None
            and c.ratio.estimate / c.factor > limit]


def flagged_share(cells: Sequence[CellComparison]) -> float:
    """The share of cells with an interval that compare calls different."""
    known = [c for c in cells if c.ratio is not None and c.ratio.known]
    return sum(1 for c in known if c.significant) / len(known) if known else 0.0
