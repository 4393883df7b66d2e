"""The data behind the transports chart: each codec's round-trip time on each transport of one
payload, and the transport's share of it (the `null` floor's time over the cell's).

Drawn only for a run with at least one path (serbench.transport.paths: mp-pipe, ..., redis),
so the default run's report is unchanged. The share reads as "how much of this round trip is
the path, whatever the codec": near 1, the transport decides and swapping the serializer buys
little; near 0, the codec does.
"""

from __future__ import annotations

from dataclasses import dataclass

from serbench.common.vocabulary import FLOOR_CODEC, PATH_TRANSPORTS
from serbench.report.analysis_ratios import short_reason
from serbench.report.data import Run

SCENARIO = "roundtrip"


@dataclass(frozen=True)
class TransportBar:
    """One codec on one transport for one payload."""

    codec: str
    transport: str
    mean_s: float | None
    #: The null floor's mean over this cell's (None without a floor cell or a figure).
    share: float | None
    #: Why there is no figure (skipped, failed, unsupported), else "".
    reason: str = ""


@dataclass(frozen=True)
class TransportPanel:
    """Every codec x transport of one payload's round trip."""

    payload: str
    transports: tuple[str, ...]
    codecs: tuple[str, ...]
    bars: tuple[TransportBar, ...]

    def bar(self, codec: str, transport: str) -> TransportBar | None:
        """The bar of `codec` on `transport`, if the run has the cell."""
        for b in self.bars:
            if (b.codec, b.transport) == (codec, transport):
                return b
        return None


def has_paths(run: Run) -> bool:
    """Whether the run measured any path (so the transports chart has something to say)."""
    return any(t in PATH_TRANSPORTS for t in run.transports(SCENARIO))


def panels(run: Run) -> list[TransportPanel]:
    """One panel per payload, codecs in the run's order (the floor last), transports in the
    run's order; empty for a run without paths."""
    if not has_paths(run):
        return []
    transports = run.transports(SCENARIO)
    codecs = tuple([c for c in run.codecs if c != FLOOR_CODEC]
                   + [c for c in run.codecs if c == FLOOR_CODEC])
    out = []
    for payload in run.payloads:
        bars = []
        for transport in transports:
            measure = f"{SCENARIO}/{transport}"
            floor = run.cell(FLOOR_CODEC, measure, payload)
            floor_s = floor.mean_s if floor is not None and floor.timed else None
            for codec in codecs:
                cell = run.cell(codec, measure, payload)
                if cell is None:
                    continue
                if not cell.rankable and not (cell.timed and codec == FLOOR_CODEC):
                    bars.append(TransportBar(codec, transport, None, None, short_reason(cell)))
                    continue
                assert cell.mean_s is not None
                share = (min(1.0, floor_s / cell.mean_s)
                         if floor_s is not None and cell.mean_s > 0 else None)
                bars.append(TransportBar(codec, transport, cell.mean_s, share))
        if any(b.mean_s is not None for b in bars):
            out.append(TransportPanel(payload, transports, codecs, tuple(bars)))
    return out
