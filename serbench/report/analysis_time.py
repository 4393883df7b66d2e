"""The data behind the charts of where the time goes: each round trip split into codec work,
transport and remainder, and time against payload size (size sweeps)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from serbench.report.data import Run
from serbench.report.transport_cost import floor_points, round_trip_cost

#: A size sweep: at least this many sizes of one payload shape.
MIN_SWEEP_SIZES = 3


# -- where the time goes -----------------------------------------------------------------------

@dataclass(frozen=True)
class TimeSplit:
    """A round trip split into codec work, transport, and what neither explains (seconds).

    Codec work is `2 x (encode + decode)` from the in-process figures: the client encodes the
    request and decodes the reply, the server decodes the request and encodes the reply.
    Transport is the `null` codec's round trip over the same transport at this codec's own
    frame sizes (request and reply), measured when a null cell has that size, else read off
    the null cells of the run across payloads (`transport_cost`; `transport_how` says which).
    The remainder is the measured round trip minus both; it is negative when the parts overlap
    or the in-process figures overstate the work in a warm round-trip loop, and is shown as it
    is.
    """

    codec: str
    payload: str
    transport: str
    fidelity: str
    roundtrip_s: float
    encode_s: float
    decode_s: float
    transport_s: float
    #: `measured`, `interpolated`, `clamped` or `extrapolated` (see `transport_cost`).
    transport_how: str = ""
    request_bytes: int | None = None
    reply_bytes: int | None = None
    suspect: str = ""

    @property
    def codec_s(self) -> float:
        """Codec work per round trip: two encodes and two decodes."""
        return 2 * (self.encode_s + self.decode_s)

    @property
    def remainder_s(self) -> float:
        """The measured round trip minus codec work and transport (may be negative)."""
        return self.roundtrip_s - self.codec_s - self.transport_s

    @property
    def codec_share(self) -> float:
        """Codec work as a fraction of the measured round trip."""
        return self.codec_s / self.roundtrip_s


def time_splits(run: Run) -> list[TimeSplit]:
    """Every rankable codec x payload x transport with a round trip (of known encoded size),
    an encode and a decode, when the run has null round trips over that transport."""
    out = []
    for transport in run.transports("roundtrip"):
        measure = f"roundtrip/{transport}"
        points = floor_points(run, measure)
        if not points:
            continue
        for payload in run.payloads:
            for codec in run.ranked_codecs:
                trip = run.cell(codec, measure, payload)
                enc = run.cell(codec, "encode", payload)
                dec = run.cell(codec, "decode", payload)
                if trip is None or enc is None or dec is None or not (
                        trip.rankable and enc.rankable and dec.rankable):
                    continue
                cost = (round_trip_cost(points, trip.encoded_bytes, trip.reply_bytes)
                        if trip.encoded_bytes else None)
                if cost is None:
                    continue
                assert trip.mean_s and enc.mean_s is not None and dec.mean_s is not None
                suspect = "; ".join(c.suspect for c in (trip, enc, dec) if c.suspect)
                out.append(TimeSplit(codec, payload, transport, trip.fidelity, trip.mean_s,
                                     enc.mean_s, dec.mean_s, cost.seconds, cost.how,
                                     trip.encoded_bytes, trip.reply_bytes or trip.encoded_bytes,
                                     suspect))
    return out


# -- size sweep --------------------------------------------------------------------------------

@dataclass(frozen=True)
class SweepSeries:
    """One codec's mean time per call against payload size (pickle bytes) for one measure."""

    codec: str
    measure: str
    points: tuple[tuple[int, float], ...]
    #: Per point: whether the run flagged the cell as suspect.
    suspect: tuple[bool, ...] = ()


@dataclass(frozen=True)
class Sweep:
    """A payload shape measured at several sizes."""

    name: str
    payloads: tuple[str, ...]
    series: tuple[SweepSeries, ...]


def size_sweeps(run: Run) -> list[Sweep]:
    """Every payload shape with at least `MIN_SWEEP_SIZES` sizes, x = the payload's size as
    pickle bytes (one axis for every codec), rankable cells only."""
    by_name: dict[str, dict[int, str]] = defaultdict(dict)
    for payload in run.payloads:
        cell = next(c for c in run.cells if c.payload == payload)
        if cell.payload_size is not None and cell.payload_name != cell.payload:
            by_name[cell.payload_name][cell.payload_size] = payload
    sweeps = []
    for name, by_size in by_name.items():
        if len(by_size) < MIN_SWEEP_SIZES:
            continue
        labels = tuple(by_size[s] for s in sorted(by_size))
        series = []
        for measure in run.measures:
            for codec in run.codecs:
                cells = [c for label in labels
                         if (c := run.cell(codec, measure, label)) is not None
                         and c.rankable and c.reference_bytes and c.mean_s]
                if len(cells) >= 2:
                    series.append(SweepSeries(
                        codec, measure,
                        tuple((c.reference_bytes or 0, c.mean_s or 0.0) for c in cells),
                        tuple(bool(c.suspect) for c in cells)))
        if series:
            sweeps.append(Sweep(name, labels, tuple(series)))
    return sweeps
