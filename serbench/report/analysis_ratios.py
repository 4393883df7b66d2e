"""The data behind the charts that set codecs against the reference, as plain records (tested
without drawing anything): every codec's ratio to the reference per payload and measure, the
codec x payload heat map of them, and the fidelity grid.

Rules every `analysis_*` module keeps: a codec is ranked only on payloads it round-trips
(`exact` or `lossy`) and only on cells that were measured; the transport-only `null` codec is a
floor, never a contender; ratios are time ratios to the reference codec (below 1.0: faster),
with the run's 95 % interval when it has one; a cell the run flagged as suspect says so in its
record.
"""

from __future__ import annotations

from dataclasses import dataclass

from serbench.common.vocabulary import FAILED, LOSSY, OK, TIMED_CLASSES
from serbench.report.data import CellResult, Run
from serbench.stats.significance import Ratio, reference_ratio


def short_reason(cell: CellResult | None) -> str:
    """One word for why a cell has no figure: the fidelity class, `failed` or `not run`."""
    if cell is None:
        return "not run"
    if cell.status == FAILED:
        return FAILED
    if cell.fidelity and cell.fidelity not in TIMED_CLASSES:
        return cell.fidelity
    return cell.status if cell.status != OK else ""



# -- ratios to the reference -------------------------------------------------------------------

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


# -- heat map ----------------------------------------------------------------------------------

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


# -- fidelity ----------------------------------------------------------------------------------

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
