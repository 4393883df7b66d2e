"""Payload shapes: declared for the catalog, inferred for a user's data, and the one source
every schema codec and typed model is derived from (see `serbench.payloads.shapes.shape`).

The package is the shape description (everything `shape` exports) plus its inference."""

from serbench.payloads.shapes import shape
from serbench.payloads.shapes.infer import infer_shape, merge
from serbench.payloads.shapes.shape import *  # noqa: F403 (the package re-exports `shape`)

__all__ = ["infer_shape", "merge"]
__all__ += shape.__all__
