"""`serbench list`: what codecs, compressors and payloads this installation has.

Named `list_cmd` so the module never shadows the builtin `list` in the package namespace."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from serbench.cli.helptext import command_help
from serbench.cli.inventory import describe_codecs, describe_compressors, describe_payloads
from serbench.common.tables import format_table
from serbench.payloads import payload_failures
from serbench.payloads.corpus import DOCUMENTS, document_status

if TYPE_CHECKING:
    from serbench.cli.common import Subparsers


def add_list_command(sub: Subparsers) -> None:
    """Register `list` on the CLI's subparsers."""
    p = sub.add_parser("list", **command_help("list"))
    p.add_argument("--json", action="store_true", help="print JSON for scripts")
    p.set_defaults(func=cmd_list)


def cmd_list(args: argparse.Namespace) -> int:
    """Print the inventory as tables, or as JSON for scripts."""

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
    rows = [[p["name"], f"{p['default_size']} {p['unit']}", p["description"]] for p in payloads]
    rows += [[name, "-", f"unavailable: {why}"] for name, why in payload_failures().items()]
    print(format_table(["payload", "default size", "description"], rows))
    print()
    _print_corpus()
    return 0


def _print_corpus() -> None:
    """The corpus payloads, and whether each is in the cache (docs/corpus.md)."""

    print("Corpus payloads (real-world JSON documents; fetched, not generated)")
    rows = []
    for name, doc in DOCUMENTS.items():
        status = document_status(name)
        state = (f"{status.size} bytes" if status.verified
                 else "hash mismatch: run serbench corpus fetch" if status.cached
                 else "not fetched: run serbench corpus fetch")
        rows.append([f"corpus:{name}", state, doc.description])
    print(format_table(["payload", "cache", "description"], rows))
