"""A cell's summary row: what is known before timing (sizes, fidelity), then the figures its
workers produced so far (mean, percentiles of the pooled samples, throughput)."""

from __future__ import annotations

import statistics
from typing import Any

from serbench.common.cell import Cell
from serbench.common.vocabulary import FAMILY_GENERAL
from serbench.runner.probe import CodecOnPayload
from serbench.stats.intervals import quantile_interval
from serbench.stats.percentiles import latency_percentiles


def base_row(cell: Cell, prep: CodecOnPayload) -> dict[str, Any]:
    """The columns known before anything is timed."""
    return {
        "codec": cell.codec, "scenario": cell.scenario, "transport": cell.transport or "",
        "payload": prep.payload.label, "payload_spec": prep.payload.spec,
        "payload_size": prep.payload.size, "benchmark": cell.name(prep.payload.label),
        "fidelity": prep.fidelity.status, "losses": ", ".join(prep.fidelity.losses),
        "encoded_bytes": prep.fidelity.encoded_bytes, "zlib_bytes": prep.zlib_bytes,
        "reference_bytes": prep.reference_bytes, "reply_bytes": prep.reply_bytes,
        "library": prep.codec.library if prep.codec else "",
        "version": prep.codec.version if prep.codec else "",
        "family": prep.codec.family if prep.codec else FAMILY_GENERAL,
        "timing": prep.codec.timing if prep.codec else "",
    }


def measured_columns(cell: Cell, row: dict[str, Any], bench: Any, pooled: Any,
                     items: int) -> dict[str, Any]:
    """Mean and std dev over every value (pyperf's), percentiles of the pooled round-trip
    samples with an order-statistics interval for p99.9, or throughput for the others;
    `items` is the number of objects in one message (for objects/s)."""
    values = bench.get_nvalue()
    mean = bench.mean()
    out: dict[str, Any] = {"mean_s": mean, "values": values,
                           "stdev_s": bench.stdev() if values > 1 else None,
                           **worker_columns(bench)}
    if cell.scenario == "roundtrip":
        if pooled is not None and pooled.size:
            out.update({f"{k}_s": v for k, v in latency_percentiles(pooled).items()},
                       samples=int(pooled.size))
            out.update(p999_bounds(pooled))
    else:
        per_s = 1.0 / mean
        out.update(msgs_per_s=per_s, mb_per_s=(row.get("encoded_bytes") or 0) * per_s / 1e6)
        if cell.scenario == "stream":
            out.update(objects_per_s=per_s * items)
    return out


#: summary column -> the worker metadata it is the median of (serbench.cells.cell).
WORKER_FIGURES = {
    "warmup_s": "serbench_warmup_s", "faults_per_call": "serbench_faults_per_call",
    "cold_import_s": "serbench_cold_import_s", "cold_first_s": "serbench_cold_first_s",
    "cold_first_faults": "serbench_cold_first_faults",
    "cold_rss_growth": "serbench_cold_rss_growth",
    "alloc_peak_bytes": "serbench_alloc_peak_bytes",
    "retained_bytes": "serbench_retained_bytes", "retained_blocks": "serbench_retained_blocks"}
_INTEGER_FIGURES = frozenset({"cold_first_faults", "cold_rss_growth", "alloc_peak_bytes",
                              "retained_bytes", "retained_blocks"})


def worker_columns(bench: Any) -> dict[str, Any]:
    """The steady-state, cold-start and memory columns: each the median over the worker
    processes that recorded it (None where none did), and how many workers settled."""
    metas = [run.get_metadata() for run in bench.get_runs()]
    out: dict[str, Any] = {}
    for column, key in WORKER_FIGURES.items():
        seen = sorted(float(m[key]) for m in metas if key in m)
        value = statistics.median(seen) if seen else None
        out[column] = (round(value) if value is not None and column in _INTEGER_FIGURES
                       else value)
    flags = [int(m["serbench_warmup_settled"]) for m in metas if "serbench_warmup_settled" in m]
    out["settled_workers"] = sum(flags) if flags else None
    return out


def p999_bounds(pooled_ns: Any) -> dict[str, Any]:
    """A distribution-free 95 % interval of p99.9 (None where too few samples give one)."""
    import numpy as np

    bounds = quantile_interval((np.sort(pooled_ns) / 1e9).tolist(), 0.999)
    if bounds is None:
        return {"p999_lo_s": None, "p999_hi_s": None}
    return {"p999_lo_s": bounds[0], "p999_hi_s": bounds[1]}
