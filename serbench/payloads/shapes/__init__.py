"""Payload shapes: declared for the catalog, inferred for a user's data, and the one source
every schema codec and typed model is derived from (see `serbench.payloads.shapes.shape`)."""

from serbench.payloads.shapes.infer import infer_shape, merge
from serbench.payloads.shapes.shape import (
    INT64_MAX,
    INT64_MIN,
    NEVER,
    Field,
    ListOf,
    MapOf,
    OptionalOf,
    Record,
    Scalar,
    Shape,
    ShapeUnsupported,
    UnionOf,
    describe,
    is_identifier,
    records_in,
)

__all__ = [
    "INT64_MAX",
    "INT64_MIN",
    "NEVER",
    "Field",
    "ListOf",
    "MapOf",
    "OptionalOf",
    "Record",
    "Scalar",
    "Shape",
    "ShapeUnsupported",
    "UnionOf",
    "describe",
    "infer_shape",
    "is_identifier",
    "merge",
    "records_in",
]
