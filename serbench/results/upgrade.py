"""Older results formats turned into the current one, once, at load (as asv's results.py
`update_to_2` does), so that every reader of a results directory (the report, `compare`,
notebooks, the wire model) sees only the current format.

Format 1 (serbench 0.1: one pyperf program per cell, no interleaved rounds) has no interval,
ratio, rank or suspect column. Upgraded, its rows have every format-2 column empty and its
environment says what that means: `intervals` is False, so the report says its intervals are
unavailable and `serbench.stats.significance` (the one place that does) decides significance by
the t-test on values; `upgraded_from` keeps the format the run was written in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

from serbench.results.cells import FLOAT_COLUMNS, INT_COLUMNS, CellRecord
from serbench.results.files import FORMAT_2_COLUMNS, FORMAT_VERSION

#: environment.json keys the upgrade adds: the format the run was written in (absent: the
#: current one), and False when the run has no intervals (absent: it has them).
UPGRADED_FROM = "upgraded_from"
INTERVALS = "intervals"
#: The key every format since 2 writes (format 1 has none).
FORMAT_KEY = "format_version"

C = TypeVar("C", bound=CellRecord)


def upgrade(environment: dict[str, Any], cells: list[C],
            version: int) -> tuple[dict[str, Any], list[C]]:
    """`environment` and `cells` of a run written in results format `version` (at most the
    current one), in the current format; a current run is returned as it is."""
    if version >= FORMAT_VERSION:
        return environment, cells
    written = version
    while version < FORMAT_VERSION:
        environment, cells = _STEPS[version](environment, cells)
        version += 1
    return environment | {FORMAT_KEY: version, UPGRADED_FROM: written}, cells


def _format_1_to_2(environment: dict[str, Any], cells: list[C]) -> tuple[dict[str, Any], list[C]]:
    """No rounds, so no interval: every format-2 column empty, and the run says so."""
    empty: dict[str, Any] = {name: None if name in FLOAT_COLUMNS | INT_COLUMNS else ""
                             for name in FORMAT_2_COLUMNS}
    return environment | {INTERVALS: False}, [replace(cell, **empty) for cell in cells]


_Step = Callable[[dict[str, Any], list[C]], tuple[dict[str, Any], list[C]]]
#: The step from each older format to the next.
_STEPS: dict[int, _Step[Any]] = {1: _format_1_to_2}


def written_format(environment: dict[str, Any]) -> int:
    """The results format a run was written in, from its environment as the reader gives it."""
    version = environment.get(UPGRADED_FROM, environment.get(FORMAT_KEY, 1))
    return version if isinstance(version, int) else 1


def has_intervals(environment: dict[str, Any]) -> bool:
    """Whether the run carries 95 % intervals (False for a run upgraded from format 1)."""
    return environment.get(INTERVALS) is not False
