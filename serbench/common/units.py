"""How a duration is written, the same in the terminal, the report and `compare`: the run loop
and the report both use it, so it lives below both."""

from __future__ import annotations

__all__ = ["seconds"]


def seconds(value: float | None, micro: str = "µs") -> str:
    """A duration with a unit chosen for it: `12.3 µs`, `4.56 ms` (`micro="us"`: ASCII)."""
    if value is None:
        return ""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), (micro, 1e-6)):
        if abs(value) >= scale:
            return f"{value / scale:.3g} {unit}"
    return f"{value / 1e-9:.3g} ns"
