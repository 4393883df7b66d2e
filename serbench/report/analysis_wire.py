"""The data behind the charts of what goes on the wire: streaming throughput (messages and bytes
per second) and message sizes (encoded and compressed)."""

from __future__ import annotations

from dataclasses import dataclass

from serbench.report.data import CellResult, Run

# -- streaming throughput ----------------------------------------------------------------------

@dataclass(frozen=True)
class Throughput:
    """Messages/s and MB/s (encoded bytes on the wire) of one streaming cell."""

    codec: str
    payload: str
    measure: str
    fidelity: str
    msgs_per_s: float
    mb_per_s: float | None
    suspect: str = ""


def throughputs(run: Run) -> list[Throughput]:
    """Every rankable stream cell (the null floor too)."""
    return [Throughput(c.codec, c.payload, m, c.fidelity, c.msgs_per_s, c.mb_per_s, c.suspect)
            for m in run.measures if m.startswith("stream/")
            for c in run.cells_for(m) if c.rankable and c.msgs_per_s is not None]


# -- sizes -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Size:
    """Encoded and zlib-compressed size of one message (bytes)."""

    codec: str
    payload: str
    fidelity: str
    encoded_bytes: int
    zlib_bytes: int | None


def sizes(run: Run) -> list[Size]:
    """Per codec x payload the codec round-trips; `null` is left out (it ships pickle's bytes)."""
    out = []
    for codec in run.ranked_codecs:
        for payload in run.payloads:
            cell = rankable_pair(run, codec, payload)
            if cell is not None and cell.encoded_bytes is not None:
                out.append(Size(codec, payload, cell.fidelity, cell.encoded_bytes,
                                cell.zlib_bytes))
    return out


def rankable_pair(run: Run, codec: str, payload: str) -> CellResult | None:
    """The first measured, rankable cell of codec x payload (sizes are per pair)."""
    for measure in run.measures:
        cell = run.cell(codec, measure, payload)
        if cell is not None and cell.rankable:
            return cell
    return None
