"""Typed models derived from a payload's shape (`serbench.payloads.shapes`): msgspec Structs,
pydantic
models, attrs classes and dataclasses, the conversion of a payload into them, and the untimed
validation gate that labels a typed decoder "validating" or "no validation".

`serbench.codecs.typed_codecs` builds the codecs on top of this package; docs/typed.md says
what is timed.
"""

from serbench.codecs.typed.annotations import annotation_for, check_modelable
from serbench.codecs.typed.binding import TypedLibrary, unbound_codec
from serbench.codecs.typed.gate import GateResult, corruptions, run_gate
from serbench.codecs.typed.makers import (
    Models,
    attrs_models,
    dataclass_models,
    msgspec_models,
    plain_models,
    pydantic_models,
)

__all__ = [
    "GateResult",
    "Models",
    "TypedLibrary",
    "annotation_for",
    "attrs_models",
    "check_modelable",
    "corruptions",
    "dataclass_models",
    "msgspec_models",
    "plain_models",
    "pydantic_models",
    "run_gate",
    "unbound_codec",
]
