"""The data behind every chart, as plain records (tested without drawing anything).

Rules every function keeps: a codec is ranked only on payloads it round-trips (`exact` or
`lossy`) and only on cells that were measured; the transport-only `null` codec is a floor,
never a contender; ratios are time ratios to the reference codec (below 1.0: faster), with the
run's 95 % interval when it has one; a cell the run flagged as suspect says so in its record.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from serbench.common.vocabulary import (
    FAILED,
    LOSSY,
    OK,
    P999_MIN_SAMPLES,
    PERCENTILE_KEYS,
    TIMED_CLASSES,
)
from serbench.report.data import CellResult, Run
from serbench.report.transport_cost import floor_points, round_trip_cost
from serbench.stats.significance import Ratio, reference_ratio

PERCENTILE_LABELS = {"p50_s": "p50", "p90_s": "p90", "p99_s": "p99", "p999_s": "p99.9",
                     "max_s": "max"}
#: A size sweep: at least this many sizes of one payload shape.
MIN_SWEEP_SIZES = 3


def short_reason(cell: CellResult | None) -> str:
    """One word for why a cell has no figure: the fidelity class, `failed` or `not run`."""
    if cell is None:
        return "not run"
    if cell.status == FAILED:
        return FAILED
    if cell.fidelity and cell.fidelity not in TIMED_CLASSES:
        return cell.fidelity
    return cell.status if cell.status != OK else ""


# -- 1. ratios to the reference ---------------------------------------------------------------

@dataclass(frozen=True)
class RatioPoint:
    """One codec on one payload for one measure, relative to the reference codec."""

    codec: str
    payload: str
    measure: str
    fidelity: str
    ratio: Ratio | None
    #: Why there is no ratio (unsupported, wrong, failed, no reference figure), else "".
    reason: str = ""
    #: Why the run flagged the cell as suspect, else "".
    suspect: str = ""


def reference_ratios(run: Run, scenario: str = "roundtrip") -> list[RatioPoint]:
    """Every codec (the null floor included) relative to the reference, per payload/measure."""
    points = []
    for measure in run.measures:
        if measure.split("/")[0] != scenario:
            continue
        for payload in run.payloads:
            for codec in run.codecs:
                cell = run.cell(codec, measure, payload)
                if cell is None:
                    continue
                points.append(ratio_point(run, cell))
    return points


def ratio_point(run: Run, cell: CellResult) -> RatioPoint:
    """One cell relative to the reference codec's cell of its comparison group."""
    reference = run.reference
    base = run.cell(reference, cell.measure, cell.payload) if reference else None
    if not cell.rankable:
        return RatioPoint(cell.codec, cell.payload, cell.measure, cell.fidelity, None,
                          short_reason(cell), cell.suspect)
    if base is None or not base.rankable:
        why = f"no {reference} figure" if reference else "no reference codec in the run"
        return RatioPoint(cell.codec, cell.payload, cell.measure, cell.fidelity, None, why,
                          cell.suspect)
    return RatioPoint(cell.codec, cell.payload, cell.measure, cell.fidelity,
                      reference_ratio(cell, base, run.has_intervals), "", cell.suspect)


# -- 2. latency percentiles -------------------------------------------------------------------

@dataclass(frozen=True)
class LatencyProfile:
    """Pooled per-request round-trip latency percentiles (seconds) of one cell.

    p99.9 needs `P999_MIN_SAMPLES` requests to be read from the data rather than from the few
    largest; below that it is shown with its interval, or flagged when it has none.
    """

    codec: str
    payload: str
    measure: str
    fidelity: str
    percentiles: tuple[tuple[str, float], ...]
    samples: int | None = None
    p999_low: float | None = None
    p999_high: float | None = None
    suspect: str = ""

    @property
    def p999_flagged(self) -> bool:
        """p99.9 comes from too few samples and has no interval to show how loose it is."""
        return (self.samples is None or self.samples < P999_MIN_SAMPLES) and (
            self.p999_low is None or self.p999_high is None)


def latency_profiles(run: Run) -> list[LatencyProfile]:
    """Round-trip cells with stored percentiles, rankable ones only (the null floor too)."""
    out = []
    for measure in run.measures:
        if not measure.startswith("roundtrip/"):
            continue
        for cell in run.cells_for(measure):
            if not cell.rankable:
                continue
            pairs = tuple((PERCENTILE_LABELS[k], v) for k in PERCENTILE_KEYS
                          if (v := getattr(cell, k)) is not None)
            if pairs:
                out.append(LatencyProfile(cell.codec, cell.payload, measure, cell.fidelity,
                                          pairs, cell.samples, cell.p999_lo_s, cell.p999_hi_s,
                                          cell.suspect))
    return out


# -- 3. streaming throughput ------------------------------------------------------------------

@dataclass(frozen=True)
class Throughput:
    """Messages/s and MB/s (encoded bytes on the wire) of one streaming cell."""

    codec: str
    payload: str
    measure: str
    fidelity: str
    msgs_per_s: float
    mb_per_s: float | None
    suspect: str = ""


def throughputs(run: Run) -> list[Throughput]:
    """Every rankable stream cell (the null floor too)."""
    return [Throughput(c.codec, c.payload, m, c.fidelity, c.msgs_per_s, c.mb_per_s, c.suspect)
            for m in run.measures if m.startswith("stream/")
            for c in run.cells_for(m) if c.rankable and c.msgs_per_s is not None]


# -- 4. sizes ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Size:
    """Encoded and zlib-compressed size of one message (bytes)."""

    codec: str
    payload: str
    fidelity: str
    encoded_bytes: int
    zlib_bytes: int | None


def sizes(run: Run) -> list[Size]:
    """Per codec x payload the codec round-trips; `null` is left out (it ships pickle's bytes)."""
    out = []
    for codec in run.ranked_codecs:
        for payload in run.payloads:
            cell = rankable_pair(run, codec, payload)
            if cell is not None and cell.encoded_bytes is not None:
                out.append(Size(codec, payload, cell.fidelity, cell.encoded_bytes,
                                cell.zlib_bytes))
    return out


def rankable_pair(run: Run, codec: str, payload: str) -> CellResult | None:
    """The first measured, rankable cell of codec x payload (sizes are per pair)."""
    for measure in run.measures:
        cell = run.cell(codec, measure, payload)
        if cell is not None and cell.rankable:
            return cell
    return None


# -- 5. where the time goes -------------------------------------------------------------------

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


# -- 6. heat map ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Heatmap:
    """Codec x payload time ratios to the reference for one measure (None: no figure)."""

    measure: str
    codecs: tuple[str, ...]
    payloads: tuple[str, ...]
    ratios: tuple[tuple[Ratio | None, ...], ...]
    #: Per cell: "" (measured), "lossy", or why there is no figure.
    notes: tuple[tuple[str, ...], ...]
    #: Per cell: whether the run flagged it as suspect.
    suspect: tuple[tuple[bool, ...], ...] = ()


def primary_measure(run: Run) -> str | None:
    """The measure headline views use: round trip over TCP, else the first round trip, else
    the first measure of the run."""
    if "roundtrip/tcp" in run.measures:
        return "roundtrip/tcp"
    trips = [m for m in run.measures if m.startswith("roundtrip/")]
    return trips[0] if trips else (run.measures[0] if run.measures else None)


def heatmap(run: Run, measure: str | None = None) -> Heatmap | None:
    """The heat map of `measure` (default: the primary measure); None without a reference."""
    measure = measure or primary_measure(run)
    if measure is None or run.reference is None:
        return None
    by_key = {(p.codec, p.payload): p for p in reference_ratios(run, measure.split("/")[0])
              if p.measure == measure}
    codecs = run.ranked_codecs
    rows, notes, flags = [], [], []
    for codec in codecs:
        row, note, flag = [], [], []
        for payload in run.payloads:
            point = by_key.get((codec, payload))
            row.append(point.ratio if point else None)
            flag.append(bool(point and point.suspect))
            if point is None:
                note.append("not run")
            elif point.ratio is None:
                note.append(point.reason)
            else:
                note.append(LOSSY if point.fidelity == LOSSY else "")
        rows.append(tuple(row))
        notes.append(tuple(note))
        flags.append(tuple(flag))
    return Heatmap(measure, codecs, run.payloads, tuple(rows), tuple(notes), tuple(flags))


# -- 7. fidelity ------------------------------------------------------------------------------

@dataclass(frozen=True)
class FidelityGrid:
    """The fidelity class of every codec x payload in the run, with the reason or losses."""

    codecs: tuple[str, ...]
    payloads: tuple[str, ...]
    classes: tuple[tuple[str, ...], ...]
    details: tuple[tuple[str, ...], ...]


def fidelity_grid(run: Run) -> FidelityGrid:
    """One class per codec x payload ("" when the pair is not in the run)."""
    classes, details = [], []
    for codec in run.codecs:
        row, detail = [], []
        for payload in run.payloads:
            cell = run.payload_cell(codec, payload)
            row.append(cell.fidelity if cell else "")
            detail.append((cell.losses or cell.detail) if cell else "")
        classes.append(tuple(row))
        details.append(tuple(detail))
    return FidelityGrid(run.codecs, run.payloads, tuple(classes), tuple(details))


# -- 8. size sweep ----------------------------------------------------------------------------

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


# -- beyond the report (notebooks) -------------------------------------------------------------

@dataclass(frozen=True)
class Tail:
    """How far a codec's slow requests stray from its typical one: p99 / p50."""

    codec: str
    payload: str
    measure: str
    p50_s: float
    p99_s: float

    @property
    def p99_over_p50(self) -> float:
        """p99 / p50."""
        return self.p99_s / self.p50_s


def tail_ratios(run: Run) -> list[Tail]:
    """p99/p50 of every rankable round-trip cell with stored percentiles."""
    return [Tail(c.codec, c.payload, c.measure, c.p50_s, c.p99_s)
            for m in run.measures if m.startswith("roundtrip/")
            for c in run.cells_for(m) if c.rankable and c.p50_s and c.p99_s]
