"""The paired schedule: rounds of documents, each document's two sides back to back, the side
that goes first alternating from round to round.

This machine's speed changes in phases of seconds to minutes, so each side of a comparison must
see the same stretch of time: per round and document, serbench's run of that document's cases
and the peer's method on the same cases run one after the other, in fresh processes; the order
flips every round so that neither side always gets the first (or the second) half of the
stretch. The loop takes its side runners as arguments, so tests drive it with fakes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from serbench.extensions.crosscheck.cases import Case

SERBENCH = "serbench"


@dataclass(frozen=True)
class Unit:
    """One document's cases and the peer whose method times them."""

    document: str
    peer: str
    cases: tuple[Case, ...]


@dataclass(frozen=True)
class RoundResult:
    """Both sides' figures for one document in one round: serbench's summary rows and the
    peer's seconds per call, each by case ident."""

    number: int
    unit: Unit
    first: str
    ours: dict[str, dict[str, str]]
    theirs: dict[str, float]


#: Side runners: serbench's (unit, its directory, its time budget in seconds) -> summary row by
#: case ident; a peer's (unit, its directory) -> seconds per call by case ident.
SerbenchSide = Callable[[Unit, Path, float], dict[str, dict[str, str]]]
PeerSide = Callable[[Unit, Path], dict[str, float]]


def order(number: int, peer: str) -> tuple[str, str]:
    """Which side goes first in round `number` (1-based): serbench in odd rounds."""
    return (SERBENCH, peer) if number % 2 else (peer, SERBENCH)


def split_budget(total_s: float, rounds: int, units: Sequence[Unit]) -> dict[str, float]:
    """serbench's time budget per run (document -> seconds): the total over the rounds, each
    round's share over the documents by their number of cases (a worker per case and round).
    A share below a run's minimum is fine: `serbench run` never times fewer than its minimum
    rounds, it runs over the budget and says so."""
    cases = sum(len(u.cases) for u in units)
    if not cases:
        return {}
    return {u.document: total_s / max(1, rounds) * len(u.cases) / cases for u in units}


def side_dir(outdir: Path, number: int, side: str, document: str) -> Path:
    """`round-1/serbench-github`, `round-2/orjson-method-github`, ..."""
    name = f"{side}-{document}" if side == SERBENCH else f"{side}-method-{document}"
    return outdir / f"round-{number}" / name


def run_rounds(units: Sequence[Unit], rounds: int, budgets: dict[str, float], outdir: Path,
               serbench: SerbenchSide, peer: PeerSide, say: Callable[[str], None]
               ) -> list[RoundResult]:
    """Every round of every document, both sides each time, alternating the first."""
    out: list[RoundResult] = []
    for number in range(1, rounds + 1):
        for unit in units:
            first, second = order(number, unit.peer)
            ours: dict[str, dict[str, str]] = {}
            theirs: dict[str, float] = {}
            say(f"round {number}/{rounds}, {unit.document}: {first}, then {second} "
                f"({len(unit.cases)} cases)")
            for side in (first, second):
                work = side_dir(outdir, number, side, unit.document)
                if side == SERBENCH:
                    ours = serbench(unit, work, budgets[unit.document])
                else:
                    theirs = peer(unit, work)
            out.append(RoundResult(number, unit, first, ours, theirs))
    return out
