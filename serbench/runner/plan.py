"""Planning a run as interleaved rounds (Abedi & Brecht, ICPE 2017; Laaber et al., EMSE 2019).

A comparison group is every codec on one payload in one scenario over one transport: the cells
whose ratios the report shows side by side. In each round every cell gets one worker process;
the groups come in a fresh random order and, within a group, so do the codecs, which run back to
back. Drift of the machine then lands on all codecs of a group alike, and each codec's ratio to
the reference is paired by round. The number of rounds is planned from the wall time budget and
the rounds measured so far: the arithmetic is here, pure, so it can be tested with a fake clock.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from serbench.common.cell import Cell, GroupKey, group_key


def groups(cells: Sequence[Cell]) -> dict[GroupKey, list[Cell]]:
    """Cells by comparison group, in matrix order."""
    out: dict[GroupKey, list[Cell]] = {}
    for cell in cells:
        out.setdefault(group_key(cell), []).append(cell)
    return out


def round_order(cells: Sequence[Cell], seed: int, round_number: int) -> list[Cell]:
    """The order of one round: groups shuffled, codecs shuffled within each group.

    Deterministic for (seed, round), so a resumed run repeats the order it was interrupted in.
    """
    rng = random.Random(f"{seed}:{round_number}")
    by_group = list(groups(cells).values())
    rng.shuffle(by_group)
    order: list[Cell] = []
    for members in by_group:
        members = list(members)
        rng.shuffle(members)
        order.extend(members)
    return order


@dataclass(frozen=True)
class RoundBudget:
    """How many rounds to run: fixed, or as many as fit a wall-time budget."""

    time_s: float | None
    fixed_rounds: int
    min_rounds: int
    max_rounds: int
    #: After the rounds, the report: its cost is estimated as this many round-times of the
    #: same run (both scale with the machine, so the reserve does too).
    report_rounds: float = 0.25

    def planned(self, elapsed_s: float, round_times: Sequence[float]) -> int:
        """Rounds the whole run should have, given the time spent and the rounds done.

        Before any round is measured the plan is the minimum (or the fixed count). Then the
        mean round time so far predicts the rest: as many rounds as fit before the budget,
        keeping the report's reserve, never fewer than the minimum nor more than the maximum
        (the minimum wins over the budget: fewer than `min_rounds` give no usable interval).
        """
        if self.time_s is None:
            return self.fixed_rounds
        done = len(round_times)
        if done == 0:
            return self.min_rounds
        per_round = sum(round_times) / done
        left = self.time_s - elapsed_s - self.report_rounds * per_round
        more = math.floor(left / per_round) if per_round > 0 else 0
        return max(self.min_rounds, min(self.max_rounds, done + max(0, more)))

    def over_budget_s(self, elapsed_s: float, round_times: Sequence[float]) -> float:
        """How far the planned run is expected to end past the budget (0 when it fits)."""
        if self.time_s is None or not round_times:
            return 0.0
        per_round = sum(round_times) / len(round_times)
        rest = self.planned(elapsed_s, round_times) - len(round_times)
        expected = elapsed_s + (rest + self.report_rounds) * per_round
        return max(0.0, expected - self.time_s)
