"""How far a run's figures can be trusted, from what the run recorded about itself (format 2):
its suspect cells and reasons, the reference codec's drift across rounds, the rounds it
completed and the precision it reached. Format-1 runs recorded none of this: every function
here then answers None or nothing, and the report says intervals are unavailable."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from serbench.report.data import CellResult, Run


@dataclass(frozen=True)
class SuspectCell:
    """A cell the run flagged (e.g. faster than the transport floor beyond its interval)."""

    codec: str
    measure: str
    payload: str
    reason: str


def suspect_cells(run: Run) -> list[SuspectCell]:
    """Every cell with a `suspect` reason, in run order."""
    return [SuspectCell(c.codec, c.measure, c.payload, c.suspect) for c in run.cells
            if c.suspect]


def run_suspect_reasons(run: Run) -> list[str]:
    """The run-level reasons of environment.json `suspect` (empty when fine or format 1)."""
    reasons = run.environment.get("suspect")
    if isinstance(reasons, str):
        return [reasons] if reasons else []
    if isinstance(reasons, list):
        return [str(r) for r in reasons if r]
    return []


def unexplained_cells(run: Run) -> list[SuspectCell]:
    """Suspect cells the run-level reasons do not already name (they usually do: the run
    lists each flagged cell with its reason)."""
    reasons = run_suspect_reasons(run)
    return [c for c in suspect_cells(run)
            if not any(c.codec in r and c.reason in r for r in reasons)]


def is_suspect(run: Run) -> bool:
    """The run as a whole is suspect: it says so, or any of its cells is."""
    return bool(run_suspect_reasons(run)) or any(c.suspect for c in run.cells)


def cell_is_suspect(cell: CellResult | None) -> bool:
    """Whether a cell is flagged (None: no cell, not flagged)."""
    return cell is not None and bool(cell.suspect)


@dataclass(frozen=True)
class Drift:
    """The reference codec's time per round relative to round 1 (1.0 = no drift); NaN for a
    round the reference codec did not complete."""

    reference: str
    per_round: tuple[float, ...]

    @property
    def measured(self) -> list[tuple[int, float]]:
        """(round number, relative time) of the rounds with a figure."""
        return [(i, v) for i, v in enumerate(self.per_round, 1) if math.isfinite(v)]

    @property
    def first_to_last(self) -> float:
        """Relative change from the first measured round to the last (0.012: 1.2 % slower)."""
        points = self.measured
        return points[-1][1] / points[0][1] - 1.0

    @property
    def spread(self) -> tuple[float, float]:
        """The lowest and highest measured round, relative to round 1."""
        values = [v for _, v in self.measured]
        return min(values), max(values)


def drift(environment: dict[str, Any]) -> Drift | None:
    """environment.json `drift`; None when absent, malformed or without a measured round."""
    found = environment.get("drift")
    if not isinstance(found, dict):
        return None
    per_round = found.get("per_round")
    if not isinstance(per_round, list) or not per_round:
        return None
    try:
        values = tuple(float(v) for v in per_round)
    except (TypeError, ValueError):
        return None
    if any(v <= 0 for v in values) or not any(math.isfinite(v) for v in values):
        return None
    return Drift(str(found.get("reference", "?")), values)


@dataclass(frozen=True)
class Rounds:
    """How many interleaved rounds the run planned and completed, and under what budget."""

    planned: int | None
    completed: int | None
    time_budget_s: float | None
    seed: int | None


def rounds(environment: dict[str, Any]) -> Rounds | None:
    """environment.json `rounds`; None for runs without it (format 1)."""
    found = environment.get("rounds")
    if not isinstance(found, dict):
        return None
    return Rounds(_int(found.get("planned")), _int(found.get("completed")),
                  _float(found.get("time_budget_s")), _int(found.get("seed")))


@dataclass(frozen=True)
class Precision:
    """Relative half-widths of the run's ratio intervals (0.05 = ±5 %)."""

    median: float | None
    maximum: float | None


def precision(environment: dict[str, Any]) -> Precision | None:
    """environment.json `precision`; None for runs without it."""
    found = environment.get("precision")
    if not isinstance(found, dict):
        return None
    return Precision(_float(found.get("median_ratio_half_width")),
                     _float(found.get("max_ratio_half_width")))


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)
