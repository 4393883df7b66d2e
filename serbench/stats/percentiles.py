"""Statistics on raw samples: percentiles from latencies pooled across every pyperf worker
(the mean of per-worker percentiles is not a percentile)."""

from __future__ import annotations

from typing import Any

# The percentile table lives in the vocabulary; re-exported here for existing importers.
from serbench.common.vocabulary import PERCENTILES

__all__ = ["PERCENTILES", "latency_percentiles"]


def latency_percentiles(samples_ns: Any) -> dict[str, float]:
    """p50, p90, p99, p99.9 and max in seconds from int64 nanosecond samples."""
    import numpy as np

    values = np.asarray(samples_ns, dtype=np.float64) / 1e9
    out = {k: float(np.percentile(values, q)) for k, q in PERCENTILES.items()}
    out["max"] = float(values.max())
    return out
