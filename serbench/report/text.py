"""How figures are written, the same in every table, chart and format: durations, sizes and
ratios with their intervals, and the marks for suspect cells and thin p99.9 figures."""

from __future__ import annotations

from serbench.common.units import seconds as seconds  # the one duration format
from serbench.common.vocabulary import CONFIDENCE, P999_MIN_SAMPLES
from serbench.stats.significance import Ratio

TIMES = "\N{MULTIPLICATION SIGN}"
#: Marks a cell the run flagged as suspect, wherever it is shown.
SUSPECT_MARK = "\N{WARNING SIGN}"
#: Marks a p99.9 read from fewer than `P999_MIN_SAMPLES` requests without an interval.
FEW_SAMPLES_MARK = "\N{DAGGER}"
LEVEL = f"{CONFIDENCE:.0%}"


def count(value: float | None, unit: str = "") -> str:
    """A rate or size in engineering steps: `212k msg/s`, `8.29 MB/s`."""
    if value is None:
        return ""
    for suffix, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= scale:
            return f"{value / scale:.3g}{suffix}{unit}"
    return f"{value:.3g}{unit}"


def nbytes(value: int | None) -> str:
    """Bytes, exactly below 10 kB, else in kB/MB."""
    if value is None:
        return ""
    if value < 10_000:
        return f"{value} B"
    if value < 10_000_000:
        return f"{value / 1e3:.1f} kB"
    return f"{value / 1e6:.1f} MB"


def format_ratio(value: Ratio | None, times: str = TIMES) -> str:
    """`0.62x`, with its interval when known (`0.62x [0.58, 0.66]`), then `≈` (`~` in ASCII)
    when the difference from 1 is not significant and `?` when it cannot be told."""
    if value is None:
        return ""
    text = f"{value.value:.2f}{times}"
    if value.low is not None and value.high is not None:
        text += f" [{value.low:.2f}, {value.high:.2f}]"
    if value.significant is False:
        text += " ≈" if times == TIMES else " ~"
    elif value.significant is None:
        text += " ?"
    return text


def seconds_interval(value: float | None, low: float | None, high: float | None) -> str:
    """A duration with its interval when known: `12.3 µs [11.9, 12.8]` (bounds in its unit)."""
    text = seconds(value)
    if value is None or low is None or high is None:
        return text
    unit = text.split(" ")[-1]
    scale = {"s": 1.0, "ms": 1e-3, "µs": 1e-6, "ns": 1e-9}[unit]
    return f"{text} [{low / scale:.3g}, {high / scale:.3g}]"


def p999(value: float | None, low: float | None, high: float | None,
         samples: int | None) -> str:
    """p99.9 with its interval, or flagged when it comes from too few samples to be read
    without one."""
    text = seconds_interval(value, low, high)
    few = samples is None or samples < P999_MIN_SAMPLES
    if value is not None and few and (low is None or high is None):
        text += f" {FEW_SAMPLES_MARK}"
    return text


def suspect_note(reason: str) -> str:
    """The mark of a flagged cell, to append to its figure (\"\" when not flagged)."""
    return f" {SUSPECT_MARK} suspect" if reason else ""


def measure_title(measure: str) -> str:
    """`roundtrip/tcp` -> `round trip (tcp)`."""
    scenario, _, transport = measure.partition("/")
    name = {"roundtrip": "round trip"}.get(scenario, scenario)
    return f"{name} ({transport})" if transport else name
