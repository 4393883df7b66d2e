"""Recording: each worker's run lands in its codec's pyperf suite and its raw latencies in the
cell's sample file as soon as the worker ends, atomically; nothing half-written is ever left.

A benchmark's runs come from many worker processes started in different rounds (as pyperf's
`--append` merges runs), so each codec's suite stays one valid pyperf file that `pyperf stats`
and `compare_to` read. Each run carries `serbench_round`, which pairs codecs by round.
"""

from __future__ import annotations

import errno
import io
import os
from pathlib import Path
from typing import Any

from serbench.common.errors import UserError
from serbench.results import files as results

ROUND_KEY = "serbench_round"


class ResultsWriteError(UserError):
    """The results directory cannot take more (full disk, gone, read-only): stop measuring."""


def pool_samples(samples_dir: Path) -> Any:
    """Every worker's per-request latencies (the `*.ns` int64 files) in one int64 array;
    an empty or missing directory gives an empty array."""
    import numpy as np

    chunks = [np.fromfile(p, dtype=np.int64) for p in sorted(samples_dir.glob("*.ns"))]
    return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int64)


def process_means(bench: Any) -> dict[int, float]:
    """Per round, the mean of that round's worker's values (the unit of replication)."""
    out: dict[int, float] = {}
    for index, run in enumerate(bench.get_runs()):
        values = run.values
        if not values:
            continue
        meta = run.get_metadata()
        key = int(meta.get(ROUND_KEY, index + 1))
        out[key] = sum(values) / len(values)
    return out


class ResultsStore:
    """The suites of one results directory, kept in memory and rewritten per worker."""

    def __init__(self, outdir: Path) -> None:
        self.outdir = outdir
        self._suites: dict[str, dict[str, Any]] = {}

    def load(self, codec: str) -> dict[str, Any]:
        """A codec's benchmarks by name, read from its suite file the first time."""
        if codec not in self._suites:
            path = results.suite_path(self.outdir, codec)
            benches: dict[str, Any] = {}
            if path.exists():
                benches = {b.get_name(): b for b in results.load_suite(path).get_benchmarks()}
            self._suites[codec] = benches
        return self._suites[codec]

    def benchmark(self, codec: str, name: str) -> Any | None:
        """One benchmark with every run recorded so far, or None."""
        return self.load(codec).get(name)

    def add_run(self, codec: str, worker_output: Path, extra: dict[str, Any],
                run_extra: dict[str, Any] | None = None) -> Any:
        """Merge the one run a worker wrote into the codec's suite, with `run_extra` metadata
        on that run and `extra` on the whole benchmark; returns the benchmark."""
        suite = results.load_suite(worker_output)
        new = suite.get_benchmarks()[0]
        if run_extra:
            new.update_metadata(run_extra)
        benches = self.load(codec)
        name = new.get_name()
        if name in benches:
            benches[name].add_runs(new)
        else:
            benches[name] = new
        if extra:  # on every run, so it stays the benchmark's common metadata
            benches[name].update_metadata(extra)
        self._write_suite(codec)
        return benches[name]

    def _write_suite(self, codec: str) -> None:
        import pyperf

        suite = pyperf.BenchmarkSuite(list(self._suites[codec].values()))
        text = io.StringIO()
        suite.dump(text, compact=False)
        guarded(self.outdir, lambda: results.atomic_write_text(
            results.suite_path(self.outdir, codec), text.getvalue()))

    def append_samples(self, codec: str, name: str, new: Any) -> Any:
        """Add a worker's latencies to the cell's pooled sample file; returns all of them."""
        import numpy as np

        path = results.samples_path(self.outdir, codec, name)
        old = results.load_samples(self.outdir, codec, name)
        pooled = new if old is None else np.concatenate([old, new])
        guarded(self.outdir, lambda: results.atomic_write(path, lambda out: np.save(out, pooled)))
        return pooled


_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG}


def guarded(outdir: Path, write: Any) -> None:
    """Run a write; an OSError becomes one clear line naming the directory (the write itself
    is atomic, so nothing half-written is left)."""
    try:
        write()
    except OSError as exc:
        why = exc.strerror or str(exc)
        free = _free_bytes(outdir)
        if exc.errno in _FULL or (free is not None and free < _NEARLY_FULL):
            # numpy reports a short write without an errno ("N requested and M written")
            why += f" (the file system is full: {free or 0} bytes free)"
        raise ResultsWriteError(f"cannot write results in {outdir}: {why}") from exc


_NEARLY_FULL = 1 << 20


def _free_bytes(directory: Path) -> int | None:
    try:
        stat = os.statvfs(directory)
    except OSError:
        return None
    return stat.f_bavail * stat.f_frsize
