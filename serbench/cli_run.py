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


def _matrix_from_args(args: argparse.Namespace) -> tuple[Any, bool]:
    """The matrix to run, and whether the user chose its codecs (a file of theirs or
    `--codecs`), in which case a codec whose library is missing is an error, not a skip."""
    from serbench.cli import _split
    from serbench.matrix import Matrix, builtin_matrix_path, load_matrix, validate

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
        changes["payloads"] = [*changes.get("payloads", matrix.payloads),
                               *(f"file:{Path(p).resolve()}" for p in args.payload_file)]
    for key in ("pin", "gc"):
        if getattr(args, key):
            changes[key] = getattr(args, key)
    matrix = dataclasses.replace(matrix, **changes)
    validate(matrix)
    assert isinstance(matrix, Matrix)
    return matrix, chosen


def _matrix_of_run(directory: Path) -> Any:
    from serbench.matrix import Budget, Matrix
    from serbench.results import ENVIRONMENT, ResultsError, read_environment

    data = read_environment(directory).get("matrix")
    if not isinstance(data, dict):
        raise ResultsError(f"{directory / ENVIRONMENT}: records no matrix to resume")
    try:
        data = dict(data)
        data["budget"] = Budget(**data.get("budget", {}))
        return Matrix(**data)
    except (TypeError, ValueError) as exc:
        raise ResultsError(f"{directory / ENVIRONMENT}: corrupt matrix ({exc})") from exc


def _recorded_pyperf_args(directory: Path) -> list[str]:
    """The pyperf options the interrupted run was started with (resume measures alike)."""
    from serbench.results import read_environment

    recorded = read_environment(directory).get("pyperf_args")
    if isinstance(recorded, list) and all(isinstance(a, str) for a in recorded):
        return list(recorded)
    return []


def _check_codecs(matrix: Any, chosen: bool) -> None:
    """A codec the user chose whose library is missing is an error now, before anything runs;
    in a built-in matrix it is skipped with the reason (printed here, recorded per cell)."""
    from serbench.codecs import CodecUnavailable, get_codec

    for name in matrix.codecs:
        try:
            get_codec(name)
        except CodecUnavailable as exc:
            if chosen:
                raise UserError(f"codec {name!r} is unavailable: {exc}") from exc
            print(f"serbench run: note: codec {name} is unavailable and will be skipped: {exc}",
                  flush=True)


def cmd_run(args: argparse.Namespace) -> int:
    """Validate everything, run the matrix, write the report."""
    from serbench import orchestrate, results
    from serbench.payloads import make_payload

    if not args.cell_timeout > 0:
        raise UserError("--cell-timeout must be a positive number of seconds")
    if args.resume:
        outdir = Path(args.resume)
        if args.output and Path(args.output) != outdir:
            raise UserError("--resume DIR writes into DIR; drop -o/--output")
        if not outdir.is_dir():
            raise UserError(f"--resume {outdir}: no such results directory")
    else:
        outdir = Path(args.output or Path("results") / time.strftime("%Y%m%d-%H%M%S"))
    matrix, chosen = _matrix_from_args(args)
    passthrough = pyperf_passthrough(args)
    if args.resume and not passthrough:
        passthrough = _recorded_pyperf_args(outdir)
        if passthrough:
            print(f"serbench run: resuming with the first part's pyperf options: "
                  f"{' '.join(passthrough)}", flush=True)
    _check_codecs(matrix, chosen and not args.resume)
    for spec in matrix.payloads:  # bad payload specs fail now, before anything runs
        make_payload(spec)
    results.check_writable(outdir)
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
    kept = sum(1 for r in rows if r.get(orchestrate.KEPT) and r["status"] == "ok")
    measured = f"{counts['ok'] - kept} cells measured" + (
        f" ({kept} kept from the earlier run)" if kept else "")
    print(f"serbench run: {measured}, {counts['skipped']} skipped, "
          f"{counts['failed']} failed in {time.monotonic() - started:.0f} s; results in {outdir}")
    if not args.no_report:
        _report(outdir)
    return 0


def _report(outdir: Path) -> None:
    """The report at the end of a run; a report failure never hides the measured results."""
    from serbench.report import build_report

    try:
        paths = build_report(outdir)
    except UserError as exc:
        print(f"serbench run: warning: no report ({exc}); the results are in {outdir}; "
              f"try: serbench report {outdir}", file=sys.stderr)
        return
    print(f"serbench run: report in {paths[0]}")
