"""`serbench wiremodel validate LOOPBACK LINK...` and `serbench wiremodel chart DIR`: the wire model
(docs/wiremodel.md) checked against runs over a shaped link, and drawn as the codec that wins
at each bandwidth x RTT."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from serbench.cli.common import check_results_directory
from serbench.cli.helptext import command_help
from serbench.common.errors import UserError
from serbench.common.tables import format_table
from serbench.common.units import seconds
from serbench.extensions.wiremodel.chart import write_chart
from serbench.extensions.wiremodel.inputs import shared_core
from serbench.extensions.wiremodel.link import link_from_environment
from serbench.extensions.wiremodel.validate import validate, write_csv
from serbench.extensions.wiremodel.winners import run_winner_map
from serbench.report.data import load_run
from serbench.report.text import count

if TYPE_CHECKING:
    from serbench.cli.common import Subparsers
    from serbench.extensions.wiremodel.validate import Validation
    from serbench.report.data import Run


def add_wiremodel_command(sub: Subparsers) -> None:
    """Register `wiremodel` (with `validate` and `chart`; `model` is its old name, kept as an
    alias) on the CLI's subparsers."""
    p = sub.add_parser("wiremodel", aliases=["model"], **command_help("wiremodel"))
    actions = p.add_subparsers(dest="model_command", required=True, metavar="ACTION")
    v = actions.add_parser("validate", help="predict every round-trip and stream cell of link "
                           "runs from a loopback run and print the error per cell")
    v.add_argument("loopback", metavar="LOOPBACK_DIR", help="a loopback run (in-process "
                   "figures, sizes, the null floor)")
    v.add_argument("linked", metavar="LINK_DIR", nargs="+",
                   help="runs made with `serbench run --link ...`")
    v.add_argument("--configured", action="store_true", help="use the link's configured rate "
                   "and delay, not the figures measured in the run")
    v.set_defaults(func=cmd_validate)
    c = actions.add_parser("chart", help="per payload, which codec the model predicts fastest "
                           "at each bandwidth x RTT (PNG in the results directory)")
    c.add_argument("directory", metavar="RESULTS_DIR", help="a loopback run")
    c.add_argument("--payload", metavar="P", help="only this payload (label or spec)")
    c.add_argument("--transport", default="tcp", help="whose null floor to use (default tcp)")
    c.add_argument("--window", type=float, metavar="BYTES", default=None,
                   help="bound each flow to BYTES/RTT (a TCP window); default: unbounded")
    c.set_defaults(func=cmd_chart)


def cmd_validate(args: argparse.Namespace) -> int:
    """Print each link run's per-cell table and summary; write its CSV."""

    directories = [Path(args.loopback), *(Path(d) for d in args.linked)]
    for directory in directories:
        check_results_directory(directory)
    loopback = load_run(directories[0])
    if link_from_environment(loopback.environment) is not None:
        raise UserError(f"{directories[0]}: ran over a link; give a loopback run first "
                        "(its in-process figures and null floor feed the model)")
    validations = []
    for directory in directories[1:]:
        linked = load_run(directory)
        link = link_from_environment(linked.environment, prefer_measured=not args.configured)
        if link is None:
            raise UserError(f"{directory}: environment.json records no link; not a run made "
                            "with `serbench run --link`")
        validation = validate(loopback, linked, link)
        if not validation.rows:
            raise UserError(f"{directory}: no round-trip or stream cell to predict (none "
                            "measured, or none of its codec x payload pairs in "
                            f"{loopback.directory})")
        _print_validation(validation)
        print(f"wrote {write_csv(validation)}\n")
        validations.append(validation)
    if len(validations) > 1:
        rows = [r for v in validations for r in v.rows]
        within = sum(r.within for r in rows)
        print(f"all link runs: {within} of {len(rows)} cells within ±15 %")
    return 0


def _print_validation(validation: Validation) -> None:

    link = validation.link
    rate = "unlimited" if link.rate_bit_s is None else count(link.rate_bit_s, "bit/s")
    print(f"{validation.directory}: link {link.spec or '?'}: B = {rate} ({link.rate_source}), "
          f"RTT = {seconds(link.rtt_s)} ({link.rtt_source})")

    def figure(value: float, unit: str) -> str:
        return seconds(value) if unit == "s" else count(value, " msg/s")

    def error(value: float | None) -> str:
        return "" if value is None else f"{100 * value:+.1f} %"

    rows = [[r.codec, r.payload, r.measure, figure(r.predicted, r.unit),
             figure(r.measured, r.unit), error(r.error), "" if r.within else r.dominant,
             error(r.anchored_error)]
            for r in validation.rows]
    print(format_table(["codec", "payload", "measure", "predicted", "measured", "error",
                        "off by >15 %: the term that would explain it", "anchored error"],
                       rows))
    median = validation.median_abs_error
    print(f"median |error| {100 * (median or 0):.1f} %; {validation.within_count} of "
          f"{len(validation.rows)} cells within ±15 %")
    anchored = validation.anchored_median_abs_error
    if anchored is not None:
        print(f"anchored on the loopback cells (the link terms alone): median |error| "
              f"{100 * anchored:.1f} %")
    if validation.missing:
        print(f"not predicted: {len(validation.missing)} cell(s) "
              f"({validation.missing[0][3]}, e.g. {validation.missing[0][0]} on "
              f"{validation.missing[0][1]})")


def cmd_chart(args: argparse.Namespace) -> int:
    """Write one winner-map PNG per payload of the run."""

    directory = Path(args.directory)
    check_results_directory(directory)
    run = load_run(directory)
    if link_from_environment(run.environment) is not None:
        raise UserError(f"{directory}: ran over a link (its null floor includes the link); "
                        "chart a loopback run")
    payloads = list(run.payloads)
    if args.payload:
        payloads = [p for p in payloads if args.payload in (p, _spec(run, p))]
        if not payloads:
            raise UserError(f"{directory}: no payload {args.payload!r} (the run has "
                            f"{', '.join(run.payloads)})")
    note = (f"{directory.name}, in-process figures and {args.transport} null floor; "
            f"client and server {'on one core' if shared_core(run) else 'on separate cores'}")
    if args.window:
        note += f"; window {args.window:g} B"
    written = 0
    for payload in payloads:
        winners = run_winner_map(run, payload, transport=args.transport,
                                 window_bytes=args.window)
        if winners is None:
            print(f"{payload}: no codec to rank (none round-trips it with in-process figures)")
            continue
        print(f"wrote {write_chart(winners, directory, note)}")
        written += 1
    if not written:
        raise UserError(f"{directory}: no payload has a codec to rank; the chart needs "
                        "encode and decode cells")
    return 0


def _spec(run: Run, payload: str) -> str:
    cell = next((c for c in run.cells if c.payload == payload), None)
    return cell.payload_spec if cell else ""
