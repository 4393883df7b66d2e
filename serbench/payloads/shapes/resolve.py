"""A made payload's shape (declared by its catalog entry, else inferred from the object), and
a codec bound to a payload: the one step every place that runs a codec on a payload takes
(fidelity, the in-process cost, each worker and each server), always outside the timed region.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from serbench.payloads.shapes.infer import infer_shape
from serbench.payloads.shapes.shape import Shape

if TYPE_CHECKING:
    from serbench.codecs.base import Codec
    from serbench.payloads.payload import MadePayload

__all__ = ["bound_codec", "shape_of"]


def shape_of(made: MadePayload) -> Shape:
    """The shape of `made`: its catalog entry's declaration at its size, else inferred.

    Raises `ShapeUnsupported` when neither states one.
    """
    from serbench.payloads import payload_entries

    payload = payload_entries().get(made.name) if made.size is not None else None
    if payload is not None and payload.shape is not None and made.size is not None:
        return payload.shape(made.size)
    return infer_shape(made.obj)


def bound_codec(codec: Codec, made: MadePayload) -> Codec:
    """`codec` ready for `made`: itself, or the codec its `specialise` derives from the
    payload's shape (raises `ShapeUnsupported`, the cell's reason, when it cannot)."""
    if codec.specialise is None:
        return codec
    return codec.for_payload(made.obj, shape_of(made))
