"""The data behind the report's tables: per payload, every codec's figure for every measure, the
fastest codec (or a tie), skipped and failed cells, and the timed call paths.

A codec is claimed fastest only when the run separates it from the runner-up: the run says so
(the rank-1 row's `tied_with` is empty), or, in a run without ranks and intervals (upgraded
from format 1), `significance.separated` does. Otherwise it is a tie.
"""

from __future__ import annotations

from dataclasses import dataclass

from serbench.common.vocabulary import FAILED, FLOOR_CODEC, OK
from serbench.report.analysis_ratios import ratio_point
from serbench.report.analysis_wire import rankable_pair
from serbench.report.data import CellResult, Run
from serbench.stats.significance import Ratio, separated


@dataclass(frozen=True)
class SummaryEntry:
    """One codec's figure for one measure of a payload."""

    cell: CellResult | None
    ratio: Ratio | None
    reason: str


@dataclass(frozen=True)
class Best:
    """The fastest rankable codec of one measure on one payload, or the two that tie."""

    measure: str
    codec: str
    mean_s: float
    ratio: Ratio | None
    #: The runner-up when the run does not separate it from `codec` (a tie), else "".
    tied_with: str = ""
    #: Whether `codec` is separated from the runner-up; None when it cannot be told (no
    #: intervals and fewer than two values a side, or ranks missing).
    separated: bool | None = True
    #: The winner's suspect reason, if the run flagged it.
    suspect: str = ""
    #: The winner's 95 % interval of its mean time (format 2), else None.
    mean_lo_s: float | None = None
    mean_hi_s: float | None = None

    @property
    def codecs(self) -> tuple[str, ...]:
        """The codec, or both codecs of a tie."""
        return (self.codec, self.tied_with) if self.tied_with else (self.codec,)


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
    #: Each codec's family where it is not the general one ("" else): ranked on its own.
    families: tuple[str, ...] = ()


def summarize(run: Run) -> list[PayloadSummary]:
    """One summary per payload (the null floor is listed, never best)."""
    out = []
    for payload in run.payloads:
        measures = tuple(m for m in run.measures
                         if any(run.cell(c, m, payload) for c in run.codecs))
        codecs = tuple(c for c in run.codecs if run.payload_cell(c, payload) is not None)
        entries, fidelity, encoded, families = [], [], [], []
        for codec in codecs:
            row = []
            for measure in measures:
                cell = run.cell(codec, measure, payload)
                point = ratio_point(run, cell) if cell else None
                row.append(SummaryEntry(cell, point.ratio if point else None,
                                        point.reason if point else "not run"))
            entries.append(tuple(row))
            any_cell = run.payload_cell(codec, payload)
            fidelity.append(any_cell.fidelity if any_cell else "")
            families.append("" if any_cell is None or any_cell.headline else any_cell.family)
            ranked = rankable_pair(run, codec, payload)
            encoded.append(ranked.encoded_bytes if ranked else None)
        best = []
        for j, measure in enumerate(measures):
            contenders = [e for codec, row in zip(codecs, entries, strict=True)
                          if codec != FLOOR_CODEC and (e := row[j]).cell is not None
                          and e.cell.rankable and e.cell.headline]
            if contenders:
                best.append(_best(run, measure, contenders))
        out.append(PayloadSummary(payload, measures, codecs, tuple(fidelity), tuple(entries),
                                  tuple(best), tuple(encoded), tuple(families)))
    return out


def _best(run: Run, measure: str, contenders: list[SummaryEntry]) -> Best:
    """The rank-1 codec as the run ranked it, else the lowest mean, separated from the
    runner-up as `significance.separated` decides (no rank: a run without intervals, or a
    file that lost them)."""
    for entry in contenders:
        if entry.cell is not None and entry.cell.rank == 1:
            tied = entry.cell.tied_with
            return _make_best(measure, entry, tied, not tied)
    ordered = sorted(contenders, key=lambda e: (_mean(e), _codec(e)))
    winner = ordered[0]
    if len(ordered) < 2:
        return _make_best(measure, winner, "", True)
    runner_up = ordered[1]
    assert winner.cell is not None and runner_up.cell is not None
    apart = separated(winner.cell, runner_up.cell, run.has_intervals)
    return _make_best(measure, winner, runner_up.cell.codec if apart is False else "", apart)


def _make_best(measure: str, winner: SummaryEntry, tied_with: str,
               separated: bool | None) -> Best:
    cell = winner.cell
    assert cell is not None and cell.mean_s is not None
    return Best(measure, cell.codec, cell.mean_s, winner.ratio, tied_with, separated,
                cell.suspect, cell.mean_lo_s, cell.mean_hi_s)


def _mean(entry: SummaryEntry) -> float:
    assert entry.cell is not None and entry.cell.mean_s is not None
    return entry.cell.mean_s


def _codec(entry: SummaryEntry) -> str:
    assert entry.cell is not None
    return entry.cell.codec


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
        if cell.status != OK:
            groups.setdefault((cell.codec, cell.payload, cell.status, cell.reason),
                              []).append(cell.measure)
    order = {c: i for i, c in enumerate(run.codecs)}
    porder = {p: i for i, p in enumerate(run.payloads)}
    keys = sorted(groups, key=lambda k: (k[2] != FAILED, order[k[0]], porder[k[1]], k[3]))
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
