"""Statistics on raw samples: percentiles from latencies pooled across every pyperf worker
(the mean of per-worker percentiles is not a percentile)."""

from __future__ import annotations

from typing import Any

PERCENTILES = {"p50": 50.0, "p90": 90.0, "p99": 99.0, "p999": 99.9}


def latency_percentiles(samples_ns: Any) -> dict[str, float]:
    """p50, p90, p99, p99.9 and max in seconds from int64 nanosecond samples."""
    import numpy as np

    values = np.asarray(samples_ns, dtype=np.float64) / 1e9
    out = {k: float(np.percentile(values, q)) for k, q in PERCENTILES.items()}
    out["max"] = float(values.max())
    return out
