"""Durations and sizes, written and read the same way everywhere.

`seconds` writes a duration the same in the terminal, the report and `compare` (the run loop
and the report both use it, so it lives below both). `parse_duration` is the one grammar every
duration option and key reads (`--time`, `[budget] time`, `serbench load`'s flags, a link's
delay): a number, optionally followed by a unit,

    ====  ============  ==========================
    unit  means         examples
    ====  ============  ==========================
    none  seconds       ``300``, ``0.5``, ``1e-3``
    ns    nanoseconds   ``500ns``
    us    microseconds  ``200us``, ``200µs``
    ms    milliseconds  ``1ms``, ``1.5 ms``
    s     seconds       ``90s`` (also ``sec``)
    m     minutes       ``5m`` (also ``min``)
    h     hours         ``1.5h``
    ====  ============  ==========================

in any case (``1MS`` is 1 ms), with spaces around or between. `parse_size` reads a count
with a decimal k, M or G multiplier (``5000``, ``5k``, ``2M``).
"""

from __future__ import annotations

import math
import re

from serbench.common.errors import UserError

__all__ = ["DURATION_UNITS", "parse_duration", "parse_size", "seconds"]

#: Each duration unit `parse_duration` reads, in seconds.
DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0,
                  "sec": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}
_DURATION = re.compile(r"^\s*((?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)\s*([^\s\d.]*)\s*$",
                       re.IGNORECASE)
_SCALE = {"": 1.0, **DURATION_UNITS}
_DURATION_HINT = "a number of seconds, or with a unit: ns, us, ms, s, m, h; e.g. 1ms, 90s, 5m, 1.5h"
_SIZE = re.compile(r"^\s*(\d+)\s*([kmg]?)\s*$", re.IGNORECASE)
_SIZE_SCALE = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9}


def seconds(value: float | None, micro: str = "µs") -> str:
    """A duration with a unit chosen for it: `12.3 µs`, `4.56 ms` (`micro="us"`: ASCII)."""
    if value is None:
        return ""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), (micro, 1e-6)):
        if abs(value) >= scale:
            return f"{value / scale:.3g} {unit}"
    return f"{value / 1e-9:.3g} ns"


def parse_duration(text: str | float, *, positive: bool = False,
                   unit_required: bool = False) -> float:
    """Seconds from a duration in the module's grammar, or from a number (seconds: a TOML
    value). A `UserError` for anything else, for a negative or non-finite value, for zero when
    `positive`, and for a bare number when `unit_required` (where seconds would surprise)."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        value = float(text)
    else:
        match = _DURATION.match(str(text))
        unit = match.group(2).lower() if match else None
        if match is None or unit not in _SCALE:
            raise UserError(f"not a duration: {text!r} ({_DURATION_HINT})")
        if unit == "" and unit_required:
            raise UserError(f"not a duration: {text!r} (it needs a unit: ns, us, ms, s, m "
                            f"or h, e.g. 1ms)")
        value = float(match.group(1)) * _SCALE[unit]
    if not math.isfinite(value):
        raise UserError(f"not a duration: {text!r} (it is not finite)")
    if value < 0 or (positive and value == 0):
        raise UserError(f"a duration must be {'positive' if positive else 'zero or more'}, "
                        f"not {text!r}")
    return value


def parse_size(text: str, what: str = "size") -> int:
    """`5000`, `5k`, `2M` or `1G` as an integer (decimal multipliers, either case); a
    `UserError` naming `what` ("payload size") otherwise."""
    match = _SIZE.match(str(text))
    if not match:
        raise UserError(f"bad {what} {text!r}: use an integer, optionally with k, M or G")
    number, suffix = match.groups()
    return int(number) * _SIZE_SCALE[suffix.lower()]
