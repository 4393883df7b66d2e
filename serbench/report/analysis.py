"""The data behind every chart and table, as plain records (tested without drawing anything).

Rules every function keeps: a codec is ranked only on payloads it round-trips (`exact` or
`lossy`) and only on cells that were measured; the transport-only `null` codec is a floor,
never a contender; ratios are time ratios to the reference codec (below 1.0: faster).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from serbench.report.data import PERCENTILE_KEYS, TRANSPORT_FLOOR, Cell, Run
from serbench.report.significance import Ratio, ratio

PERCENTILE_LABELS = {"p50_s": "p50", "p90_s": "p90", "p99_s": "p99", "p999_s": "p99.9",
                     "max_s": "max"}
#: A size sweep: at least this many sizes of one payload shape.
MIN_SWEEP_SIZES = 3


def short_reason(cell: Cell | None) -> str:
    """One word for why a cell has no figure: the fidelity class, `failed` or `not run`."""
    if cell is None:
        return "not run"
    if cell.status == "failed":
        return "failed"
    if cell.fidelity and cell.fidelity not in ("exact", "lossy"):
        return cell.fidelity
    return cell.status if cell.status != "ok" else ""


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


def reference_ratios(run: Run, scenario: str = "roundtrip") -> list[RatioPoint]:
    """Every codec (the null floor included) relative to the reference, per payload/measure."""
    reference = run.reference
    points = []
    for measure in run.measures:
        if measure.split("/")[0] != scenario:
            continue
        for payload in run.payloads:
            base = run.cell(reference, measure, payload) if reference else None
            for codec in run.codecs:
                cell = run.cell(codec, measure, payload)
                if cell is None:
                    continue
                points.append(_point(cell, base, reference))
    return points


def _point(cell: Cell, base: Cell | None, reference: str | None) -> RatioPoint:
    if not cell.rankable:
        return RatioPoint(cell.codec, cell.payload, cell.measure, cell.fidelity, None,
                          short_reason(cell))
    if base is None or not base.rankable:
        why = f"no {reference} figure" if reference else "no reference codec in the run"
        return RatioPoint(cell.codec, cell.payload, cell.measure, cell.fidelity, None, why)
    return RatioPoint(cell.codec, cell.payload, cell.measure, cell.fidelity, ratio(base, cell))


# -- 2. latency percentiles -------------------------------------------------------------------

@dataclass(frozen=True)
class LatencyProfile:
    """Pooled per-request round-trip latency percentiles (seconds) of one cell."""

    codec: str
    payload: str
    measure: str
    fidelity: str
    percentiles: tuple[tuple[str, float], ...]


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
                                          pairs))
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


def throughputs(run: Run) -> list[Throughput]:
    """Every rankable stream cell (the null floor too)."""
    return [Throughput(c.codec, c.payload, m, c.fidelity, c.msgs_per_s, c.mb_per_s)
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
            cell = _rankable_pair(run, codec, payload)
            if cell is not None and cell.encoded_bytes is not None:
                out.append(Size(codec, payload, cell.fidelity, cell.encoded_bytes,
                                cell.zlib_bytes))
    return out


def _rankable_pair(run: Run, codec: str, payload: str) -> Cell | None:
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
    Transport is the `null` codec's round trip of the same payload over the same transport (it
    ships pickle's bytes, pre-encoded). The remainder is the measured round trip minus both; it
    is negative when the parts overlap or the in-process figures overstate the work in a warm
    round-trip loop, and is shown as it is.
    """

    codec: str
    payload: str
    transport: str
    fidelity: str
    roundtrip_s: float
    encode_s: float
    decode_s: float
    transport_s: float

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
    """Every rankable codec x payload x transport with a round trip, encode, decode and a
    `null` round trip of the same payload and transport."""
    out = []
    for transport in run.transports("roundtrip"):
        measure = f"roundtrip/{transport}"
        for payload in run.payloads:
            floor = run.cell(TRANSPORT_FLOOR, measure, payload)
            if floor is None or not floor.timed:
                continue
            for codec in run.ranked_codecs:
                trip = run.cell(codec, measure, payload)
                enc = run.cell(codec, "encode", payload)
                dec = run.cell(codec, "decode", payload)
                if trip is None or enc is None or dec is None or not (
                        trip.rankable and enc.rankable and dec.rankable):
                    continue
                assert trip.mean_s and enc.mean_s is not None and dec.mean_s is not None
                assert floor.mean_s is not None
                out.append(TimeSplit(codec, payload, transport, trip.fidelity, trip.mean_s,
                                     enc.mean_s, dec.mean_s, floor.mean_s))
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
    rows, notes = [], []
    for codec in codecs:
        row, note = [], []
        for payload in run.payloads:
            point = by_key.get((codec, payload))
            row.append(point.ratio if point else None)
            if point is None:
                note.append("not run")
            elif point.ratio is None:
                note.append(point.reason)
            else:
                note.append("lossy" if point.fidelity == "lossy" else "")
        rows.append(tuple(row))
        notes.append(tuple(note))
    return Heatmap(measure, codecs, run.payloads, tuple(rows), tuple(notes))


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
                points = tuple((c.reference_bytes, c.mean_s) for label in labels
                               if (c := run.cell(codec, measure, label)) is not None
                               and c.rankable and c.reference_bytes and c.mean_s)
                if len(points) >= 2:
                    series.append(SweepSeries(codec, measure, points))
        if series:
            sweeps.append(Sweep(name, labels, tuple(series)))
    return sweeps


# -- summary tables ---------------------------------------------------------------------------

@dataclass(frozen=True)
class SummaryEntry:
    """One codec's figure for one measure of a payload."""

    cell: Cell | None
    ratio: Ratio | None
    reason: str


@dataclass(frozen=True)
class Best:
    """The fastest rankable codec of one measure on one payload."""

    measure: str
    codec: str
    mean_s: float
    ratio: Ratio | None


@dataclass(frozen=True)
class PayloadSummary:
    """A payload's table: per codec, per measure, the ratio to the reference, and the best."""

    payload: str
    measures: tuple[str, ...]
    codecs: tuple[str, ...]
    fidelity: tuple[str, ...]
    entries: tuple[tuple[SummaryEntry, ...], ...]
    best: tuple[Best, ...]
    encoded_bytes: tuple[int | None, ...]


def summarize(run: Run) -> list[PayloadSummary]:
    """One summary per payload (the null floor is listed, never best)."""
    out = []
    for payload in run.payloads:
        measures = tuple(m for m in run.measures
                         if any(run.cell(c, m, payload) for c in run.codecs))
        codecs = tuple(c for c in run.codecs if run.payload_cell(c, payload) is not None)
        entries, fidelity, encoded = [], [], []
        for codec in codecs:
            row = []
            for measure in measures:
                cell = run.cell(codec, measure, payload)
                base = run.cell(run.reference, measure, payload) if run.reference else None
                point = _point(cell, base, run.reference) if cell else None
                row.append(SummaryEntry(cell, point.ratio if point else None,
                                        point.reason if point else "not run"))
            entries.append(tuple(row))
            any_cell = run.payload_cell(codec, payload)
            fidelity.append(any_cell.fidelity if any_cell else "")
            ranked = _rankable_pair(run, codec, payload)
            encoded.append(ranked.encoded_bytes if ranked else None)
        best = []
        for j, measure in enumerate(measures):
            contenders = [(e.cell.mean_s, codec, e.ratio) for codec, row in zip(codecs, entries,
                                                                                strict=True)
                          if codec != TRANSPORT_FLOOR and (e := row[j]).cell is not None
                          and e.cell.rankable and e.cell.mean_s is not None]
            if contenders:
                mean_s, codec, r = min(contenders, key=lambda t: (t[0], t[1]))
                best.append(Best(measure, codec, mean_s, r))
        out.append(PayloadSummary(payload, measures, codecs, tuple(fidelity), tuple(entries),
                                  tuple(best), tuple(encoded)))
    return out


@dataclass(frozen=True)
class Problem:
    """Skipped or failed cells of one codec x payload that share a reason."""

    codec: str
    payload: str
    status: str
    measures: tuple[str, ...]
    reason: str


def problems(run: Run) -> list[Problem]:
    """Skipped and failed cells, grouped by codec, payload, status and reason."""
    groups: dict[tuple[str, str, str, str], list[str]] = {}
    for cell in run.cells:
        if cell.status != "ok":
            groups.setdefault((cell.codec, cell.payload, cell.status, cell.reason),
                              []).append(cell.measure)
    order = {c: i for i, c in enumerate(run.codecs)}
    porder = {p: i for i, p in enumerate(run.payloads)}
    keys = sorted(groups, key=lambda k: (k[2] != "failed", order[k[0]], porder[k[1]], k[3]))
    return [Problem(k[0], k[1], k[2], tuple(groups[k]), k[3]) for k in keys]


@dataclass(frozen=True)
class CallPath:
    """How a codec was called in the timed loops, as recorded by the run."""

    codec: str
    library: str
    version: str
    options: str
    call_path: str


def call_paths(run: Run) -> list[CallPath]:
    """Each codec's timed call path from environment.json (codecs the run could build)."""
    info = run.environment.get("codecs")
    info = info if isinstance(info, dict) else {}
    out = []
    for codec in run.codecs:
        entry = info.get(codec)
        if isinstance(entry, dict):
            out.append(CallPath(codec, str(entry.get("library", "")),
                                str(entry.get("version", "")), str(entry.get("options", "")),
                                str(entry.get("call_path", ""))))
    return out


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
    def ratio(self) -> float:
        """p99 / p50."""
        return self.p99_s / self.p50_s


def tail_ratios(run: Run) -> list[Tail]:
    """p99/p50 of every rankable round-trip cell with stored percentiles."""
    return [Tail(c.codec, c.payload, c.measure, c.p50_s, c.p99_s)
            for m in run.measures if m.startswith("roundtrip/")
            for c in run.cells_for(m) if c.rankable and c.p50_s and c.p99_s]
