"""A results directory as tidy, typed cells: what every chart, table and `compare` reads.

Only files are read (summary.csv, environment.json, the `<codec>.json` pyperf suites); nothing is
run and no codec library is imported. Every error names the file it is about.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from serbench import results
from serbench.results import ResultsError

#: The codec every ratio is relative to (drawn as the 1.0x line), when the run has it.
REFERENCE = "pickle"
#: The transport-only codec: it moves a pre-encoded blob, so its figures are the wire's own cost.
TRANSPORT_FLOOR = "null"
#: Fidelity classes a codec may be timed and ranked on.
RANKABLE = frozenset({"exact", "lossy"})
SCENARIO_ORDER = ("roundtrip", "stream", "encode", "decode")
PERCENTILE_KEYS = ("p50_s", "p90_s", "p99_s", "p999_s", "max_s")

_FLOAT_COLUMNS = ("mean_s", "stdev_s", *PERCENTILE_KEYS, "msgs_per_s", "mb_per_s",
                  "objects_per_s")
_INT_COLUMNS = ("encoded_bytes", "zlib_bytes", "reference_bytes", "payload_size", "samples")


@dataclass(frozen=True)
class Cell:
    """One row of summary.csv, typed, plus the pyperf values of its benchmark (when timed)."""

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
    #: pyperf's values (seconds per call), one per timed value over every worker process.
    values: tuple[float, ...] = ()

    @property
    def measure(self) -> str:
        """What was timed, without codec or payload: `roundtrip/tcp`, `encode`, ..."""
        return f"{self.scenario}/{self.transport}" if self.transport else self.scenario

    @property
    def timed(self) -> bool:
        """The cell has a measurement."""
        return self.status == results.OK and self.mean_s is not None

    @property
    def rankable(self) -> bool:
        """Measured on a payload the codec round-trips (exact or lossy): it may be ranked."""
        return self.timed and self.fidelity in RANKABLE

    @property
    def payload_name(self) -> str:
        """The payload shape (`records` for `records:1000`); the label for files/factories."""
        name, sep, size = self.payload_spec.partition(":")
        return name if sep and size.isdigit() else self.payload

    @property
    def reason(self) -> str:
        """Why the cell has no figure (skipped or failed), in one line."""
        if self.status == results.OK:
            return ""
        return self.detail or self.status


@dataclass(frozen=True)
class Run:
    """A results directory: the environment and every cell, in a stable order."""

    directory: Path
    environment: dict[str, Any]
    cells: tuple[Cell, ...]
    codecs: tuple[str, ...] = ()
    payloads: tuple[str, ...] = ()
    measures: tuple[str, ...] = ()
    _index: dict[tuple[str, str, str], Cell] = field(default_factory=dict, repr=False,
                                                     compare=False)

    @property
    def reference(self) -> str | None:
        """The codec ratios are relative to: pickle, or None when the run has no pickle cells."""
        return REFERENCE if REFERENCE in self.codecs else None

    @property
    def ranked_codecs(self) -> tuple[str, ...]:
        """Codecs that may be ranked: every codec but the transport-only `null`."""
        return tuple(c for c in self.codecs if c != TRANSPORT_FLOOR)

    def cell(self, codec: str, measure: str, payload: str) -> Cell | None:
        """The cell of `codec` on `payload` for `measure` (`roundtrip/tcp`, `encode`, ...)."""
        return self._index.get((codec, measure, payload))

    def transports(self, scenario: str) -> tuple[str, ...]:
        """The transports the run used for a socket scenario, in order."""
        return tuple(m.split("/", 1)[1] for m in self.measures if m.startswith(scenario + "/"))

    def cells_for(self, measure: str) -> list[Cell]:
        """Every cell of one measure, in codec then payload order."""
        return [c for codec in self.codecs for payload in self.payloads
                if (c := self.cell(codec, measure, payload)) is not None]

    def records(self) -> list[dict[str, Any]]:
        """The cells as a tidy table: one flat dict per cell (`values`: pyperf's values)."""
        return [{f.name: getattr(c, f.name) for f in fields(Cell)} | {"measure": c.measure,
                "rankable": c.rankable} for c in self.cells]

    def payload_cell(self, codec: str, payload: str) -> Cell | None:
        """Any cell of codec x payload (fidelity, sizes and skip reasons are per pair)."""
        for measure in self.measures:
            found = self.cell(codec, measure, payload)
            if found is not None:
                return found
        return None


def load_run(directory: Path | str) -> Run:
    """Read a results directory; a missing or corrupt file is a `ResultsError` naming it."""
    directory = Path(directory)
    rows = results.read_summary(directory)
    environment = results.read_environment(directory)
    summary_path = directory / results.SUMMARY
    parsed = [_parse_row(row, summary_path, number) for number, row in enumerate(rows, 2)]
    values = _load_values(directory, parsed)
    cells = [_with_values(cell, values) for cell in parsed]
    return make_run(directory, environment, cells)


def make_run(directory: Path, environment: dict[str, Any], cells: Iterable[Cell]) -> Run:
    """A `Run` from cells: orders codecs, payloads and measures and indexes the cells."""
    cells = list(cells)
    matrix = environment.get("matrix")
    declared = matrix.get("codecs", []) if isinstance(matrix, dict) else []
    seen = list(dict.fromkeys(c.codec for c in cells))
    codecs = [c for c in declared if c in seen] + [c for c in seen if c not in declared]
    codecs.sort(key=lambda c: (c != REFERENCE, c == TRANSPORT_FLOOR))  # stable: keeps the rest
    payloads = list(dict.fromkeys(c.payload for c in cells))
    measures = sorted(dict.fromkeys(c.measure for c in cells),
                      key=lambda m: (_scenario_rank(m.split("/")[0]), _first_index(cells, m)))
    index = {(c.codec, c.measure, c.payload): c for c in cells}
    return Run(directory, environment, tuple(cells), tuple(codecs), tuple(payloads),
               tuple(measures), index)


def _scenario_rank(scenario: str) -> int:
    return SCENARIO_ORDER.index(scenario) if scenario in SCENARIO_ORDER else len(SCENARIO_ORDER)


def _first_index(cells: list[Cell], measure: str) -> int:
    return next(i for i, c in enumerate(cells) if c.measure == measure)


def _parse_row(row: dict[str, str], path: Path, number: int) -> Cell:
    known = {f.name for f in fields(Cell)} - {"values"}
    kwargs: dict[str, Any] = {}
    for key in known:
        text = (row.get(key) or "").strip()
        if key in _FLOAT_COLUMNS:
            kwargs[key] = _number(text, float, path, number, key)
        elif key in _INT_COLUMNS:
            kwargs[key] = _number(text, int, path, number, key)
        else:
            kwargs[key] = text
    if kwargs["status"] not in (results.OK, results.SKIPPED, results.FAILED):
        raise ResultsError(f"{path}: corrupt at line {number}: unknown status "
                           f"{kwargs['status']!r}")
    if kwargs["status"] == results.OK and kwargs["mean_s"] is None:
        raise ResultsError(f"{path}: corrupt at line {number}: an 'ok' row without mean_s")
    return Cell(**kwargs)


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


def _load_values(directory: Path, cells: list[Cell]) -> dict[tuple[str, str], tuple[float, ...]]:
    """pyperf's values of every timed cell, read from the codec's suite file."""
    out: dict[tuple[str, str], tuple[float, ...]] = {}
    for codec in dict.fromkeys(c.codec for c in cells if c.status == results.OK):
        path = results.suite_path(directory, codec)
        suite = results.load_suite(path)
        by_name = {b.get_name(): b for b in suite.get_benchmarks()}
        for cell in cells:
            if cell.codec != codec or cell.status != results.OK:
                continue
            bench = by_name.get(cell.benchmark)
            if bench is None:
                raise ResultsError(f"{path}: corrupt, has no benchmark {cell.benchmark!r} "
                                   f"although {results.SUMMARY} reports it measured")
            out[codec, cell.benchmark] = tuple(float(v) for v in bench.get_values())
    return out


def _with_values(cell: Cell, values: dict[tuple[str, str], tuple[float, ...]]) -> Cell:
    found = values.get((cell.codec, cell.benchmark))
    return cell if found is None else replace(cell, values=found)
