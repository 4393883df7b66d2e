"""From per-round worker means to the figures a user acts on, each with its 95 % interval.

- A cell's mean: t interval over its worker processes' means.
- Its ratio to the reference codec (pickle) in the same comparison group: paired by round.
- Its ratio to the transport floor (`null`) in socket scenarios; a codec faster than the floor
  beyond its interval is impossible when its frames are no smaller than null's, so the cell
  (and the run) is marked suspect.
- Ranks within a group, per codec family (`Codec.family`); "fastest" only when the paired
  interval against the runner-up excludes 1 at the ranked set's family-wise 95 % (Bonferroni
  over its pairs: the ranking picks the pair from the data), else the rank-1 row names the
  codec it is tied with.
- Drift: how the reference codec's time moved from the first round to each later one.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from serbench.common.cell import Cell, GroupKey, group_key
from serbench.common.vocabulary import (
    FAMILY_GENERAL,
    FLOOR_CODEC,
    OK,
    REFERENCE_CODEC,
    SOCKET_SCENARIOS,
)
from serbench.stats.intervals import Interval, family_confidence, mean_interval, paired_ratio

#: Below this frame size the loopback transport cost does not depend on the size (one
#: segment, one copy), so null is a floor for any codec's small frames.
SIZE_INDEPENDENT_BYTES = 4096


@dataclass
class CellRecord:
    """One cell as the run knows it: its summary row and its workers' means by round."""

    cell: Cell
    row: dict[str, Any]
    rounds: dict[int, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Measured (at least one worker) and not failed."""
        return self.row.get("status") == OK and bool(self.rounds)


def _bounds(prefix: str, interval: Interval | None) -> dict[str, Any]:
    if interval is None:
        return {prefix: None, f"{prefix}_lo": None, f"{prefix}_hi": None}
    return {prefix: interval.estimate, f"{prefix}_lo": interval.low,
            f"{prefix}_hi": interval.high}


def floor_applies(codec_bytes: int | None, floor_bytes: int | None) -> bool:
    """Whether null's time is a floor for this codec: its frames are no smaller than null's,
    or both are small enough that the transport cost does not depend on size."""
    if codec_bytes is None or floor_bytes is None:
        return False
    return codec_bytes >= floor_bytes or floor_bytes <= SIZE_INDEPENDENT_BYTES


def summarise(records: Iterable[CellRecord]) -> list[str]:
    """Fill every row's interval, ratio, floor, rank and suspect columns in place; returns
    the run-level suspect reasons."""
    by_group: dict[GroupKey, list[CellRecord]] = {}
    for record in records:
        by_group.setdefault(group_key(record.cell), []).append(record)
    suspects: list[str] = []
    for members in by_group.values():
        suspects += _summarise_group(members)
    return suspects


def _summarise_group(members: Sequence[CellRecord]) -> list[str]:
    ok = [m for m in members if m.ok]
    reference = next((m for m in ok if m.cell.codec == REFERENCE_CODEC), None)
    floor = next((m for m in ok if m.cell.codec == FLOOR_CODEC), None)
    suspects: list[str] = []
    for member in members:
        row = member.row
        row.update(processes=len(member.rounds) or None, rank=None, tied_with="", suspect="")
        row.update(_bounds("ratio", None))
        row.update(_bounds("floor_ratio", None))
        row.update(ratio_rounds=None, mean_lo_s=None, mean_hi_s=None)
        if not member.ok:
            continue
        mean = mean_interval(list(member.rounds.values()))
        row.update(mean_lo_s=mean.low, mean_hi_s=mean.high)
        if reference is member:
            row.update(ratio=1.0, ratio_rounds=len(member.rounds))
        elif reference is not None:
            ratio = paired_ratio(member.rounds, reference.rounds)
            row.update(_bounds("ratio", ratio), ratio_rounds=ratio.n if ratio else None)
        if (floor is not None and floor is not member
                and member.cell.scenario in SOCKET_SCENARIOS):
            to_floor = paired_ratio(member.rounds, floor.rounds)
            row.update(_bounds("floor_ratio", to_floor))
            if (to_floor is not None and to_floor.known and to_floor.high is not None
                    and to_floor.high < 1.0 and floor_applies(row.get("encoded_bytes"),
                                                               floor.row.get("encoded_bytes"))):
                why = (f"faster than the null floor beyond its interval "
                       f"({to_floor.estimate:.2f}x [{to_floor.low:.2f}, {to_floor.high:.2f}])")
                row["suspect"] = why
                suspects.append(f"{member.cell.codec} {row.get('benchmark', '')}: {why}")
    _rank(ok)
    return suspects


def _rank(ok: Sequence[CellRecord]) -> None:
    """Rank timed codecs (not the floor) by their geometric-mean time over the rounds, each
    family on its own: a prepared-message encode is never ranked against a populating one."""
    families: dict[str, list[CellRecord]] = {}
    for member in ok:
        if member.cell.codec != FLOOR_CODEC:
            families.setdefault(member.row.get("family") or FAMILY_GENERAL, []).append(member)
    for members in families.values():
        _rank_family(members)


def _rank_family(members: Sequence[CellRecord]) -> None:
    ranked = sorted(members, key=lambda m: _geomean(m.rounds.values()))
    for number, member in enumerate(ranked, 1):
        member.row["rank"] = number
    if len(ranked) >= 2:
        best, second = ranked[0], ranked[1]
        pairs = len(ranked) * (len(ranked) - 1) // 2  # the order claims of the whole group
        versus = paired_ratio(best.rounds, second.rounds, family_confidence(pairs))
        if versus is None or not versus.excludes(1.0):
            best.row["tied_with"] = second.cell.codec


def _geomean(values: Iterable[float]) -> float:
    logs = [math.log(v) for v in values if v > 0]
    return math.exp(sum(logs) / len(logs)) if logs else math.inf


def drift(records: Iterable[CellRecord]) -> list[float]:
    """Per round, the reference codec's time relative to its first round (geometric mean over
    its cells that ran in both); the report draws this to show how the machine moved."""
    reference = [r for r in records if r.ok and r.cell.codec == REFERENCE_CODEC]
    if not reference:
        return []
    first = min(min(r.rounds) for r in reference)
    last = max(max(r.rounds) for r in reference)
    out: list[float] = []
    for number in range(first, last + 1):
        logs = [math.log(r.rounds[number] / r.rounds[first]) for r in reference
                if number in r.rounds and first in r.rounds]
        out.append(math.exp(sum(logs) / len(logs)) if logs else math.nan)
    return out


def precision(records: Iterable[CellRecord]) -> dict[str, float | None]:
    """Median and largest relative half-width of the ratio intervals: what the run reached."""
    widths: list[float] = []
    for record in records:
        row = record.row
        low, high, estimate = row.get("ratio_lo"), row.get("ratio_hi"), row.get("ratio")
        if low is not None and high is not None and estimate:
            widths.append((high - low) / 2 / estimate)
    if not widths:
        return {"median_ratio_half_width": None, "max_ratio_half_width": None}
    return {"median_ratio_half_width": statistics.median(widths),
            "max_ratio_half_width": max(widths)}
