"""The `serbench` command: argparse subcommands (pyperf's workers re-run programs with their own
flags, which click and typer reject; argparse is what pyperf itself uses).

A `UserError` anywhere becomes one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from collections.abc import Callable, Sequence

from serbench.cli_harness import add_harness_command
from serbench.cli_report import add_report_commands
from serbench.cli_run import add_run_command
from serbench.cli_serve import add_serve_command
from serbench.errors import UserError

EXIT_USAGE = 2


def _split(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _cmd_list(args: argparse.Namespace) -> int:
    from serbench.inventory import describe_codecs, describe_compressors, describe_payloads
    from serbench.tables import format_table

    codecs, payloads, compressors = describe_codecs(), describe_payloads(), describe_compressors()
    if args.json:
        json.dump({"codecs": codecs, "payloads": payloads, "compressors": compressors},
                  sys.stdout, indent=2)
        print()
        return 0
    flags = ["safe_for_untrusted_input", "cross_language", "same_python_only", "human_readable"]
    short = {"safe_for_untrusted_input": "safe", "cross_language": "xlang",
             "same_python_only": "same-py", "human_readable": "text"}
    rows = []
    for c in codecs:
        status = "yes" if c["available"] else f"no: {c['reason']}"
        shown = ",".join(short[f] for f in flags if c.get(f)) if c["available"] else ""
        rows.append([c["name"], c["library"] or "-", c["version"] or "-", status, shown])
    print("Codecs (flags: safe = safe for untrusted input, xlang = cross-language,")
    print("        same-py = same Python version only, text = human readable)")
    print(format_table(["codec", "library", "version", "available", "flags"], rows))
    print()
    print("Compressors (compose as <codec>+<compressor>, e.g. msgpack+zstd)")
    print(format_table(["compressor", "available"],
                       [[c["name"], "yes" if c["available"] else f"no: {c['reason']}"]
                        for c in compressors]))
    print()
    print("Payloads (size with <name>:<size>, e.g. records:10000)")
    print(format_table(["payload", "default size", "description"],
                       [[p["name"], f"{p['default_size']} {p['unit']}", p["description"]]
                        for p in payloads]))
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    from serbench.codecs import check_names, known_names
    from serbench.inventory import fidelity_matrix
    from serbench.payloads import payload_entries
    from serbench.tables import format_table

    codec_names = _split(args.codecs) if args.codecs else known_names()
    check_names(codec_names)
    specs = _split(args.payloads) if args.payloads else sorted(payload_entries())
    specs += [f"file:{p}" for p in args.payload_file]
    results = fidelity_matrix(codec_names, specs)
    if args.json:
        json.dump([dataclasses.asdict(r) for r in results], sys.stdout, indent=2)
        print()
        return 0
    labels = list(dict.fromkeys(r.payload for r in results))
    by_cell = {(r.codec, r.payload): r for r in results}
    print("Fidelity matrix (exact / lossy / unsupported / wrong); only exact and lossy are timed")
    print(format_table(["codec", *labels],
                       [[name, *(by_cell[name, label].status for label in labels)]
                        for name in codec_names]))
    notes = [r for r in results if r.status != "exact"]
    if notes:
        print()
        print(format_table(["codec", "payload", "class", "what happened"],
                           [[r.codec, r.payload, r.status, r.detail] for r in notes]))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(
        prog="serbench",
        description="What each serializer costs on the wire, for your payload shapes.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("list", help="list codecs, compressors and payloads")
    p.add_argument("--json", action="store_true", help="print JSON for scripts")
    p.set_defaults(func=_cmd_list)

    p = sub.add_parser("verify", help="round-trip every codec x payload: the fidelity matrix")
    p.add_argument("--codecs", help="comma-separated codec names (default: all registered)")
    p.add_argument("--payloads", help="comma-separated payload specs, e.g. records:5000,small")
    p.add_argument("--payload-file", action="append", default=[], metavar="PATH",
                   help="a .json/.msgpack/.cbor/.pickle file to use as a payload (repeatable)")
    p.add_argument("--json", action="store_true", help="print JSON for scripts")
    p.set_defaults(func=_cmd_verify)

    for register in _EXTRA_COMMANDS:
        register(sub)
    return parser


#: Subcommands defined in their own modules register here (run, report, compare, serve).
_EXTRA_COMMANDS: list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]] = [
    add_run_command,
    add_report_commands,
    add_serve_command,
    add_harness_command,
]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `serbench` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result: int = args.func(args)
        return result
    except UserError as exc:
        print(f"serbench: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("serbench: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `serbench list | head`: the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
