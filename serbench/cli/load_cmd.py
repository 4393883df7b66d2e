"""`serbench load`: open-loop request rates against a blocking or asyncio server, and each
codec's latency-versus-throughput curve (docs/load.md). Writes its own results directory
(load.csv, histograms, interval logs, pyperf suites) and `load.html`."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from serbench.cli.common import say, split_list
from serbench.cli.helptext import command_help
from serbench.codecs import CodecUnavailable, get_codec
from serbench.common.errors import UserError
from serbench.common.units import parse_duration
from serbench.extensions.load.output import LoadResults
from serbench.extensions.load.report import summary_lines, write_load_report
from serbench.extensions.load.schedule import ARRIVALS
from serbench.extensions.load.servers import check_kind, default_kind
from serbench.extensions.load.sweep import SweepConfig, run_sweep
from serbench.payloads import make_payload


def parse_seconds(text: str, flag: str) -> float:
    """Seconds from `1ms`, `500us`, `2s` or a bare number of seconds (the grammar of
    `serbench.common.units.parse_duration`); positive. Errors name the flag."""
    try:
        return parse_duration(text, positive=True)
    except UserError as exc:
        raise UserError(f"{flag}: {exc}") from exc


def _numbers(text: str, flag: str) -> list[float]:

    try:
        values = [float(v.rstrip("%")) for v in split_list(text)]
    except ValueError as exc:
        raise UserError(f"{flag} {text!r}: expected comma-separated numbers") from exc
    if not values or any(v <= 0 for v in values):
        raise UserError(f"{flag} {text!r}: expected one or more positive numbers")
    return values


def add_load_command(sub: Any) -> None:
    """Register `load` on the CLI's subparsers."""

    p = sub.add_parser("load", **command_help("load"))
    p.add_argument("--codecs", default="pickle,msgpack,orjson,msgspec-msgpack",
                   help="comma-separated codecs (the null codec, the generator's ceiling, is "
                        "added unless --no-ceiling)")
    p.add_argument("--payloads", default="small", help="comma-separated payload specs")
    p.add_argument("--clients", type=int, default=8, help="client connections (default 8)")
    p.add_argument("--sweep", default="10,30,50,70,80,90,100,110,130,160,200", metavar="PCTS",
                   help="offered rates as percentages of the closed-loop maximum (default "
                        "10..200: with many requests in flight a server often serves more "
                        "than the closed loop's one-per-connection maximum)")
    p.add_argument("--rates", metavar="RPS", help="offered rates in requests/s (replaces "
                   "--sweep)")
    p.add_argument("--arrivals", choices=ARRIVALS, default="uniform")
    p.add_argument("--server", default=None, metavar="KINDS",
                   help="comma-separated server kinds: blocking, asyncio, uvloop (default: "
                        "uvloop when installed, else asyncio)")
    p.add_argument("--duration", default="5s", help="measured time per point (default 5s)")
    p.add_argument("--warmup-duration", "--warmup", dest="warmup", default="1s",
                   help="unmeasured start of each point (default 1s)")
    p.add_argument("--closed-duration", default="2s",
                   help="length of the closed-loop maximum's point")
    p.add_argument("--drain", default="5s", help="how long to wait for late replies")
    p.add_argument("--p99-target", default="1ms", help="the p99 a rate must hold (1ms)")
    p.add_argument("--window", type=int, default=256,
                   help="requests in flight per connection before overflow is counted")
    p.add_argument("--load-processes", type=int, default=1,
                   help="load processes sharing the connections (default 1)")
    p.add_argument("--spin-us", type=float, default=None,
                   help="busy-wait (instead of sleeping) this long before each send; default: "
                        "always when the one load process has a CPU of its own (--pin split), "
                        "else 100")
    p.add_argument("--pin", choices=["split", "same", "none"], default="split",
                   help="server and load processes on different CPUs (split, default), "
                        "one CPU, or unpinned")
    p.add_argument("--gc", choices=["on", "off"], default="on", help="the server's GC policy")
    p.add_argument("--transport", choices=["tcp", "uds"], default="tcp")
    p.add_argument("--seed", type=int, default=1, help="seed of the Poisson arrivals")
    p.add_argument("--no-ceiling", action="store_true",
                   help="skip the null codec (no generator ceiling, no generator-bound mark)")
    p.add_argument("--stall", metavar="DURATION",
                   help="coordinated-omission demonstration: stop the server (SIGSTOP) this "
                        "long in each point, measuring closed loop and open loop at 50 %%")
    p.add_argument("-o", "--output", metavar="DIR",
                   help="results directory (default: results/load-<date-time>-<pid>)")
    p.add_argument("--no-report", action="store_true", help="skip load.html at the end")
    p.set_defaults(func=cmd_load)


def sweep_config(args: argparse.Namespace) -> Any:
    """The sweep the flags ask for; every bad flag is a `UserError` before anything runs."""

    codecs = split_list(args.codecs)
    payloads = split_list(args.payloads)
    servers = split_list(args.server) if args.server else [default_kind()]
    if not codecs or not payloads or not servers:
        raise UserError("--codecs, --payloads and --server must each name at least one")
    for name in codecs:
        try:
            get_codec(name)
        except CodecUnavailable as exc:
            raise UserError(f"codec {name!r} is unavailable: {exc}") from exc
    for spec in payloads:
        make_payload(spec)
    for kind in servers:
        try:
            check_kind(kind)
        except ValueError as exc:
            raise UserError(f"--server: {exc}") from exc
    if not 1 <= args.clients <= 1024:
        raise UserError("--clients must be between 1 and 1024")
    for flag, value in (("--window", args.window), ("--load-processes", args.load_processes)):
        if value < 1:
            raise UserError(f"{flag} must be at least 1")
    if args.spin_us is not None and args.spin_us < 0:
        raise UserError("--spin-us must be zero or more")
    fractions = [v / 100 for v in _numbers(args.sweep, "--sweep")]
    rates = _numbers(args.rates, "--rates") if args.rates else None
    stall = parse_seconds(args.stall, "--stall") * 1000 if args.stall else None
    return SweepConfig(
        codecs=codecs, payloads=payloads, servers=servers, clients=args.clients,
        fractions=fractions, rates=rates, arrivals=args.arrivals,
        duration_s=parse_seconds(args.duration, "--duration"),
        warmup_s=parse_seconds(args.warmup, "--warmup-duration"),
        closed_s=parse_seconds(args.closed_duration, "--closed-duration"),
        drain_s=parse_seconds(args.drain, "--drain"),
        window=args.window, processes=args.load_processes, pin=args.pin, gc=args.gc,
        transport=args.transport, p99_target_s=parse_seconds(args.p99_target, "--p99-target"),
        seed=args.seed, spin_ns=None if args.spin_us is None else int(args.spin_us * 1000),
        ceiling=not args.no_ceiling, stall_ms=stall)


def cmd_load(args: argparse.Namespace) -> int:
    """Validate, sweep (each point on disk as it finishes), then the report."""
    import os


    config = sweep_config(args)
    outdir = Path(args.output) if args.output else \
        Path("results") / f"load-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    sink = LoadResults(outdir, config)
    say("load", f"{len(config.codecs)} codecs x {len(config.payloads)} payloads, servers "
                f"{','.join(config.servers)}, {config.clients} clients; results in {outdir}")
    try:
        run_sweep(config, sink, lambda line: say("load", line))
    except KeyboardInterrupt:
        sink.finish("interrupted")
        print(f"serbench load: interrupted; the {len(sink.rows)} finished points are kept in "
              f"{outdir}", file=sys.stderr)
        return 130
    sink.finish("complete")
    failed = sum(1 for r in sink.rows if r.get("status") == "failed")
    say("load", f"{len(sink.rows)} points, {failed} failed; results in {outdir}")
    _print_summary(sink.summaries)
    if not args.no_report:

        say("load", f"report in {write_load_report(outdir)}")
    return 1 if failed and failed == len(sink.rows) else 0


def _print_summary(summaries: list[dict[str, Any]]) -> None:

    for line in summary_lines(summaries):
        print(line)
