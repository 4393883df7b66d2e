"""A codec bound to a payload: the one step every place that runs a codec on a payload takes
(fidelity, the in-process cost, each worker and each server), always outside the timed region.

To bind is to derive, from the payload's shape, the schema or typed codec for that payload
(`Codec.specialise`); a codec without `specialise` is its own bound codec.
"""

from __future__ import annotations

from serbench.codecs.base import Codec
from serbench.payloads import shape_of
from serbench.payloads.payload import MadePayload

__all__ = ["bound_codec"]


def bound_codec(codec: Codec, made: MadePayload) -> Codec:
    """`codec` ready for `made`: itself, or the codec its `specialise` derives from the
    payload's shape (raises `ShapeUnsupported`, the cell's reason, when it cannot)."""
    if codec.specialise is None:
        return codec
    return codec.for_payload(made.obj, shape_of(made))
