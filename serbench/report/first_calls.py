"""The report's cold-start and memory-per-call tables, and the warm-up and allocator note.

Cold start (each worker's first call, before any warm call) and memory (an untimed traced
pass) are their own measures: shown beside the steady figure, never mixed into it.
"""

from __future__ import annotations

from collections.abc import Iterable

from serbench.common.units import seconds
from serbench.report.data import CellResult, Run
from serbench.report.report_tables import Table


def _bytes(value: int | None) -> str:
    if value is None:
        return ""
    for unit, scale in (("MB", 1e6), ("kB", 1e3)):
        if value >= scale:
            return f"{value / scale:.3g} {unit}"
    return f"{value} B"


def _times(first: float | None, steady: float | None) -> str:
    return f"{first / steady:.3g}x" if first and steady else ""


def _cells(run: Run, scenarios: Iterable[str]) -> list[CellResult]:
    wanted = set(scenarios)
    return [c for c in run.cells if c.timed and c.scenario in wanted]


def cold_start_table(run: Run) -> Table | None:
    """Per payload and codec: the library's import, and each measure's first call, with how
    many times its steady per-call time it took; None where the run recorded none."""
    cells = [c for c in _cells(run, ("encode", "decode", "roundtrip"))
             if c.cold_first_s is not None]
    if not cells:
        return None
    rows = []
    for c in sorted(cells, key=lambda c: (c.payload, c.codec, c.measure)):
        rows.append((c.payload, c.codec, c.measure, seconds(c.cold_import_s),
                     seconds(c.cold_first_s), seconds(c.mean_s),
                     _times(c.cold_first_s, c.mean_s),
                     "" if c.cold_first_faults is None else str(c.cold_first_faults),
                     _bytes(c.cold_rss_growth)))
    return Table(("payload", "codec", "first call", "import", "first call time", "steady",
                  "first / steady", "minor faults", "RSS growth"), tuple(rows))


def memory_table(run: Run) -> Table | None:
    """Per payload and codec: encode's and decode's traced peak and what their result keeps,
    with the steady minor faults per call; None where the run recorded none."""
    by_key = {(c.payload, c.codec, c.scenario): c for c in _cells(run, ("encode", "decode"))
              if c.alloc_peak_bytes is not None}
    if not by_key:
        return None
    rows = []
    for payload, codec in sorted({(p, c) for p, c, _ in by_key}):
        enc, dec = by_key.get((payload, codec, "encode")), by_key.get((payload, codec, "decode"))
        rows.append((
            payload, codec,
            _bytes(enc.alloc_peak_bytes) if enc else "",
            _bytes(enc.retained_bytes) if enc else "",
            "" if enc is None or enc.faults_per_call is None else f"{enc.faults_per_call:g}",
            _bytes(dec.alloc_peak_bytes) if dec else "",
            _bytes(dec.retained_bytes) if dec else "",
            "" if dec is None or dec.retained_blocks is None else str(dec.retained_blocks),
            "" if dec is None or dec.faults_per_call is None else f"{dec.faults_per_call:g}"))
    return Table(("payload", "codec", "encode peak", "encoded size held", "encode faults/call",
                  "decode peak", "decoded object", "decoded blocks", "decode faults/call"),
                 tuple(rows))


def steady_note(run: Run) -> str:
    """How the workers warmed up and which allocator policy they ran under."""
    timed = [c for c in run.cells if c.timed and c.settled_workers is not None]
    malloc = run.environment.get("malloc")
    policy = malloc.get("policy") if isinstance(malloc, dict) else None
    parts = []
    if timed:
        workers = sum(c.processes or 0 for c in timed)
        settled = sum(c.settled_workers or 0 for c in timed)
        unsettled = sorted({f"{c.codec} {c.measure} {c.payload}" for c in timed
                            if (c.settled_workers or 0) < (c.processes or 0)})
        parts.append(
            f"Each worker warmed up until its time and minor faults per call stopped falling "
            f"(at most 1 s): {settled} of {workers} workers settled"
            + (f"; not settled in every worker: {', '.join(unsettled[:8])}"
               f"{' ...' if len(unsettled) > 8 else ''}." if unsettled else "."))
    if policy and isinstance(malloc, dict):
        parts.append(f"Allocator policy: {policy} ({malloc.get('settings')}).")
    return " ".join(parts)
