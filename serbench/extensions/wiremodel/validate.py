"""The model against measurements: every round-trip and stream cell of a link run predicted from
a loopback run's in-process figures, sizes and null floor plus the link, with the error.

Errors are signed, (predicted - measured) / measured, on the quantity the scenario reports:
seconds per round trip, messages per second for a stream. Where a cell is off by more than
`TOLERANCE`, `dominant_term` names the term whose change would explain the residual; that is
a heuristic pointer for a reader, never a correction applied to the figures.
"""

from __future__ import annotations

import csv
import io
import math
import statistics
from dataclasses import dataclass, replace
from pathlib import Path

from serbench.cells.cell import stream_batch as batch
from serbench.common.units import seconds as fmt
from serbench.extensions.wiremodel.inputs import codec_costs, shared_core, transport_floor
from serbench.extensions.wiremodel.link import Framing, Link
from serbench.extensions.wiremodel.predict import (
    Prediction,
    anchored_roundtrip,
    anchored_stream,
    predict_roundtrip,
    predict_stream,
)
from serbench.report.data import Run
from serbench.results.files import atomic_write_text

#: A prediction within this fraction of the measurement counts as holding.
TOLERANCE = 0.15
#: A term's doubling or removal explains a residual within this factor of it.
DOUBLING_MATCH = 1.5
VALIDATION_CSV = "wiremodel-validation.csv"
CSV_COLUMNS = ["codec", "payload", "measure", "unit", "predicted", "measured", "error_pct",
               "within", "dominant", "terms", "anchored", "anchored_error_pct", "link",
               "rate_bit_s", "rtt_s"]


@dataclass(frozen=True)
class Row:
    """One predicted cell beside its measurement."""

    codec: str
    payload: str
    measure: str
    #: `s` (per round trip) or `msg/s` (stream throughput).
    unit: str
    predicted: float
    measured: float
    prediction: Prediction
    dominant: str = ""
    #: The loopback-anchored prediction (`model.anchored_*`), same unit; None without a
    #: loopback cell of the same measure.
    anchored: float | None = None

    @property
    def error(self) -> float:
        """Signed relative error, (predicted - measured) / measured."""
        return (self.predicted - self.measured) / self.measured

    @property
    def anchored_error(self) -> float | None:
        """Signed relative error of the loopback-anchored prediction."""
        if self.anchored is None:
            return None
        return (self.anchored - self.measured) / self.measured

    @property
    def within(self) -> bool:
        """The prediction holds to `TOLERANCE`."""
        return abs(self.error) <= TOLERANCE


@dataclass(frozen=True)
class Validation:
    """Every predicted cell of one link run, and the cells that could not be predicted."""

    directory: Path
    link: Link
    rows: tuple[Row, ...]
    #: (codec, payload, measure, why) of measured link cells without a prediction.
    missing: tuple[tuple[str, str, str, str], ...] = ()

    @property
    def median_abs_error(self) -> float | None:
        """The median |error| over every row (None without rows)."""
        return statistics.median(abs(r.error) for r in self.rows) if self.rows else None

    @property
    def anchored_median_abs_error(self) -> float | None:
        """The median |error| of the loopback-anchored predictions (None without any)."""
        errors = [abs(e) for r in self.rows if (e := r.anchored_error) is not None]
        return statistics.median(errors) if errors else None

    @property
    def within_count(self) -> int:
        """How many rows hold to `TOLERANCE`."""
        return sum(r.within for r in self.rows)


def stream_batch(size: int) -> int:
    """Frames per acknowledgement serbench's stream cell uses for this encoded size."""

    return batch(size)


def validate(loopback: Run, linked: Run, link: Link,
             framing: Framing | None = None) -> Validation:
    """Predict every measured round-trip and stream cell of `linked` (the null floor
    included: its rows test the link terms alone) from `loopback` and `link`."""
    framing = framing or Framing()
    shared = shared_core(linked)
    rows: list[Row] = []
    missing: list[tuple[str, str, str, str]] = []
    for measure in linked.measures:
        scenario, _, transport = measure.partition("/")
        if scenario not in ("roundtrip", "stream"):
            continue
        floor = transport_floor(loopback, transport)
        for cell in linked.cells_for(measure):
            if not cell.rankable or cell.mean_s is None:
                continue
            costs = codec_costs(loopback, cell.codec, cell.payload)
            if costs is None:
                missing.append((cell.codec, cell.payload, measure,
                                "no in-process figures in the loopback run"))
                continue
            base = loopback.cell(cell.codec, measure, cell.payload)
            loop_s = base.mean_s if base is not None and base.rankable else None
            if scenario == "roundtrip":
                pred = predict_roundtrip(costs, link, floor, framing)
                anchored = (None if loop_s is None
                            else anchored_roundtrip(loop_s, costs, link, framing))
                row = Row(cell.codec, cell.payload, measure, "s", pred.seconds, cell.mean_s,
                          pred, anchored=anchored)
            else:
                batch = stream_batch(costs.request_bytes)
                pred = predict_stream(costs, link, floor, batch, shared_core=shared,
                                      framing=framing)
                anchored = (None if loop_s is None
                            else 1.0 / anchored_stream(loop_s, costs, link, batch, framing))
                measured = cell.msgs_per_s or 1.0 / cell.mean_s
                row = Row(cell.codec, cell.payload, measure, "msg/s", pred.msgs_per_s,
                          measured, pred, anchored=anchored)
            if not row.within:
                row = replace(row, dominant=dominant_term(pred, _measured_s(row)))
            rows.append(row)
    return Validation(linked.directory, link, tuple(rows), tuple(missing))


def _measured_s(row: Row) -> float:
    """The measurement as seconds per round trip or per message."""
    return row.measured if row.unit == "s" else 1.0 / row.measured


def dominant_term(pred: Prediction, measured_s: float) -> str:
    """The term that best explains `measured_s - pred.seconds`, with the factor it would need
    (`serialization x1.9`: that term 1.9 times as large; `x0`: removed).

    In order: a stream stage the model did not take for the bottleneck that alone matches the
    measurement (`... as the bottleneck`); else the term whose doubling (residual > 0) or
    removal (< 0) comes closest to the residual, when within `DOUBLING_MATCH` of it; else the
    term that needs the smallest relative change (the largest that can absorb the residual);
    `outside the model` when no term can (an overestimate larger than every term).
    """
    residual = measured_s - pred.seconds
    if residual > 0:
        for stage in pred.hidden:
            if abs(stage.seconds - measured_s) <= TOLERANCE * measured_s:
                return f"{stage.name} as the bottleneck"
    # A term cannot be removed more than wholly.
    able = [t for t in pred.terms if t.seconds > 0 and t.seconds + residual >= -1e-9 * t.seconds]
    if not able:
        return f"outside the model ({_signed(residual)} per message)"
    closest = min(able, key=lambda t: abs(math.log(abs(residual) / t.seconds)))
    if abs(math.log(abs(residual) / closest.seconds)) <= math.log(DOUBLING_MATCH):
        chosen = closest
    else:
        chosen = max(able, key=lambda t: t.seconds)
    return f"{chosen.name} x{max(0.0, 1 + residual / chosen.seconds):.2g}"


def _signed(seconds: float) -> str:

    return ("+" if seconds > 0 else "-") + fmt(abs(seconds))


def terms_text(pred: Prediction) -> str:
    """The prediction's terms as `name=seconds;...` (plus the bottleneck for a stream)."""
    text = ";".join(f"{t.name}={t.seconds:.6g}" for t in pred.terms)
    if pred.bottleneck:
        text += f";bottleneck={pred.bottleneck};batch={pred.batch}"
    return text


def write_csv(validation: Validation) -> Path:
    """The rows as `wiremodel-validation.csv` in the link run's directory (atomically)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    link = validation.link
    for r in validation.rows:
        writer.writerow([r.codec, r.payload, r.measure, r.unit, repr(r.predicted),
                         repr(r.measured), f"{100 * r.error:.2f}", int(r.within), r.dominant,
                         terms_text(r.prediction),
                         "" if r.anchored is None else repr(r.anchored),
                         "" if r.anchored_error is None else f"{100 * r.anchored_error:.2f}",
                         link.spec,
                         "" if link.rate_bit_s is None else repr(link.rate_bit_s),
                         repr(link.rtt_s)])
    path = validation.directory / VALIDATION_CSV
    atomic_write_text(path, buffer.getvalue())
    return path
