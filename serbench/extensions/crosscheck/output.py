"""The cross-check's table: one row per cell, serbench / peer, and the count that agree."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from serbench.common.tables import format_table
from serbench.common.units import seconds


def summary_line(rows: Sequence[dict[str, Any]], tolerance: float) -> str:
    """`41 of 56 cells within ±5 %` (cells with both figures)."""
    judged = [r for r in rows if r["agrees"] is not None]
    agree = sum(1 for r in judged if r["agrees"])
    return (f"{agree} of {len(judged)} cells within ±{tolerance:.0%} of the peer's method"
            + (f"; {len(rows) - len(judged)} without both figures" if len(judged) < len(rows)
               else ""))


def format_rows(rows: Sequence[dict[str, Any]]) -> str:
    """A plain table, slowest disagreement first."""
    def order(r: dict[str, Any]) -> tuple[str, float]:
        return (r["peer"], -(abs((r["ratio"] or 1.0) - 1.0)))

    table = [[r["peer"], r["codec"], r["document"], r["direction"],
              seconds(r["serbench_s"]) if r["serbench_s"] else "-",
              seconds(r["peer_s"]) if r["peer_s"] else "-",
              f"{r['ratio']:.3f}" if r["ratio"] else "-",
              "yes" if r["agrees"] else ("no" if r["agrees"] is not None else "-"),
              "-" if r["faults_per_call"] is None else f"{r['faults_per_call']:g}",
              f"{r['settled_workers'] or '-'}/{r['processes'] or '-'}"]
             for r in sorted(rows, key=order)]
    return format_table(["peer method", "codec", "document", "call", "serbench", "peer",
                         "serbench/peer", "within", "faults/call", "settled"], table)
