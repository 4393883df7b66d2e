"""The run loop, by job: `plan` (rounds, their order, the time budget), `prepare` (fidelity,
cost and sizes per codec x payload), `command` (a worker's command line and loops),
`processes` (workers, signals, nothing left behind), `record` (suites and samples on disk),
`rows` (a cell's summary columns), `summarise` (intervals, floor check, ranks, drift),
`locks`, `progress`, and `loop`, which drives them."""

from serbench.runner.command import WorkerBudget
from serbench.runner.loop import RunOutcome, RunPlan, run
from serbench.runner.plan import RoundBudget
from serbench.runner.processes import Interrupted

__all__ = ["Interrupted", "RoundBudget", "RunOutcome", "RunPlan", "WorkerBudget",
           "run"]
