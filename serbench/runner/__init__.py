"""The run loop, by job: `matrix` (matrix files), `plan` (rounds, their order, the time budget),
`probe` (the untimed fidelity, cost and sizes per codec x payload), `budget` (loops from that
cost), `command` (a worker's command line), `processes` (workers, signals, nothing left
behind), `rows` (a cell's summary columns), `schema_files`, `locks`, `progress`, and `loop`,
which drives them. What they write is `serbench.results`'; the figures, `serbench.stats`'."""

from serbench.runner.command import WorkerBudget
from serbench.runner.loop import RunOutcome, RunPlan, run
from serbench.runner.plan import RoundBudget
from serbench.runner.processes import Interrupted

__all__ = ["Interrupted", "RoundBudget", "RunOutcome", "RunPlan", "WorkerBudget",
           "run"]
