"""The results directory: the contract between a run, the report, `compare` and notebooks.
Its files are read back by `serbench.results.read`, the one reader.

    DIR/<codec>.json       one pyperf BenchmarkSuite per codec (names without the codec)
    DIR/samples/<codec>/<scenario>__<transport>__<payload>.npy
                           raw per-request round-trip latencies (int64 ns), pooled over workers
    DIR/summary.csv        one tidy row per cell (ok, skipped or failed, with the reason)
    DIR/environment.json   machine, Python, library versions, the matrix, start/end, load
    DIR/charts/, report.html, report.md   made from the files above by `serbench report`

Every file is written to a temporary name and renamed, so an interrupted run never leaves a
half-written file, and each cell lands as soon as it finishes.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from serbench.common.errors import UserError
from serbench.common.vocabulary import FAILED as FAILED  # a cell's status, re-exported
from serbench.common.vocabulary import OK as OK
from serbench.common.vocabulary import SKIPPED as SKIPPED

#: The results layout written by this version. 1: serbench 0.1 (one pyperf program per cell,
#: no intervals); 2: interleaved rounds, per-run `serbench_round` metadata, interval columns.
#: Readers accept every version up to this one and refuse newer ones by name.
FORMAT_VERSION = 2
SUMMARY = "summary.csv"
ENVIRONMENT = "environment.json"
SAMPLES = "samples"

#: The columns results format 2 added: interleaved rounds and 95 % intervals (the worker
#: process is the unit). A run upgraded from format 1 has them empty.
FORMAT_2_COLUMNS = (
    "processes", "mean_lo_s", "mean_hi_s", "ratio", "ratio_lo", "ratio_hi", "ratio_rounds",
    "floor_ratio", "floor_ratio_lo", "floor_ratio_hi", "rank", "tied_with", "suspect",
    "p999_lo_s", "p999_hi_s", "reply_bytes")

#: The columns of the steady state, cold start and memory per call (added within format 2:
#: a run before them has them empty). Medians over the cell's worker processes.
ACCURACY_COLUMNS = (
    "warmup_s", "settled_workers", "faults_per_call", "cold_import_s", "cold_first_s",
    "cold_first_faults", "cold_rss_growth", "alloc_peak_bytes", "retained_bytes",
    "retained_blocks")

COLUMNS = [
    "codec", "scenario", "transport", "payload", "status",
    "mean_s", "stdev_s", "p50_s", "p90_s", "p99_s", "p999_s", "max_s",
    "msgs_per_s", "mb_per_s", "encoded_bytes",
    # beyond the required columns
    "objects_per_s", "samples", "values", "fidelity", "losses", "zlib_bytes",
    "reference_bytes", "payload_spec", "payload_size", "benchmark", "library", "version",
    *FORMAT_2_COLUMNS,
    # the codec zoo: codecs are ranked within their family; what a schema codec's timing covers
    "family", "timing",
    *ACCURACY_COLUMNS,
    "detail",
]

_UMASK = os.umask(0o022)
os.umask(_UMASK)


class ResultsError(UserError):
    """A results file is missing or corrupt; the message names the file."""


def atomic_write(path: Path, write: Callable[[io.BufferedWriter], object]) -> None:
    """Write a file through a temporary sibling and `os.replace`: all or nothing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp's 0600 would make reports private
        with os.fdopen(fd, "wb") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """`atomic_write` for text (UTF-8)."""
    atomic_write(path, lambda out: out.write(text.encode("utf-8")))


def samples_path(directory: Path, codec: str, benchmark: str) -> Path:
    """Where one cell's pooled latency samples live."""
    return directory / SAMPLES / codec / (benchmark.replace("/", "__") + ".npy")


def check_writable(directory: Path) -> None:
    """Fail before anything runs if the results directory cannot be created or written."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".write-check-"):
            pass
    except OSError as exc:
        raise UserError(f"cannot write the results directory {directory}: "
                        f"{exc.strerror or exc}") from exc


def write_summary(directory: Path, rows: Iterable[dict[str, Any]]) -> None:
    """Rewrite summary.csv with these rows (atomically)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, extrasaction="ignore",
                            lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _csv_value(row.get(k)) for k in COLUMNS})
    atomic_write_text(directory / SUMMARY, buffer.getvalue())


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return value


def read_summary(directory: Path) -> list[dict[str, str]]:
    """The rows of summary.csv as strings; a missing or corrupt file is an error naming it."""
    path = directory / SUMMARY
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ResultsError(f"{path}: missing; is {directory} a serbench results "
                           "directory?") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ResultsError(f"{path}: cannot read it ({exc})") from exc
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("codec", "scenario", "payload", "status") if c not in
               (reader.fieldnames or [])]
    if missing:
        raise ResultsError(f"{path}: corrupt, missing the column(s) {', '.join(missing)}")
    rows = list(reader)
    for number, row in enumerate(rows, 2):
        if None in row or any(v is None for v in row.values()):
            raise ResultsError(f"{path}: corrupt at line {number} (wrong number of fields)")
    return rows


def write_environment(directory: Path, environment: dict[str, Any]) -> None:
    """Write environment.json (atomically)."""
    atomic_write_text(directory / ENVIRONMENT, json.dumps(environment, indent=2, default=str)
                      + "\n")


def read_environment(directory: Path) -> dict[str, Any]:
    """environment.json; an error names the file when it is missing or corrupt."""
    path = directory / ENVIRONMENT
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ResultsError(f"{path}: missing") from exc
    except (OSError, ValueError) as exc:
        raise ResultsError(f"{path}: corrupt ({exc})") from exc
    if not isinstance(data, dict):
        raise ResultsError(f"{path}: corrupt (not a JSON object)")
    return data


def format_version(environment: dict[str, Any], directory: Path) -> int:
    """The layout version of a results directory; a newer one than this serbench reads is an
    error naming the directory (an older one is upgraded at load: `serbench.results.upgrade`)."""
    version = environment.get("format_version", 1)
    if not isinstance(version, int) or version < 1:
        raise ResultsError(f"{directory / ENVIRONMENT}: corrupt format_version {version!r}")
    if version > FORMAT_VERSION:
        raise ResultsError(f"{directory} was written by a newer serbench (results format "
                           f"{version}; this one reads up to {FORMAT_VERSION}): upgrade "
                           "serbench to read it")
    return version


def suite_path(directory: Path, codec: str) -> Path:
    """The pyperf suite file of one codec."""
    return directory / f"{codec}.json"


def load_suite(path: Path) -> Any:
    """A pyperf BenchmarkSuite; an error names the file when it is missing or corrupt."""
    import pyperf

    try:
        return pyperf.BenchmarkSuite.load(str(path))
    except FileNotFoundError as exc:
        raise ResultsError(f"{path}: missing") from exc
    except Exception as exc:  # pyperf raises ValueError, KeyError, JSONDecodeError, ...
        raise ResultsError(f"{path}: corrupt pyperf file ({type(exc).__name__}: {exc})") from exc


def load_samples(directory: Path, codec: str, benchmark: str) -> Any:
    """One cell's raw round-trip latencies in ns (numpy int64), or None when not stored."""
    import numpy as np

    path = samples_path(directory, codec, benchmark)
    if not path.exists():
        return None
    try:
        return np.load(path)
    except Exception as exc:
        raise ResultsError(f"{path}: corrupt samples file ({exc})") from exc
