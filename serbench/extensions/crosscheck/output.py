"""The cross-check's table: one row per case, serbench / peer as the median of the paired
rounds' ratios with their range, and the summary of how many agree, disagree in every round,
or were left to the machine's noise (unresolved)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from serbench.common.tables import format_table
from serbench.common.units import seconds


def summary_line(rows: Sequence[dict[str, Any]], tolerance: float) -> str:
    """`56 cases, median of 3 paired rounds: 30 agree within ±5% (4 of them unresolved), ...`.

    Agree: the median ratio is within the band. Of the others, resolved ones are beyond it in
    every round on the same side (serbench is slower or faster); unresolved ones have rounds on
    both sides of its edge (the machine's phases decided). One paired round cannot resolve."""
    judged = [r for r in rows if r["agrees"] is not None]
    agree = [r for r in judged if r["agrees"]]
    beyond = [r for r in judged if not r["agrees"]]
    rounds = max((r["rounds"] for r in judged), default=0)
    parts = [f"{len(agree)} agree within ±{tolerance:.0%}"
             + (f" ({n} of them unresolved)" if (n := sum(1 for r in agree
                                                        if r["resolved"] is False)) else ""),
             f"{sum(1 for r in beyond if r['resolved'])} disagree in every round",
             f"{sum(1 for r in beyond if r['resolved'] is False)} disagree unresolved"]
    single = sum(1 for r in beyond if r["resolved"] is None)
    if single:
        parts.append(f"{single} disagree in their one paired round")
    line = (f"{len(judged)} cases, median of {rounds} paired round{'s' * (rounds != 1)}: "
            + ", ".join(parts))
    if len(judged) < len(rows):
        line += f"; {len(rows) - len(judged)} without both figures"
    return line


def _yes_no(value: bool | None) -> str:
    return "-" if value is None else ("yes" if value else "no")


def _range(r: dict[str, Any]) -> str:
    if r["ratio_min"] is None:
        return "-"
    return f"{r['ratio_min']:.3f}-{r['ratio_max']:.3f}"


def _farthest_first(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per peer, the ratio farthest from 1 first."""
    return sorted(rows, key=lambda r: (r["peer"], -(abs((r["ratio"] or 1.0) - 1.0))))


#: The columns both tables open with, after their own name for the peer's side.
_SHARED = ["codec", "document", "call", "serbench", "peer", "serbench/peer", "rounds' range",
           "within", "resolved"]


def _shared(r: dict[str, Any]) -> list[str]:
    """A row's cells under `_SHARED` (its peer first)."""
    return [r["peer"], r["codec"], r["document"], r["direction"],
            seconds(r["serbench_s"]) if r["serbench_s"] else "-",
            seconds(r["peer_s"]) if r["peer_s"] else "-",
            f"{r['ratio']:.3f}" if r["ratio"] else "-", _range(r),
            _yes_no(r["agrees"]), _yes_no(r["resolved"])]


def format_rows(rows: Sequence[dict[str, Any]]) -> str:
    """A plain table, per peer, the farthest from 1 first."""
    table = [[*_shared(r),
              "-" if r["faults_per_call"] is None else f"{r['faults_per_call']:g}",
              f"{r['settled_workers'] or '-'}/{r['processes'] or '-'}"]
             for r in _farthest_first(rows)]
    return format_table(["peer method", *_SHARED, "faults/call", "settled"], table)


def _faults(value: float | None) -> str:
    return "-" if value is None else f"{value:.3g}"


def format_alternating(rows: Sequence[dict[str, Any]]) -> str:
    """The alternating processes' table, per peer, the farthest from 1 first: each side's
    block time per call and minor faults per call (medians over rounds; "apart" when they
    differed in some round: the heap's state, docs/crosscheck.md), the ratio and its rounds'
    range."""
    table = [[*_shared(r),
              _faults(r["serbench_faults_per_call"]), _faults(r["peer_faults_per_call"]),
              "yes" if r["faults_differ"] else ""]
             for r in _farthest_first(rows)]
    return format_table(["peer's process", *_SHARED, "faults/call serbench", "peer", "apart"],
                        table)
