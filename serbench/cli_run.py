"""`serbench run`: a matrix (default: the embedded quick run) through pyperf, then the report."""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path
from typing import Any

from serbench.errors import UserError


def add_run_command(sub: Any) -> None:
    """Register `run` on the CLI's subparsers."""
    p = sub.add_parser("run", help="run a benchmark matrix (default: scenarios/default.toml)")
    p.add_argument("matrix", nargs="?", help="a matrix TOML file, or the name of a built-in one "
                   "(default, full, sweep)")
    p.add_argument("--codecs", help="comma-separated codecs (replaces the matrix's list)")
    p.add_argument("--payloads", help="comma-separated payload specs, e.g. small,records:10000")
    p.add_argument("--transports", help="comma-separated: tcp,uds")
    p.add_argument("--scenarios", help="comma-separated: roundtrip,stream,encode,decode")
    p.add_argument("--payload-file", action="append", default=[], metavar="PATH",
                   help="add a .json/.msgpack/.cbor/.pickle file as a payload (repeatable)")
    p.add_argument("-o", "--output", metavar="DIR",
                   help="results directory (default: results/<run-id>)")
    p.add_argument("--resume", metavar="DIR",
                   help="finish an interrupted run in DIR: only missing or failed cells run")
    p.add_argument("--pin", choices=["same", "split", "none"],
                   help="CPU placement of client and server (default from the matrix: same)")
    p.add_argument("--gc", choices=["on", "off"], help="GC policy (default from the matrix: on)")
    p.add_argument("--cell-timeout", type=float, default=900.0, metavar="S",
                   help="give up on a cell after S seconds (default 900)")
    p.add_argument("--no-report", action="store_true", help="skip the report at the end")
    g = p.add_argument_group("pyperf options (passed to every cell)")
    g.add_argument("--fast", action="store_true")
    g.add_argument("--rigorous", action="store_true")
    g.add_argument("--debug-single-value", action="store_true")
    g.add_argument("-p", "--processes", type=int)
    g.add_argument("-n", "--values", type=int)
    g.add_argument("-w", "--warmups", type=int)
    g.add_argument("-l", "--loops", type=int)
    g.add_argument("--min-time", type=float)
    p.set_defaults(func=cmd_run)


def pyperf_passthrough(args: argparse.Namespace) -> list[str]:
    """The pyperf options the user gave, as a command-line fragment."""
    out: list[str] = []
    for flag in ("fast", "rigorous", "debug_single_value"):
        if getattr(args, flag):
            out.append("--" + flag.replace("_", "-"))
    for key in ("processes", "values", "warmups", "loops", "min_time"):
        value = getattr(args, key)
        if value is not None:
            if value <= 0 and key != "warmups":
                raise UserError(f"--{key.replace('_', '-')} must be positive")
            out += ["--" + key.replace("_", "-"), str(value)]
    return out


def _matrix_from_args(args: argparse.Namespace) -> Any:
    from serbench.cli import _split
    from serbench.matrix import Matrix, builtin_matrix_path, load_matrix, validate

    if args.resume and not args.matrix:
        matrix = _matrix_of_run(Path(args.resume))
    elif args.matrix and not Path(args.matrix).exists() and "/" not in args.matrix \
            and not args.matrix.endswith(".toml"):
        matrix = load_matrix(builtin_matrix_path(args.matrix))
    else:
        matrix = load_matrix(Path(args.matrix) if args.matrix else builtin_matrix_path())
    changes: dict[str, Any] = {}
    for key in ("codecs", "payloads", "transports", "scenarios"):
        value = getattr(args, key)
        if value:
            changes[key] = _split(value)
    if args.payload_file:
        changes["payloads"] = [*changes.get("payloads", matrix.payloads),
                               *(f"file:{Path(p).resolve()}" for p in args.payload_file)]
    for key in ("pin", "gc"):
        if getattr(args, key):
            changes[key] = getattr(args, key)
    matrix = dataclasses.replace(matrix, **changes)
    validate(matrix)
    assert isinstance(matrix, Matrix)
    return matrix


def _matrix_of_run(directory: Path) -> Any:
    from serbench.matrix import Budget, Matrix
    from serbench.results import read_environment

    data = read_environment(directory).get("matrix")
    if not isinstance(data, dict):
        raise UserError(f"{directory}: environment.json records no matrix to resume")
    data = dict(data)
    data["budget"] = Budget(**data.get("budget", {}))
    return Matrix(**data)


def cmd_run(args: argparse.Namespace) -> int:
    """Validate everything, run the matrix, write the report."""
    from serbench import orchestrate, results
    from serbench.payloads import make_payload

    matrix = _matrix_from_args(args)
    passthrough = pyperf_passthrough(args)
    if args.resume:
        outdir = Path(args.resume)
        if not outdir.is_dir():
            raise UserError(f"--resume {outdir}: no such results directory")
    else:
        outdir = Path(args.output or Path("results") / time.strftime("%Y%m%d-%H%M%S"))
    results.check_writable(outdir)
    for spec in matrix.payloads:  # bad payload specs fail now, before anything runs
        make_payload(spec)
    print(f"serbench run: {len(matrix.codecs)} codecs x {len(matrix.payloads)} payloads, "
          f"scenarios {','.join(matrix.scenarios)}, transports {','.join(matrix.transports)}; "
          f"results in {outdir}", flush=True)
    plan = orchestrate.RunPlan(matrix, outdir, passthrough, resume=bool(args.resume),
                               cell_timeout_s=args.cell_timeout,
                               progress=lambda line: print(line, flush=True))
    started = time.monotonic()
    try:
        rows = orchestrate.run(plan)
    except (KeyboardInterrupt, orchestrate.Interrupted):
        print(f"\nserbench run: interrupted; finished cells are kept in {outdir}; "
              f"finish with: serbench run --resume {outdir}", file=sys.stderr)
        return 130
    counts = {s: sum(1 for r in rows if r["status"] == s) for s in ("ok", "skipped", "failed")}
    print(f"serbench run: {counts['ok']} cells measured, {counts['skipped']} skipped, "
          f"{counts['failed']} failed in {time.monotonic() - started:.0f} s; results in {outdir}")
    if not args.no_report:
        _report(outdir)
    return 0


def _report(outdir: Path) -> None:
    from serbench.report import build_report

    paths = build_report(outdir)
    print(f"serbench run: report in {paths[0]}")
