"""The one reader of a results directory: environment.json, summary.csv and the pyperf suites,
checked, typed and upgraded to the current format at load.

- `read_results`: the run in the current format (`upgrade`), every row a typed `CellRecord` (or
  the subclass the caller names) with its pyperf values: what the report, `compare`, notebooks
  and the wire model read;
- `read_raw`: the files as written (environment, rows of strings, format version): for what
  copies a run rather than reads its figures (`serbench merge`).

Both refuse a results format newer than this serbench by name, so nothing silently misreads
columns it does not know. Only files are read: nothing is run and no codec library is imported.
Every error names the file it is about.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Generic, TypeVar

from serbench.common.vocabulary import FAILED, OK, SKIPPED
from serbench.results import files
from serbench.results.cells import FLOAT_COLUMNS, INT_COLUMNS, SUITE_FIELDS, CellRecord
from serbench.results.files import ResultsError
from serbench.results.record import process_means
from serbench.results.upgrade import upgrade

C = TypeVar("C", bound=CellRecord)
CellKey = tuple[str, str, str, str]  # codec, scenario, transport, payload


@dataclass(frozen=True)
class RawResults:
    """A results directory's environment and summary rows exactly as written."""

    directory: Path
    environment: dict[str, Any]
    rows: list[dict[str, str]]
    #: The results format it was written in.
    version: int


def read_raw(directory: Path | str) -> RawResults:
    """environment.json and summary.csv as written, the format checked (a newer one than this
    serbench reads is a `ResultsError` naming it)."""
    directory = Path(directory)
    environment = files.read_environment(directory)
    version = files.format_version(environment, directory)
    return RawResults(directory, environment, files.read_summary(directory), version)


@dataclass(frozen=True)
class Results(Generic[C]):
    """A results directory in the current format."""

    directory: Path
    #: environment.json, upgraded: `upgrade.written_format` and `upgrade.has_intervals` read
    #: what the upgrade recorded.
    environment: dict[str, Any]
    #: Every row of summary.csv, in file order, with the pyperf values of the timed ones.
    cells: tuple[C, ...]
    #: Per timed cell (`CellRecord.key`): the mean of each round's worker process, by round.
    rounds: dict[CellKey, dict[int, float]]


def read_results(directory: Path | str, kind: type[C]) -> Results[C]:
    """Read a results directory, its rows as `kind` records; a missing or corrupt file, or a
    results format newer than this serbench reads, is a `ResultsError` naming it."""
    raw = read_raw(directory)
    path = raw.directory / files.SUMMARY
    parsed = [_parse_row(kind, row, path, number) for number, row in enumerate(raw.rows, 2)]
    environment, parsed = upgrade(raw.environment, parsed, raw.version)
    timings = _timings(raw.directory, parsed)
    cells = tuple(_with_values(cell, timings) for cell in parsed)
    rounds = {cell.key: found[2] for cell in cells
              if (found := timings.get((cell.codec, cell.benchmark))) is not None}
    return Results(raw.directory, environment, cells, rounds)


def _parse_row(kind: type[C], row: dict[str, str], path: Path, number: int) -> C:
    known = {f.name for f in fields(kind)} - SUITE_FIELDS
    kwargs: dict[str, Any] = {}
    for key in known:
        text = (row.get(key) or "").strip()
        if key in FLOAT_COLUMNS:
            kwargs[key] = _number(text, float, path, number, key)
        elif key in INT_COLUMNS:
            kwargs[key] = _number(text, int, path, number, key)
        else:
            kwargs[key] = text
    if kwargs["status"] not in (OK, SKIPPED, FAILED):
        raise ResultsError(f"{path}: corrupt at line {number}: unknown status "
                           f"{kwargs['status']!r}")
    if kwargs["status"] == OK and kwargs["mean_s"] is None:
        raise ResultsError(f"{path}: corrupt at line {number}: an 'ok' row without mean_s")
    return kind(**kwargs)


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


#: (codec, benchmark) -> pyperf's values, each worker process's mean in file order, and the
#: per-round means.
_Timings = dict[tuple[str, str], tuple[tuple[float, ...], tuple[float, ...], dict[int, float]]]


def _timings(directory: Path, cells: list[C]) -> _Timings:
    """The pyperf figures of every timed cell, from its codec's suite."""
    out: _Timings = {}
    for codec in dict.fromkeys(c.codec for c in cells if c.status == OK):
        path = files.suite_path(directory, codec)
        suite = files.load_suite(path)
        by_name = {b.get_name(): b for b in suite.get_benchmarks()}
        for cell in cells:
            if cell.codec != codec or cell.status != OK:
                continue
            bench = by_name.get(cell.benchmark)
            if bench is None:
                raise ResultsError(f"{path}: corrupt, has no benchmark {cell.benchmark!r} "
                                   f"although {files.SUMMARY} reports it measured")
            means = tuple(statistics.fmean(run.values) for run in bench.get_runs()
                          if run.values)
            out[codec, cell.benchmark] = (tuple(float(v) for v in bench.get_values()), means,
                                          process_means(bench))
    return out


def _with_values(cell: C, timings: _Timings) -> C:
    found = timings.get((cell.codec, cell.benchmark))
    if found is None:
        return cell
    return replace(cell, values=found[0], process_means=found[1])
