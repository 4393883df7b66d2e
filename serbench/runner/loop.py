"""The run loop: probe every codec x payload, then rounds of one worker process per cell.

serbench plays pyperf's manager itself: each worker is `python -m serbench.cells.cell --worker`
with the loops, values and warm-ups chosen here (pyperf's worker protocol, so every value is
pyperf's own measurement), and its run is appended to the codec's suite. A failing worker fails
its cell (with its error) and the run goes on; each worker's run is on disk at once; an
interrupted run keeps everything and `--resume` measures only the (cell, round) pairs missing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import random
import shutil
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from serbench.cells.allocator import malloc_record
from serbench.codecs import codec_target
from serbench.common.cell import Cell
from serbench.common.leftovers import owned_dir, sweep_owned_dirs
from serbench.common.processes import signals_held
from serbench.common.vocabulary import (
    DEFAULT_CELL_TIMEOUT_S,
    FAILED,
    OK,
    SKIPPED,
    SOCKET_SCENARIOS,
)
from serbench.results import environment
from serbench.results import files as results
from serbench.results.record import (
    ResultsStore,
    ResultsWriteError,
    guarded,
    pool_samples,
    process_means,
)
from serbench.runner import locks, progress
from serbench.runner.command import WorkerBudget, loops_for, worker_command
from serbench.runner.matrix import Matrix, expand
from serbench.runner.plan import RoundBudget, round_order
from serbench.runner.probe import Prober
from serbench.runner.processes import Interrupted, raise_interrupted, run_cell_program
from serbench.runner.rows import base_row, measured_columns
from serbench.runner.schema_files import write_schemas
from serbench.stats.percentiles import latency_percentiles
from serbench.stats.summarise import CellRecord, drift, precision, summarise
from serbench.transport.link.session import open_link
from serbench.transport.paths import describe_paths, is_path
from serbench.transport.paths import skip_reason as path_skip_reason
from serbench.transport.server_process import SHORT_DIR_PREFIX

#: The run's private directories: its payload cache and each cell worker's work directory.
CACHE_PREFIX, CELL_PREFIX = "serbench-payloads-", "serbench-cell-"


@dataclass
class RunPlan:
    """A run: the matrix, where results go, how long, and how it shares the machine."""

    matrix: Matrix
    outdir: Path
    rounds: RoundBudget
    worker: WorkerBudget
    resume: bool = False
    seed: int | None = None
    cell_timeout_s: float = DEFAULT_CELL_TIMEOUT_S
    wait_for_machine: bool = True
    concurrent: bool = False
    progress: Callable[[str], None] = print
    clock: Callable[[], float] = time.monotonic
    #: When the command started (on `clock`): the time budget counts from there, so the
    #: start-up before the loop is inside it too. None: when the loop starts.
    started: float | None = None


@dataclass
class RunOutcome:
    """What a run did: every row (this run's and kept ones), and how it ended."""

    rows: list[dict[str, Any]]
    kept: int = 0
    suspects: list[str] = field(default_factory=list)
    rounds_completed: int = 0


def row_key(row: dict[str, Any]) -> tuple[str, str, str, str]:
    """Identity of a summary row: codec, scenario, transport, payload label."""
    return (str(row["codec"]), str(row["scenario"]), str(row.get("transport") or ""),
            str(row["payload"]))


def run(plan: RunPlan) -> RunOutcome:
    """Run the plan under both locks; returns every summary row (also in summary.csv)."""
    results.check_writable(plan.outdir)
    before = plan.clock()
    with locks.results_dir_lock(plan.outdir), \
            locks.machine_lock(plan.wait_for_machine, plan.concurrent, plan.progress) as beside:
        if plan.started is not None:  # time spent waiting for another run is not budget
            plan = dataclasses.replace(plan, started=plan.started + plan.clock() - before)
        with _open_link(plan) as link:  # the run's --link, built inside the machine lock
            return _Run(plan, beside, link).execute()


def _open_link(plan: RunPlan) -> Any:
    """The matrix's link for the run (a no-op context without one); see serbench.transport.link."""

    return open_link(plan.matrix.link, plan.progress)


class _Run:
    def __init__(self, plan: RunPlan, beside: bool, link: Any = None) -> None:
        self.plan = plan
        self.link = link
        self.out = plan.outdir
        self.store = ResultsStore(plan.outdir)
        self.prober = Prober()
        self.records: dict[tuple[str, str, str, str], CellRecord] = {}
        self.order: list[CellRecord] = []
        self.earlier: list[dict[str, Any]] = []
        self.kept = 0
        self.env = environment.collect({
            "matrix": plan.matrix.to_dict(), "pin": plan.matrix.pin, "gc": plan.matrix.gc,
            "malloc": malloc_record(plan.matrix.malloc),
            "worker_budget": dataclasses.asdict(plan.worker),
            "round_budget": dataclasses.asdict(plan.rounds),
            "format_version": results.FORMAT_VERSION,
            "measured_beside_other_run": beside})
        if link is not None:
            self.env["link"] = link.record()
        if any(is_path(t) for t in plan.matrix.transports):
            self.env["transports"] = describe_paths(plan.matrix.transports)
        self.seed = plan.seed if plan.seed is not None else random.SystemRandom().randrange(
            2**31)
        self.round_times: list[float] = []
        self.completed = 0
        self.planned = 0
        self.resume_planned = 0
        for prefix in (CACHE_PREFIX, CELL_PREFIX):  # what a killed run left behind
            sweep_owned_dirs(prefix)
        sweep_owned_dirs(SHORT_DIR_PREFIX, "/tmp")
        self.cache_dir = owned_dir(CACHE_PREFIX)

    # -- set-up ---------------------------------------------------------------------------
    def _resume_state(self) -> None:
        """Earlier rows and rounds: skipped rows stay, measured rounds are not measured again."""
        if not (self.plan.resume and (self.out / results.SUMMARY).exists()):
            return
        with contextlib.suppress(results.ResultsError):
            earlier_env = results.read_environment(self.out)
            results.format_version(earlier_env, self.out)
            self.env["start"] = earlier_env.get("start", self.env["start"])
            earlier_rounds = earlier_env.get("rounds") or {}
            seed = earlier_rounds.get("seed")
            if isinstance(seed, int) and self.plan.seed is None:
                self.seed = seed
            if isinstance(earlier_rounds.get("planned"), int):
                self.resume_planned = earlier_rounds["planned"]
        self.earlier = [dict(r) for r in results.read_summary(self.out)]
        for codec in sorted({r["codec"] for r in self.earlier} | set(self.plan.matrix.codecs)):
            self.store.load(codec)  # a corrupt suite is refused now, before anything runs
        self.env["resumed"] = environment.now_iso()

    def _probe(self) -> None:
        for cell in expand(self.plan.matrix):
            prep = self.prober.get(cell.codec, cell.payload)
            row = base_row(cell, prep)
            record = CellRecord(cell, row)
            if not prep.timed:
                row.update(status=SKIPPED,
                           detail=f"{prep.fidelity.status}: {prep.fidelity.detail}")
            elif why := self._skip_reason(cell):
                row.update(status=SKIPPED, detail=why)
            else:
                row["status"] = OK
                bench = self.store.benchmark(cell.codec, row["benchmark"])
                if bench is not None and self.plan.resume:
                    record.rounds = process_means(bench)
                    self._refresh(record, bench, results.load_samples(
                        self.out, cell.codec, row["benchmark"]))
                    self.kept += 1
            key = row_key(row)
            self.records[key] = record
            self.order.append(record)

    def _skip_reason(self, cell: Cell) -> str | None:
        """Why a timed cell cannot run here: the link, or its path (a program missing)."""
        if cell.scenario not in SOCKET_SCENARIOS:
            return None
        if self.link is not None and (why := self.link.skip_reason(cell.scenario,
                                                                   cell.transport)):
            return str(why)
        if self.plan.worker.connect is not None and is_path(cell.transport):
            return f"{cell.transport} runs on this machine only (--connect times tcp)"
        return path_skip_reason(cell.transport, cell.codec)

    # -- the rounds -----------------------------------------------------------------------
    def execute(self) -> RunOutcome:
        started = self.plan.started if self.plan.started is not None else self.plan.clock()
        self.env["status"] = "running"
        previous = signal.signal(signal.SIGTERM, raise_interrupted)
        interrupt_handler: Any = None
        try:
            self._resume_state()
            self._probe()
            write_schemas(self.out, self.prober.pairs().values())
            timed = [r for r in self.order if r.row["status"] == OK]
            self.planned = self.plan.rounds.planned(0.0, [])
            if self.plan.resume:
                done = max((max(r.rounds) for r in timed if r.rounds), default=0)
                self.planned = max(self.planned, done, self.resume_planned)
            self.plan.progress(f"{len(timed)} cells to time, "
                               f"{len(self.order) - len(timed)} skipped"
                               f"{' for fidelity' if self.link is None else ''}; "
                               f"{self._plan_words()}")
            number = 1
            while number <= self.planned:
                t0 = self.plan.clock()
                workers, failed = self._round(number, [r.cell for r in timed])
                took = self.plan.clock() - t0
                if workers:
                    self.round_times.append(took)
                self.completed = number
                elapsed = self.plan.clock() - started
                if self.plan.rounds.time_s is not None and workers:
                    self.planned = self.plan.rounds.planned(elapsed, self.round_times)
                    over = self.plan.rounds.over_budget_s(elapsed, self.round_times)
                    if over > 0 and number == 1:
                        self.plan.progress(
                            f"note: the time budget fits fewer than {self.plan.rounds.min_rounds}"
                            f" rounds on this machine; running the minimum, about "
                            f"{progress.clock(over)} past the budget")
                suspects = summarise(self.order)
                self._write(final=False, suspects=suspects)
                per_round = sum(self.round_times) / max(1, len(self.round_times))
                self.plan.progress(progress.round_line(
                    number, self.planned, workers, took, elapsed,
                    per_round * (self.planned - number),
                    precision(self.order)["median_ratio_half_width"], failed))
                number += 1
        except (KeyboardInterrupt, Interrupted):
            self.env["status"] = "interrupted"
            # An impatient second Ctrl-C must not cut short the saving of what was measured.
            interrupt_handler = signal.signal(signal.SIGINT, signal.SIG_IGN)
            raise
        except ResultsWriteError as exc:
            self.env["status"] = "interrupted"
            done = sum(1 for r in self.order if r.rounds)
            raise ResultsWriteError(f"{exc}; {done} cells measured so far are kept; continue "
                                    f"with: serbench run --resume {self.out}") from exc
        else:
            self.env["status"] = "complete"
        finally:
            signal.signal(signal.SIGTERM, previous)
            shutil.rmtree(self.cache_dir, ignore_errors=True)
            suspects = summarise(self.order)
            with contextlib.suppress(OSError, ResultsWriteError):
                self._write(final=True, suspects=suspects)
            if interrupt_handler is not None:
                signal.signal(signal.SIGINT, interrupt_handler)
        return RunOutcome(self._rows(), self.kept, suspects, self.completed)

    def _plan_words(self) -> str:
        rounds = self.plan.rounds
        if rounds.time_s is None:
            return f"{self.planned} rounds"
        return (f"time budget {progress.clock(rounds.time_s)}: at least {rounds.min_rounds} "
                f"rounds, as many as fit (planned after round 1)")

    def _round(self, number: int, cells: list[Cell]) -> tuple[int, int]:
        """One round in its shuffled order; returns (workers run, workers failed)."""
        workers = failed = 0
        for cell in round_order(cells, self.seed, number):
            record = self.records[_cell_key(cell, self.prober)]
            if number in record.rounds or record.row["status"] == FAILED:
                continue
            workers += 1
            if not self._worker(record, number):
                failed += 1
        return workers, failed

    def _worker(self, record: CellRecord, number: int) -> bool:
        cell, row = record.cell, record.row
        prep = self.prober.get(cell.codec, cell.payload)
        work = owned_dir(CELL_PREFIX)
        try:
            output, samples_dir = work / "bench.json", work / "samples"
            w = self.plan.worker
            cmd = worker_command(cell, prep, w, loops_for(w, cell, prep,
                                                          self.plan.rounds.min_rounds,
                                                          self.link.spec if self.link else None),
                                 self.plan.matrix.pin, self.plan.matrix.gc, number, output,
                                 samples_dir,
                                 self.prober.cache_file(cell.payload, self.cache_dir),
                                 codec_target(cell.codec),
                                 link_endpoints=self.link.worker_arg if self.link else None,
                                 malloc=self.plan.matrix.malloc)
            started = self.plan.clock()
            error = run_cell_program(cmd, work / "log.txt", self.plan.cell_timeout_s)
            worker_s = self.plan.clock() - started
            if error:
                row.update(status=FAILED, detail=f"round {number}: {error}")
                return False
            extra: dict[str, Any] = {"serbench_fidelity": prep.fidelity.status}
            if prep.fidelity.losses:
                extra["serbench_losses"] = ", ".join(prep.fidelity.losses)
            pooled = None
            if cell.scenario == "roundtrip":
                new = pool_samples(samples_dir)
                if new.size:
                    pooled = self.store.append_samples(cell.codec, row["benchmark"], new)
                    extra.update({f"serbench_{k}_s": v
                                  for k, v in latency_percentiles(pooled).items()},
                                 serbench_samples=int(pooled.size))
            # The worker's whole wall time (start, set-up, warm-ups, values): what a process
            # costs, for `serbench variance` (Kalibera & Jones's cost of a repetition).
            bench = self.store.add_run(cell.codec, output, extra,
                                       {"serbench_worker_s": round(worker_s, 6)})
            record.rounds = process_means(bench)
            self._refresh(record, bench, pooled)
            self._write_rows()  # intervals and ranks follow at the end of the round
            return True
        finally:
            with signals_held():
                shutil.rmtree(work, ignore_errors=True)

    # -- rows and files -------------------------------------------------------------------
    def _refresh(self, record: CellRecord, bench: Any, pooled: Any) -> None:
        obj = self.prober.payload(record.cell.payload).obj
        items = len(obj) if isinstance(obj, list) else 1
        record.row.update(measured_columns(record.cell, record.row, bench, pooled, items))

    def _rows(self) -> list[dict[str, Any]]:
        """This run's rows in matrix order (a cell not measured yet has none), then earlier
        rows this run's matrix lacks."""
        mine = [r.row for r in self.order if r.row["status"] != OK or r.rounds]
        seen = {row_key(r) for r in mine}
        return [*mine, *(r for r in self.earlier if row_key(r) not in seen)]

    def _write_rows(self) -> None:
        rows = self._rows()
        with signals_held():
            guarded(self.out, lambda: results.write_summary(self.out, rows))

    def _write(self, final: bool, suspects: list[str] | None = None) -> None:
        self._write_rows()
        with signals_held():
            env = self.env
            env["rounds"] = {"planned": self.planned, "completed": self.completed,
                             "time_budget_s": self.plan.rounds.time_s, "seed": self.seed,
                             "round_seconds": [round(t, 3) for t in self.round_times]}
            env["drift"] = {"reference": "pickle", "per_round": drift(self.order)}
            env["suspect"] = list(suspects or [])
            env["precision"] = precision(self.order)
            if final:
                env["end"] = environment.now_iso()
                env["load_average_end"] = (list(os.getloadavg()) if hasattr(os, "getloadavg")
                                           else None)
                env["codecs"] = {name: _codec_info(p.codec) for (name, _), p
                                 in self.prober.pairs().items() if p.codec is not None}
            guarded(self.out, lambda: results.write_environment(self.out, env))


def _cell_key(cell: Cell, prober: Prober) -> tuple[str, str, str, str]:
    return (cell.codec, cell.scenario, cell.transport or "", prober.payload(cell.payload).label)


def _codec_info(codec: Any) -> dict[str, Any]:
    return {"library": codec.library, "version": codec.version, "options": codec.options,
            "call_path": codec.call_path, **codec.capabilities()}


