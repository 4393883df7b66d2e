"""`serbench run`: a matrix (default: the embedded quick run) in interleaved rounds of pyperf
workers, then the report."""

from __future__ import annotations

import argparse
import dataclasses
import signal
import sys
import time
from pathlib import Path
from typing import Any

import serbench.runner as runner
from serbench.cli.common import EXIT_CHECK_FAILED, duration
from serbench.cli.common import split_list as _split
from serbench.cli.helptext import command_help
from serbench.cli.report import print_verdict, write_report
from serbench.codecs import CodecUnavailable, get_codec
from serbench.common.cell import Cell
from serbench.common.errors import UserError
from serbench.common.vocabulary import TRANSPORTS
from serbench.extensions.fleet.options import remote_matrix
from serbench.extensions.fleet.shard import parse_shard, shard_matrix
from serbench.payloads import make_payload
from serbench.results import files as results
from serbench.results.environment import noted
from serbench.results.files import ENVIRONMENT, ResultsError, read_environment
from serbench.runner import RoundBudget, RunPlan, WorkerBudget
from serbench.runner.matrix import (
    Budget,
    Matrix,
    builtin_matrix_path,
    load_matrix,
    parse_duration,
    validate,
)
from serbench.runner.progress import final_tables, memory_lines, suspect_lines
from serbench.stats.summarise import CellRecord


def add_run_command(sub: Any) -> None:
    """Register `run` on the CLI's subparsers."""
    p = sub.add_parser("run", **command_help("run"))
    p.add_argument("matrix", nargs="?", help="a matrix TOML file, or the name of a built-in one "
                   "(default, full, zoo, sweep, transports)")
    p.add_argument("--codecs", help="comma-separated codecs (replaces the matrix's list)")
    p.add_argument("--payloads", help="comma-separated payload specs, e.g. small,records:10000")
    p.add_argument("--transports", help="comma-separated: " + ",".join(TRANSPORTS))
    p.add_argument("--scenarios", help="comma-separated: roundtrip,stream,encode,decode")
    p.add_argument("--payload-file", action="append", default=[], metavar="PATH",
                   help="a .json/.msgpack/.cbor/.pickle file as a payload (repeatable); "
                        "with --payloads or --payload-file the named payloads replace the "
                        "matrix's, unless --with-matrix-payloads")
    p.add_argument("--with-matrix-payloads", action="store_true",
                   help="run the matrix's payloads as well as those named on the command line")
    p.add_argument("-o", "--output", metavar="DIR",
                   help="results directory (default: results/<run-id>)")
    p.add_argument("--resume", metavar="DIR",
                   help="finish an interrupted run in DIR: only missing (cell, round) pairs run")
    p.add_argument("--pin", choices=["same", "split", "none"],
                   help="CPU placement of client and server (default from the matrix: same)")
    p.add_argument("--gc", choices=["on", "off"], help="GC policy (default from the matrix: on)")
    p.add_argument("--malloc", choices=["steady", "default"],
                   help="allocator policy: steady (glibc's thresholds fixed where a long-running "
                        "process ends up) or default (glibc's start-up state); default from "
                        "the matrix: steady (docs/crosscheck.md)")
    p.add_argument("--link", metavar="RATE[,RTT]",
                   help="run the socket scenarios across a link built on this machine "
                        "(network namespaces, tbf, a delay), e.g. 100mbit,1ms: the rate and "
                        "the added round-trip time; needs root (docs/link.md)")
    p.add_argument("--connect", metavar="HOST:PORT",
                   help="time the socket scenarios against `serbench serve --codec all` on "
                        "another host (TCP; checked before the run; docs/remote.md)")
    p.add_argument("--secret-file", metavar="FILE",
                   help="the --connect server's secret (one line of hex, mode 0600)")
    p.add_argument("--shard", metavar="i/N",
                   help="run the i-th of N deterministic parts of the matrix (whole payloads, "
                        "so every comparison group stays on one machine); merge the parts "
                        "with serbench merge (docs/fleets.md)")
    p.add_argument("--machine", metavar="NAME",
                   help="the machine name serbench merge files this run under (default: host "
                        "name and CPU model), e.g. a node type or a CI runner label")
    p.add_argument("--cell-timeout", type=duration, default=900.0, metavar="DURATION",
                   help="give up on one worker after this long (a hang guard; default 15m)")
    p.add_argument("--strict", action="store_true",
                   help="exit 1 when the run is suspect or a cell failed (for CI)")
    p.add_argument("--no-report", action="store_true", help="skip the report at the end")
    r = p.add_argument_group("rounds (each round: one worker process per cell, in random order)")
    r.add_argument("--time", metavar="DURATION",
                   help="wall-time budget of the whole run (300, 300s, 5m): as many rounds "
                        "as fit (default from the matrix)")
    r.add_argument("--seed", type=int, help="seed of the rounds' random order (default: new)")
    r.add_argument("--no-wait", action="store_true",
                   help="refuse, instead of waiting, when another run is measuring here")
    r.add_argument("--concurrent", action="store_true",
                   help="measure even while another run measures on this machine "
                        "(recorded in the results)")
    g = p.add_argument_group("pyperf-style budget (override the matrix's)")
    g.add_argument("--fast", action="store_true", help="a quarter of the time budget, "
                   "at least 2 rounds")
    g.add_argument("--rigorous", action="store_true", help="three times the time budget, "
                   "at least 5 rounds")
    g.add_argument("--debug-single-value", action="store_true",
                   help="one round, one value of one loop, no warm-up: checks, not figures")
    g.add_argument("-p", "--processes", "--rounds", type=int, dest="processes",
                   help="exactly N rounds (N worker processes per cell), no time budget")
    g.add_argument("-n", "--values", type=int, help="values per worker")
    g.add_argument("-w", "--warmups", type=int, help="warm-up values per worker")
    g.add_argument("-l", "--loops", type=int, help="loops per value (default: from serbench's "
                   "in-process estimate and --min-time)")
    g.add_argument("--min-time", type=duration, metavar="DURATION",
                   help="time per value (e.g. 100ms)")
    p.set_defaults(func=cmd_run)


def run_plan(args: argparse.Namespace, matrix: Any, outdir: Path) -> Any:
    """The run's rounds and per-worker budget: the matrix's, with the command line's on top."""

    for key in ("processes", "values", "loops", "min_time"):
        value = getattr(args, key)
        if value is not None and value <= 0:
            raise UserError(f"--{key.replace('_', '-')} must be positive")
    if args.warmups is not None and args.warmups < 0:
        raise UserError("--warmups must be zero or more")
    b = matrix.budget
    time_s = parse_duration(args.time) if args.time else b.time
    rounds = RoundBudget(time_s, b.rounds, b.min_rounds, b.max_rounds)
    worker = WorkerBudget(b.values, b.warmups, b.min_time, None, b.min_samples)
    if args.fast:
        rounds = dataclasses.replace(rounds, min_rounds=min(2, rounds.min_rounds),
                                     time_s=time_s / 4 if time_s else None,
                                     fixed_rounds=min(2, rounds.fixed_rounds))
    if args.rigorous:
        rounds = dataclasses.replace(rounds, min_rounds=max(5, rounds.min_rounds),
                                     time_s=time_s * 3 if time_s else None,
                                     fixed_rounds=max(5, rounds.fixed_rounds),
                                     max_rounds=max(rounds.max_rounds, 5))
    if args.debug_single_value:
        rounds = RoundBudget(None, 1, 1, 1)
        worker = WorkerBudget(1, 0, b.min_time, 1, 0)
    if args.processes is not None:
        rounds = RoundBudget(None, args.processes, 1, args.processes)
    if args.resume and not any(getattr(args, k) for k in _BUDGET_OPTIONS):
        rounds, worker = _recorded_budget(outdir, rounds, worker)
    worker = dataclasses.replace(
        worker, values=args.values or worker.values,
        warmups=worker.warmups if args.warmups is None else args.warmups,
        min_time=args.min_time or worker.min_time, loops=args.loops or worker.loops)
    return RunPlan(matrix, outdir, rounds, worker, resume=bool(args.resume), seed=args.seed,
                   cell_timeout_s=args.cell_timeout, wait_for_machine=not args.no_wait,
                   concurrent=args.concurrent, progress=lambda line: print(line, flush=True))


_BUDGET_OPTIONS = ("time", "fast", "rigorous", "debug_single_value", "processes", "values",
                   "loops", "min_time")


def _recorded_budget(directory: Path, rounds: Any, worker: Any) -> tuple[Any, Any]:
    """The budget the interrupted run was started with: a resumed run measures alike."""

    env = read_environment(directory)
    try:
        recorded_rounds = RoundBudget(**env["round_budget"])
        recorded_worker = WorkerBudget(**env["worker_budget"])
    except (KeyError, TypeError):
        return rounds, worker
    print("serbench run: resuming with the first part's budget", flush=True)
    return recorded_rounds, recorded_worker


def _matrix_from_args(args: argparse.Namespace) -> tuple[Any, bool]:
    """The matrix to run, and whether the user chose its codecs (a file of theirs or
    `--codecs`), in which case a codec whose library is missing is an error, not a skip."""

    chosen = False
    if args.resume and not args.matrix:
        matrix = _matrix_of_run(Path(args.resume))
    elif args.matrix and not Path(args.matrix).exists() and "/" not in args.matrix \
            and not args.matrix.endswith(".toml"):
        matrix = load_matrix(builtin_matrix_path(args.matrix))
    else:
        matrix = load_matrix(Path(args.matrix) if args.matrix else builtin_matrix_path())
        chosen = bool(args.matrix)
    changes: dict[str, Any] = {}
    for key in ("codecs", "payloads", "transports", "scenarios"):
        value = getattr(args, key)
        if value is not None:
            changes[key] = _split(value)
            if not changes[key]:
                raise UserError(f"--{key} {value!r}: names no {key[:-1]}")
    chosen = chosen or "codecs" in changes
    if args.payload_file:
        # Payloads named on the command line replace the matrix's ("run my payload").
        changes["payloads"] = [*changes.get("payloads", []),
                               *(f"file:{Path(p).resolve()}" for p in args.payload_file)]
    if "payloads" in changes and args.with_matrix_payloads:
        changes["payloads"] = [*matrix.payloads,
                               *(p for p in changes["payloads"] if p not in matrix.payloads)]
    for key in ("pin", "gc", "malloc", "link"):
        if getattr(args, key, None):
            changes[key] = getattr(args, key)
    matrix = dataclasses.replace(matrix, **changes)
    validate(matrix)
    assert isinstance(matrix, Matrix)
    return matrix, chosen


def _matrix_of_run(directory: Path) -> Any:

    data = read_environment(directory).get("matrix")
    if not isinstance(data, dict):
        raise ResultsError(f"{directory / ENVIRONMENT}: records no matrix to resume")
    try:
        data = dict(data)
        budget = dict(data.get("budget", {}))
        if "processes" in budget:  # written by serbench 0.1 (results format 1)
            budget["rounds"] = budget.pop("processes")
        data["budget"] = Budget(**budget)
        return Matrix(**data)
    except (TypeError, ValueError) as exc:
        raise ResultsError(f"{directory / ENVIRONMENT}: corrupt matrix ({exc})") from exc


def _check_codecs(matrix: Any, chosen: bool) -> None:
    """A codec the user chose whose library is missing is an error now, before anything runs;
    in a built-in matrix it is skipped with the reason (printed here, recorded per cell)."""

    for name in matrix.codecs:
        try:
            get_codec(name)
        except CodecUnavailable as exc:
            if chosen:
                raise UserError(f"codec {name!r} is unavailable: {exc}") from exc
            print(f"serbench run: note: codec {name} is unavailable and will be skipped: {exc}",
                  flush=True)


def default_output() -> Path:
    """results/<date-time>-<pid>: two runs started in the same second never share one."""
    import os

    return Path("results") / f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"


def cmd_run(args: argparse.Namespace) -> int:
    """Validate everything, run the matrix in rounds, write the report."""

    started = time.monotonic()
    if not args.cell_timeout > 0:
        raise UserError("--cell-timeout must be a positive number of seconds")
    if args.resume:
        outdir = Path(args.resume)
        if args.output and Path(args.output) != outdir:
            raise UserError("--resume DIR writes into DIR; drop -o/--output")
        if not outdir.is_dir():
            raise UserError(f"--resume {outdir}: no such results directory")
    else:
        outdir = Path(args.output) if args.output else default_output()
    matrix, chosen = _matrix_from_args(args)
    _check_codecs(matrix, chosen and not args.resume)
    matrix, facts, remote = _beyond_this_host(args, matrix, chosen)
    for spec in matrix.payloads:  # bad payload specs fail now, before anything runs
        make_payload(spec)
    plan = dataclasses.replace(run_plan(args, matrix, outdir), started=started)
    if remote is not None:
        plan = dataclasses.replace(plan, worker=dataclasses.replace(
            plan.worker, connect=remote[0], secret_file=str(remote[1])))
    results.check_writable(outdir)
    print(f"serbench run: {len(matrix.codecs)} codecs x {len(matrix.payloads)} payloads, "
          f"scenarios {','.join(matrix.scenarios)}, transports {','.join(matrix.transports)}; "
          f"results in {outdir}", flush=True)

    try:
        with noted(facts):
            outcome = runner.run(plan)
    except (KeyboardInterrupt, runner.Interrupted):
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a further Ctrl-C changes nothing now
        print(f"\nserbench run: interrupted; finished work is kept in {outdir}; "
              f"finish with: serbench run --resume {outdir}", file=sys.stderr)
        return 130
    rows = outcome.rows
    counts = {s: sum(1 for r in rows if r["status"] == s) for s in ("ok", "skipped", "failed")}
    kept = f" ({outcome.kept} resumed from the earlier run)" if outcome.kept else ""
    print(f"\n{final_tables(r for r in _records(outcome))}")
    for line in memory_lines(_records(outcome)):
        print(line)
    for line in suspect_lines(outcome.suspects):
        print(line)
    print(f"serbench run: {counts['ok']} cells measured{kept} in {outcome.rounds_completed} "
          f"rounds, {counts['skipped']} skipped, {counts['failed']} failed in "
          f"{time.monotonic() - started:.0f} s; results in {outdir}")
    if not args.no_report:
        _report(outdir)
    print_verdict(outdir)
    return _strict_outcome(args.strict, outcome.suspects, counts["failed"])


def _strict_outcome(strict: bool, suspects: Any, failed: int) -> int:
    """The exit code: `EXIT_CHECK_FAILED` under --strict for a suspect run or a failed cell."""
    reasons = ([f"the run is suspect ({len(suspects)} reason(s) above)"] if suspects else []) + (
        [f"{failed} cell(s) failed"] if failed else [])
    if strict and reasons:
        print(f"serbench run: --strict: {'; '.join(reasons)}", file=sys.stderr)
        return EXIT_CHECK_FAILED
    return 0


def _records(outcome: Any) -> Any:

    for row in outcome.rows:
        cell = Cell(row["codec"], row.get("payload_spec") or row["payload"], row["scenario"],
                    row.get("transport") or None)
        yield CellRecord(cell, row)


def _report(outdir: Path) -> None:
    """The report at the end of a run; a report failure never hides the measured results."""
    try:
        paths = write_report(outdir)
    except UserError as exc:
        print(f"serbench run: warning: no report ({exc}); the results are in {outdir}; "
              f"try: serbench report {outdir}", file=sys.stderr)
        return
    print(f"serbench run: report in {paths[0]}")


def _beyond_this_host(args: argparse.Namespace, matrix: Any, chosen: bool
                      ) -> tuple[Any, dict[str, Any], tuple[str, Path] | None]:
    """`--shard` and `--connect`: the matrix to run, the facts environment.json records, and
    the remote server (address, secret file) the workers connect to, if any."""
    facts: dict[str, Any] = {"machine": args.machine} if args.machine else {}
    if args.shard:

        if args.resume:
            raise UserError("--shard with --resume: a resumed run keeps the shard it started "
                            "with; drop --shard")
        matrix, shard = shard_matrix(matrix, parse_shard(args.shard))
        facts.update(shard)
    remote = _remote_of(args)
    if remote is not None:

        if getattr(args, "link", None):
            raise UserError("--connect and --link: a link is built on this machine; pick one")
        matrix, more = remote_matrix(matrix, remote[0], remote[1], chosen and not args.resume)
        facts.update(more)
    return matrix, facts, remote


def _remote_of(args: argparse.Namespace) -> tuple[str, Path] | None:
    """The server to connect to: `--connect`, or the one a resumed run was started with."""

    if args.connect:
        if not args.secret_file:
            raise UserError("--connect needs --secret-file FILE (the server's secret)")
        return args.connect, Path(args.secret_file).absolute()
    if args.secret_file:
        raise UserError("--secret-file goes with --connect HOST:PORT")
    if args.resume:
        try:
            budget = read_environment(Path(args.resume)).get("worker_budget") or {}
        except ResultsError:
            return None
        if budget.get("connect") and budget.get("secret_file"):
            return str(budget["connect"]), Path(budget["secret_file"])
    return None
