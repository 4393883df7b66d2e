"""A results directory as tidy, typed cells: what every chart, table and `compare` reads.

Only files are read (summary.csv, environment.json, the `<codec>.json` pyperf suites); nothing is
run and no codec library is imported. Every error names the file it is about. Results of every
format up to `results.FORMAT_VERSION` are read (an older one's missing columns stay empty); a
newer one is refused, so a report never silently misreads columns it does not know.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from serbench.common.vocabulary import (
    FAILED,
    FAMILY_GENERAL,
    FLOOR_CODEC,
    OK,
    PERCENTILE_KEYS,
    REFERENCE_CODEC,
    SCENARIOS,
    SKIPPED,
    TIMED_CLASSES,
)
from serbench.results import files as results
from serbench.results.files import ResultsError
from serbench.stats.intervals import Interval

_FLOAT_COLUMNS = frozenset({
    "mean_s", "stdev_s", *PERCENTILE_KEYS, "msgs_per_s", "mb_per_s", "objects_per_s",
    "mean_lo_s", "mean_hi_s", "ratio", "ratio_lo", "ratio_hi", "floor_ratio", "floor_ratio_lo",
    "floor_ratio_hi", "p999_lo_s", "p999_hi_s"})
_INT_COLUMNS = frozenset({
    "encoded_bytes", "zlib_bytes", "reference_bytes", "payload_size", "samples", "processes",
    "ratio_rounds", "rank", "reply_bytes"})
#: Fields filled from the pyperf suites, not from summary.csv (whose `values` is a count).
_SUITE_FIELDS = frozenset({"values", "process_means"})


@dataclass(frozen=True)
class CellResult:
    """One row of summary.csv, typed, plus the pyperf values of its benchmark (when timed).

    Columns added by results format 2 (`processes` ... `reply_bytes`) are None or "" in older
    results: there, no interval is known.
    """

    codec: str
    scenario: str
    transport: str
    payload: str
    status: str
    fidelity: str = ""
    detail: str = ""
    losses: str = ""
    payload_spec: str = ""
    payload_size: int | None = None
    benchmark: str = ""
    library: str = ""
    version: str = ""
    mean_s: float | None = None
    stdev_s: float | None = None
    p50_s: float | None = None
    p90_s: float | None = None
    p99_s: float | None = None
    p999_s: float | None = None
    max_s: float | None = None
    msgs_per_s: float | None = None
    mb_per_s: float | None = None
    objects_per_s: float | None = None
    encoded_bytes: int | None = None
    zlib_bytes: int | None = None
    reference_bytes: int | None = None
    samples: int | None = None
    # -- results format 2 --
    processes: int | None = None
    mean_lo_s: float | None = None
    mean_hi_s: float | None = None
    ratio: float | None = None
    ratio_lo: float | None = None
    ratio_hi: float | None = None
    ratio_rounds: int | None = None
    floor_ratio: float | None = None
    floor_ratio_lo: float | None = None
    floor_ratio_hi: float | None = None
    rank: int | None = None
    tied_with: str = ""
    suspect: str = ""
    p999_lo_s: float | None = None
    p999_hi_s: float | None = None
    reply_bytes: int | None = None
    #: The codec's family (ranked only within it; "" in runs before the zoo: general) and
    #: what a schema codec's timed calls cover.
    family: str = ""
    timing: str = ""
    #: pyperf's values (seconds per call), one per timed value over every worker process.
    values: tuple[float, ...] = ()
    #: The mean of each worker process's values (the unit of replication), in file order.
    process_means: tuple[float, ...] = ()

    @property
    def measure(self) -> str:
        """What was timed, without codec or payload: `roundtrip/tcp`, `encode`, ..."""
        return f"{self.scenario}/{self.transport}" if self.transport else self.scenario

    @property
    def timed(self) -> bool:
        """The cell has a measurement."""
        return self.status == OK and self.mean_s is not None

    @property
    def rankable(self) -> bool:
        """Measured on a payload the codec round-trips (exact or lossy): it may be ranked."""
        return self.timed and self.fidelity in TIMED_CLASSES

    @property
    def headline(self) -> bool:
        """Ranked in the payload's headline (the general family: from the Python object to
        bytes and back); prepared-message and typed codecs are ranked in their own tables."""
        return self.family in ("", FAMILY_GENERAL)

    @property
    def payload_name(self) -> str:
        """The payload shape (`records` for `records:1000`); the label for files/factories."""
        name, sep, size = self.payload_spec.partition(":")
        return name if sep and size.isdigit() else self.payload

    @property
    def reason(self) -> str:
        """Why the cell has no figure (skipped or failed), in one line."""
        if self.status == OK:
            return ""
        return self.detail or self.status

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
    _index: dict[tuple[str, str, str], CellResult] = field(default_factory=dict, repr=False,
                                                           compare=False)

    @property
    def format_version(self) -> int:
        """The results format the run was written in (1 when environment.json predates it)."""
        version = self.environment.get("format_version", 1)
        return version if isinstance(version, int) else 1

    @property
    def has_intervals(self) -> bool:
        """Whether the run carries 95 % intervals (results format 2 and later)."""
        return self.format_version >= 2

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
    directory = Path(directory)
    environment = results.read_environment(directory)
    results.format_version(environment, directory)
    rows = results.read_summary(directory)
    summary_path = directory / results.SUMMARY
    parsed = [_parse_row(row, summary_path, number) for number, row in enumerate(rows, 2)]
    values = _load_values(directory, parsed)
    cells = [_with_values(cell, values) for cell in parsed]
    return make_run(directory, environment, cells)


def make_run(directory: Path, environment: dict[str, Any],
             cells: Iterable[CellResult]) -> Run:
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
               tuple(measures), index)


def _scenario_rank(scenario: str) -> int:
    return SCENARIOS.index(scenario) if scenario in SCENARIOS else len(SCENARIOS)


def _first_index(cells: list[CellResult], measure: str) -> int:
    return next(i for i, c in enumerate(cells) if c.measure == measure)


def _parse_row(row: dict[str, str], path: Path, number: int) -> CellResult:
    known = {f.name for f in fields(CellResult)} - _SUITE_FIELDS
    kwargs: dict[str, Any] = {}
    for key in known:
        text = (row.get(key) or "").strip()
        if key in _FLOAT_COLUMNS:
            kwargs[key] = _number(text, float, path, number, key)
        elif key in _INT_COLUMNS:
            kwargs[key] = _number(text, int, path, number, key)
        else:
            kwargs[key] = text
    if kwargs["status"] not in (OK, SKIPPED, FAILED):
        raise ResultsError(f"{path}: corrupt at line {number}: unknown status "
                           f"{kwargs['status']!r}")
    if kwargs["status"] == OK and kwargs["mean_s"] is None:
        raise ResultsError(f"{path}: corrupt at line {number}: an 'ok' row without mean_s")
    return CellResult(**kwargs)


def _number(text: str, kind: type[int] | type[float], path: Path, number: int,
            column: str) -> Any:
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise ResultsError(f"{path}: corrupt at line {number}: {column} is {text!r}, "
                           "not a number") from None
    return int(value) if kind is int else value


_Values = dict[tuple[str, str], tuple[tuple[float, ...], tuple[float, ...]]]


def _load_values(directory: Path, cells: list[CellResult]) -> _Values:
    """pyperf's values and per-process means of every timed cell, from the codec's suite."""
    out: _Values = {}
    for codec in dict.fromkeys(c.codec for c in cells if c.status == OK):
        path = results.suite_path(directory, codec)
        suite = results.load_suite(path)
        by_name = {b.get_name(): b for b in suite.get_benchmarks()}
        for cell in cells:
            if cell.codec != codec or cell.status != OK:
                continue
            bench = by_name.get(cell.benchmark)
            if bench is None:
                raise ResultsError(f"{path}: corrupt, has no benchmark {cell.benchmark!r} "
                                   f"although {results.SUMMARY} reports it measured")
            means = tuple(statistics.fmean(run.values) for run in bench.get_runs()
                          if run.values)
            out[codec, cell.benchmark] = (tuple(float(v) for v in bench.get_values()), means)
    return out


def _with_values(cell: CellResult, values: _Values) -> CellResult:
    found = values.get((cell.codec, cell.benchmark))
    if found is None:
        return cell
    return replace(cell, values=found[0], process_means=found[1])
