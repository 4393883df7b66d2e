"""The model's inputs read from a results directory: codec costs, the transport floor and the
CPU placement. Only cells a codec round-trips (exact or lossy) and that were measured count."""

from __future__ import annotations

from serbench.common.vocabulary import FAMILY_GENERAL, FLOOR_CODEC
from serbench.extensions.wiremodel.predict import CodecCosts, TransportFloor
from serbench.report.data import CellResult, Run
from serbench.report.transport_cost import floor_points


def codec_costs(run: Run, codec: str, payload: str) -> CodecCosts | None:
    """In-process encode/decode times and frame sizes of codec x payload; None when the run
    lacks a rankable encode or decode cell or the encoded size."""
    enc = run.cell(codec, "encode", payload)
    dec = run.cell(codec, "decode", payload)
    if enc is None or dec is None or not (enc.rankable and dec.rankable):
        return None
    sized = _sized_cell(run, codec, payload)
    if sized is None or enc.mean_s is None or dec.mean_s is None:
        return None
    request = sized.encoded_bytes or 0
    return CodecCosts(enc.mean_s, dec.mean_s, request, sized.reply_bytes or request)


def _sized_cell(run: Run, codec: str, payload: str) -> CellResult | None:
    """The cell carrying the pair's sizes: a round trip's first (it has `reply_bytes`)."""
    for measure in sorted(run.measures, key=lambda m: not m.startswith("roundtrip/")):
        cell = run.cell(codec, measure, payload)
        if cell is not None and cell.rankable and cell.encoded_bytes:
            return cell
    return None


def transport_floor(run: Run, transport: str) -> TransportFloor:
    """The null codec's round trips and stream messages over `transport` (empty when the run
    has none: the transport terms are then 0)."""
    return TransportFloor(tuple(floor_points(run, f"roundtrip/{transport}")),
                          tuple(floor_points(run, f"stream/{transport}")))


def shared_core(run: Run) -> bool:
    """Whether client and server were pinned to one CPU (`pin = same`): their work adds up."""
    return run.environment.get("pin") == "same"


def contenders(run: Run, payload: str) -> list[str]:
    """Codecs the chart may rank on `payload`: not `null`, family general (missing counts as
    general), round-trips the payload and has in-process costs and a size."""
    out = []
    for codec in run.ranked_codecs:
        if codec == FLOOR_CODEC or codec_costs(run, codec, payload) is None:
            continue
        cell = run.payload_cell(codec, payload)
        if cell is not None and cell.family in ("", FAMILY_GENERAL):
            out.append(codec)
    return out
