"""A results directory as the report reads it: typed cells with their intervals, and the run
that orders and indexes them: what every chart and table reads (and notebooks, the fleet report
and the wire model).

Reading is `serbench.results.read`'s (one reader, the format upgraded at load), so a run of
any format this serbench reads looks like a run of the current one here; a run upgraded from
format 1 says it has no intervals (`Run.has_intervals`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from serbench.common.vocabulary import FLOOR_CODEC, REFERENCE_CODEC, SCENARIOS
from serbench.results.cells import CellRecord
from serbench.results.read import CellKey, read_results
from serbench.results.upgrade import has_intervals, written_format
from serbench.stats.intervals import Interval


@dataclass(frozen=True)
class CellResult(CellRecord):
    """One cell of a run: its summary.csv row and pyperf values (`CellRecord`), with its
    figures as intervals (bounds None where the run has none: format 1, too few rounds)."""

    @property
    def ratio_interval(self) -> Interval | None:
        """Time relative to the reference codec of the comparison group, with its interval
        (format 2; bounds None when not known); None when the file has no ratio."""
        return _interval(self.ratio, self.ratio_lo, self.ratio_hi, self.ratio_rounds)

    @property
    def floor_ratio_interval(self) -> Interval | None:
        """Time relative to the transport floor (`null`) of the group (format 2)."""
        return _interval(self.floor_ratio, self.floor_ratio_lo, self.floor_ratio_hi,
                         self.ratio_rounds)

    @property
    def time_interval(self) -> Interval | None:
        """Mean time per call with its 95 % interval over worker processes (format 2)."""
        return _interval(self.mean_s, self.mean_lo_s, self.mean_hi_s, self.processes)

    @property
    def p999_interval(self) -> Interval | None:
        """p99.9 with its distribution-free 95 % interval (format 2, enough samples)."""
        return _interval(self.p999_s, self.p999_lo_s, self.p999_hi_s, self.samples)


def _interval(estimate: float | None, low: float | None, high: float | None,
              n: int | None) -> Interval | None:
    if estimate is None:
        return None
    if low is None or high is None:
        return Interval(estimate, None, None, n or 0)
    return Interval(estimate, low, high, n or 0)


@dataclass(frozen=True)
class Run:
    """A results directory: the environment and every cell, in a stable order."""

    directory: Path
    environment: dict[str, Any]
    cells: tuple[CellResult, ...]
    codecs: tuple[str, ...] = ()
    payloads: tuple[str, ...] = ()
    measures: tuple[str, ...] = ()
    #: Per timed cell (`CellResult.key`), the mean of each round's worker process, by round
    #: number: what pairs two codecs by round (empty in a run upgraded from format 1).
    rounds: Mapping[CellKey, Mapping[int, float]] = field(default_factory=dict, repr=False,
                                                          compare=False)
    _index: dict[tuple[str, str, str], CellResult] = field(default_factory=dict, repr=False,
                                                           compare=False)

    @property
    def format_version(self) -> int:
        """The results format the run was written in (1 when environment.json predates it)."""
        return written_format(self.environment)

    @property
    def has_intervals(self) -> bool:
        """Whether the run carries 95 % intervals (not when it was upgraded from format 1)."""
        return has_intervals(self.environment)

    @property
    def reference(self) -> str | None:
        """The codec ratios are relative to: pickle, or None when the run has no pickle cells."""
        return REFERENCE_CODEC if REFERENCE_CODEC in self.codecs else None

    @property
    def ranked_codecs(self) -> tuple[str, ...]:
        """Codecs that may be ranked: every codec but the transport-only `null`."""
        return tuple(c for c in self.codecs if c != FLOOR_CODEC)

    def cell(self, codec: str, measure: str, payload: str) -> CellResult | None:
        """The cell of `codec` on `payload` for `measure` (`roundtrip/tcp`, `encode`, ...)."""
        return self._index.get((codec, measure, payload))

    def transports(self, scenario: str) -> tuple[str, ...]:
        """The transports the run used for a socket scenario, in order."""
        return tuple(m.split("/", 1)[1] for m in self.measures if m.startswith(scenario + "/"))

    def cells_for(self, measure: str) -> list[CellResult]:
        """Every cell of one measure, in codec then payload order."""
        return [c for codec in self.codecs for payload in self.payloads
                if (c := self.cell(codec, measure, payload)) is not None]

    def records(self) -> list[dict[str, Any]]:
        """The cells as a tidy table: one flat dict per cell (`values`: pyperf's values)."""
        return [{f.name: getattr(c, f.name) for f in fields(CellResult)}
                | {"measure": c.measure, "rankable": c.rankable} for c in self.cells]

    def payload_cell(self, codec: str, payload: str) -> CellResult | None:
        """Any cell of codec x payload (fidelity, sizes and skip reasons are per pair)."""
        for measure in self.measures:
            found = self.cell(codec, measure, payload)
            if found is not None:
                return found
        return None


def load_run(directory: Path | str) -> Run:
    """Read a results directory; a missing or corrupt file, or a results format newer than
    this serbench reads, is a `ResultsError` naming it."""
    found = read_results(directory, CellResult)
    return make_run(found.directory, found.environment, found.cells, found.rounds)


def make_run(directory: Path, environment: dict[str, Any], cells: Iterable[CellResult],
             rounds: Mapping[CellKey, Mapping[int, float]] | None = None) -> Run:
    """A `Run` from cells: orders codecs, payloads and measures and indexes the cells."""
    cells = list(cells)
    matrix = environment.get("matrix")
    declared = matrix.get("codecs", []) if isinstance(matrix, dict) else []
    seen = list(dict.fromkeys(c.codec for c in cells))
    codecs = [c for c in declared if c in seen] + [c for c in seen if c not in declared]
    codecs.sort(key=lambda c: (c != REFERENCE_CODEC, c == FLOOR_CODEC))  # stable: keeps the rest
    payloads = list(dict.fromkeys(c.payload for c in cells))
    measures = sorted(dict.fromkeys(c.measure for c in cells),
                      key=lambda m: (_scenario_rank(m.split("/")[0]), _first_index(cells, m)))
    index = {(c.codec, c.measure, c.payload): c for c in cells}
    return Run(directory, environment, tuple(cells), tuple(codecs), tuple(payloads),
               tuple(measures), dict(rounds or {}), index)


def _scenario_rank(scenario: str) -> int:
    return SCENARIOS.index(scenario) if scenario in SCENARIOS else len(SCENARIOS)


def _first_index(cells: list[CellResult], measure: str) -> int:
    return next(i for i, c in enumerate(cells) if c.measure == measure)
