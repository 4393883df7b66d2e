"""Where a run's variance comes from, and how to split a time budget between processes and
values (Kalibera & Jones, "Rigorous benchmarking in reasonable time", ISMM 2013).

With two levels of repetition (worker processes, and values within a process), the variance
of a cell's mean over p processes of n values each is  S_b / p + S_w / (p n),  where S_w is the
variance between values of one process and S_b the variance a process adds of its own (its
memory layout, hash seed, the machine's state when it ran). A process costs c_p seconds of its
own (start, imports, set-up, warm-ups) and each value c_v; for a fixed time, the precision is
best at  n* = sqrt( (c_p / c_v) * (S_w / S_b) )  values per process.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Components:
    """One cell's variance components, relative to its mean, and its costs in seconds."""

    name: str
    processes: int
    values_per_process: float
    within_sd: float
    between_sd: float
    value_s: float | None
    process_s: float | None

    def optimal_values(self) -> float | None:
        """Kalibera & Jones's n*: values per process that give the most precision per
        second; None when the costs are unknown, infinite when processes add no variance."""
        return optimal_values(self.process_s, self.value_s, self.within_sd**2,
                              self.between_sd**2)


def optimal_values(process_s: float | None, value_s: float | None, within_var: float,
                   between_var: float) -> float | None:
    """n* = sqrt((c_p / c_v) * (S_w / S_b))."""
    if process_s is None or value_s is None or value_s <= 0:
        return None
    if between_var <= 0:
        return math.inf
    return math.sqrt(max(process_s, 0.0) / value_s * within_var / between_var)


def components(bench: Any) -> Components | None:
    """Variance components of one pyperf benchmark whose runs each hold >= 2 values."""
    runs = [r for r in bench.get_runs() if len(r.values) >= 2]
    if len(runs) < 2:
        return None
    means = [statistics.fmean(r.values) for r in runs]
    grand = statistics.fmean(means)
    within = statistics.fmean(statistics.variance(r.values) for r in runs)
    per_run = statistics.fmean(len(r.values) for r in runs)
    between = max(0.0, statistics.variance(means) - within / per_run)
    value_s = process_s = None
    costs = []
    for run in runs:
        meta = run.get_metadata()
        wall = meta.get("serbench_worker_s")
        loops = run.get_total_loops() if hasattr(run, "get_total_loops") else None
        if wall is None or loops is None:
            continue
        one_value = statistics.fmean(run.values) * loops
        # warm-ups are paid once per process, like its start: they count as its cost
        costs.append((one_value, float(wall) - len(run.values) * one_value))
    if costs:
        value_s = statistics.fmean(c[0] for c in costs)
        process_s = statistics.fmean(c[1] for c in costs)
    return Components(bench.get_name(), len(runs), per_run, math.sqrt(within) / grand,
                      math.sqrt(between) / grand, value_s, process_s)


def summary_by_scenario(found: list[tuple[str, Components]]) -> list[list[str]]:
    """Median components per scenario (first element of each pair), as table rows."""
    rows = []
    for scenario in dict.fromkeys(s for s, _ in found):
        mine = [c for s, c in found if s == scenario]
        within = statistics.median(c.within_sd for c in mine)
        between = statistics.median(c.between_sd for c in mine)
        value_s = [c.value_s for c in mine if c.value_s is not None]
        process_s = [c.process_s for c in mine if c.process_s is not None]
        v = statistics.median(value_s) if value_s else None
        p = statistics.median(process_s) if process_s else None
        n = optimal_values(p, v, within**2, between**2)
        rows.append([scenario, str(len(mine)), f"{100 * within:.1f} %",
                     f"{100 * between:.1f} %", f"{v:.3f}" if v is not None else "?",
                     f"{p:.3f}" if p is not None else "?",
                     "?" if n is None else ("many" if math.isinf(n) else f"{n:.1f}")])
    return rows
