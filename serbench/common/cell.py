"""A cell, the unit of a matrix, and its comparison group: words the runner, the statistics and
the results all use."""

from __future__ import annotations

from dataclasses import dataclass

from serbench.common.vocabulary import bench_name

#: A comparison group: payload spec, scenario, transport ("" in process). Codecs are compared
#: (and ranked) only within one group.
GroupKey = tuple[str, str, str]


@dataclass(frozen=True)
class Cell:
    """One benchmark: a codec on a payload in a scenario (over a transport)."""

    codec: str
    payload: str
    scenario: str
    transport: str | None

    def name(self, payload_label: str) -> str:
        """The pyperf benchmark name (without the codec)."""
        return bench_name(self.scenario, self.transport, payload_label)


def group_key(cell: Cell) -> GroupKey:
    """The comparison group of a cell."""
    return (cell.payload, cell.scenario, cell.transport or "")
