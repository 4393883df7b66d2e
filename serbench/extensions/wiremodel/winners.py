"""Which codec the model predicts fastest at each point of a bandwidth x RTT plane (data only;
`chart` draws it). Round trip: the lowest predicted time; stream: the most messages/s.

In the round-trip formula R is added alike to every codec, so without a window bounding the
flow (window/R < B) the round-trip winner depends on bandwidth alone; the stream's
acknowledgement every n frames costs R/n per message, and n depends on the frame size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from serbench.extensions.wiremodel.inputs import (
    codec_costs,
    contenders,
    shared_core,
    transport_floor,
)
from serbench.extensions.wiremodel.link import Framing, Link
from serbench.extensions.wiremodel.predict import (
    CodecCosts,
    TransportFloor,
    predict_roundtrip,
    predict_stream,
)
from serbench.extensions.wiremodel.validate import stream_batch
from serbench.report.data import Run

#: The plane: 1 Mbit/s .. 100 Gbit/s and 10 us .. 100 ms, log-spaced.
BANDWIDTH_RANGE = (1e6, 1e11)
RTT_RANGE = (1e-5, 1e-1)
POINTS_PER_DECADE = 12


def log_space(low: float, high: float, per_decade: int = POINTS_PER_DECADE) -> tuple[float, ...]:
    """Log-spaced values from low to high inclusive, `per_decade` steps per factor of ten."""
    steps = max(1, round(math.log10(high / low) * per_decade))
    return tuple(low * (high / low) ** (i / steps) for i in range(steps + 1))


@dataclass(frozen=True)
class WinnerMap:
    """Per payload: the winning codec's index at each (RTT row, bandwidth column)."""

    payload: str
    codecs: tuple[str, ...]
    bandwidths: tuple[float, ...]
    rtts: tuple[float, ...]
    roundtrip: tuple[tuple[int, ...], ...]
    stream: tuple[tuple[int, ...], ...]

    def roundtrip_winner(self, bandwidth: float, rtt: float) -> str:
        """The round-trip winner at the grid point nearest to (bandwidth, rtt)."""
        return self.codecs[self.roundtrip[_nearest(self.rtts, rtt)][
            _nearest(self.bandwidths, bandwidth)]]

    def stream_winner(self, bandwidth: float, rtt: float) -> str:
        """The stream winner at the grid point nearest to (bandwidth, rtt)."""
        return self.codecs[self.stream[_nearest(self.rtts, rtt)][
            _nearest(self.bandwidths, bandwidth)]]

    def winners(self) -> tuple[str, ...]:
        """Codecs that win somewhere in either panel, in codec order."""
        used = {i for grid in (self.roundtrip, self.stream) for row in grid for i in row}
        return tuple(c for i, c in enumerate(self.codecs) if i in used)


def _nearest(values: tuple[float, ...], x: float) -> int:
    return min(range(len(values)), key=lambda i: abs(math.log(values[i] / x)))


def winner_map(costs: dict[str, CodecCosts], floor: TransportFloor, *, payload: str,
               shared: bool, bandwidths: tuple[float, ...] | None = None,
               rtts: tuple[float, ...] | None = None, window_bytes: float | None = None,
               framing: Framing | None = None) -> WinnerMap:
    """The winners over the plane for these codecs (insertion order breaks exact ties)."""
    framing = framing or Framing()
    bandwidths = bandwidths or log_space(*BANDWIDTH_RANGE)
    rtts = rtts or log_space(*RTT_RANGE)
    names = tuple(costs)
    batches = {c: stream_batch(k.request_bytes) for c, k in costs.items()}
    trip_rows, stream_rows = [], []
    for rtt in rtts:
        trip_row, stream_row = [], []
        for bandwidth in bandwidths:
            link = Link(bandwidth, rtt, window_bytes=window_bytes)
            trips = [predict_roundtrip(costs[c], link, floor, framing).seconds for c in names]
            streams = [predict_stream(costs[c], link, floor, batches[c], shared_core=shared,
                                      framing=framing).seconds for c in names]
            trip_row.append(min(range(len(names)), key=trips.__getitem__))
            stream_row.append(min(range(len(names)), key=streams.__getitem__))
        trip_rows.append(tuple(trip_row))
        stream_rows.append(tuple(stream_row))
    return WinnerMap(payload, names, bandwidths, rtts, tuple(trip_rows), tuple(stream_rows))


def run_winner_map(run: Run, payload: str, *, transport: str = "tcp",
                   window_bytes: float | None = None) -> WinnerMap | None:
    """The winner map of one payload of a loopback run; None with no codec to rank."""
    names = contenders(run, payload)
    costs = {c: k for c in names if (k := codec_costs(run, c, payload)) is not None}
    if not costs:
        return None
    return winner_map(costs, transport_floor(run, transport), payload=payload,
                      shared=shared_core(run), window_bytes=window_bytes)
