"""What the transport alone costs for a message of a given size, from the run's `null` cells.

The `null` codec ships pickle's bytes of each payload without encoding anything, so its round
trip is the transport's cost at pickle's encoded size. A codec whose encoding is three times
larger pays more transport than that; charging it pickle's would book the difference as
"remainder". So the cost is read at the codec's own size: from the null cells of the same
measure (transport and scenario) across the run's payloads, on a log-log line between the two
nearest sizes. Outside the measured sizes: below the smallest, the smallest one's time (a fixed
per-message overhead dominates small messages); above the largest, the last segment's log-log
slope, bounded to [0, 1] (transport time cannot fall with size, nor grow faster than it). Every
figure says which of these it is.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from dataclasses import dataclass

from serbench.common.vocabulary import FLOOR_CODEC
from serbench.report.data import Run

#: How a transport cost was obtained, from the most to the least direct.
MEASURED, INTERPOLATED, CLAMPED, EXTRAPOLATED = ("measured", "interpolated", "clamped",
                                                 "extrapolated")
_DIRECTNESS = (MEASURED, INTERPOLATED, CLAMPED, EXTRAPOLATED)


@dataclass(frozen=True)
class TransportCost:
    """The transport's time for one message exchange, and how it was obtained."""

    seconds: float
    how: str


def floor_points(run: Run, measure: str) -> list[tuple[int, float]]:
    """(encoded bytes, mean time) of every timed null cell of `measure`, by size; payloads of
    the same size are merged by their geometric mean."""
    by_size: dict[int, list[float]] = defaultdict(list)
    for payload in run.payloads:
        cell = run.cell(FLOOR_CODEC, measure, payload)
        if cell is not None and cell.timed and cell.encoded_bytes and cell.mean_s:
            by_size[cell.encoded_bytes].append(cell.mean_s)
    return [(size, times[0] if len(times) == 1 else
             math.exp(math.fsum(math.log(t) for t in times) / len(times)))
            for size, times in sorted(by_size.items())]


def cost_at(points: list[tuple[int, float]], size: int) -> TransportCost | None:
    """The transport time at `size` bytes from `floor_points`; None without points."""
    if not points or size <= 0:
        return None
    sizes = [s for s, _ in points]
    i = bisect.bisect_left(sizes, size)
    if i < len(sizes) and sizes[i] == size:
        return TransportCost(points[i][1], MEASURED)
    if i == 0 or len(points) == 1:  # below every size, or one size only: its time
        return TransportCost(points[0][1], CLAMPED)
    if i == len(points):
        (s0, t0), (s1, t1) = points[-2], points[-1]
        slope = min(1.0, max(0.0, math.log(t1 / t0) / math.log(s1 / s0)))
        return TransportCost(t1 * (size / s1) ** slope, EXTRAPOLATED)
    (s0, t0), (s1, t1) = points[i - 1], points[i]
    fraction = math.log(size / s0) / math.log(s1 / s0)
    return TransportCost(math.exp(math.log(t0) + fraction * math.log(t1 / t0)), INTERPOLATED)


def round_trip_cost(points: list[tuple[int, float]], request: int,
                    reply: int | None = None) -> TransportCost | None:
    """A round trip of a `request`-byte frame and a `reply`-byte one (default: the same
    size). The null round trip sends one size both ways, so each direction is half of it."""
    there = cost_at(points, request)
    if not reply or reply == request:
        return there
    back = cost_at(points, reply)
    if there is None or back is None:
        return None
    how = max(there.how, back.how, key=_DIRECTNESS.index)
    return TransportCost((there.seconds + back.seconds) / 2, how)
