"""Where a run's wall time goes: inside measured loops (values), warm-ups and calibration,
and everything else (process spawns, imports, server start, set-up, fidelity, file writes)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from serbench.results import files as results


@dataclass(frozen=True)
class WallSplit:
    """Seconds of a run by where they went."""

    wall_s: float
    values_s: float
    warmups_s: float
    calibration_s: float
    benchmarks: int

    @property
    def overhead_s(self) -> float:
        """Wall time outside every timed loop."""
        return self.wall_s - self.values_s - self.warmups_s - self.calibration_s

    @property
    def overhead_share(self) -> float:
        """Share of the wall time outside every timed loop."""
        return self.overhead_s / self.wall_s if self.wall_s else 0.0


def split(directory: Path) -> WallSplit:
    """The wall-time split of a finished run, from its files alone."""
    env = results.read_environment(directory)
    if not env.get("end"):
        raise results.ResultsError(f"{directory / results.ENVIRONMENT}: the run has no end time")
    wall = (dt.datetime.fromisoformat(env["end"]) - dt.datetime.fromisoformat(env["start"]))
    values = warmups = calibration = 0.0
    count = 0
    for path in sorted(directory.glob("*.json")):
        if path.name == results.ENVIRONMENT:
            continue
        for bench in results.load_suite(path).get_benchmarks():
            count += 1
            for run in bench.get_runs():
                meta = run.get_metadata()
                inner = meta.get("inner_loops", 1)
                warm = sum(loops * value * inner for loops, value in run.warmups)
                if run.values:
                    # serbench's settled warm-up (serbench.cells.steady) replaces pyperf's
                    warmups += warm + float(meta.get("serbench_warmup_s", 0.0))
                    values += sum(run.values) * meta["loops"] * inner
                else:
                    calibration += warm
    return WallSplit(wall.total_seconds(), values, warmups, calibration, count)
