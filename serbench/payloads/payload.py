"""What a payload is: a named, seeded generator with a size knob, and one made instance."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from serbench.payloads.shapes.shape import Shape

DEFAULT_SEED = 42


@dataclass(frozen=True)
class Payload:
    """A payload shape. `generate(size, seed)` must be deterministic."""

    name: str
    description: str
    default_size: int
    unit: str
    generate: Callable[[int, int], Any]
    #: The declared shape at a size (`serbench.payloads.shapes`), for schema codecs and typed
    #: models;
    #: None: inferred from the generated object. It raises `ShapeUnsupported` for a shape no
    #: schema states.
    shape: Callable[[int], Shape] | None = None


@dataclass(frozen=True)
class MadePayload:
    """One generated payload: the object plus everything needed to make it again."""

    spec: str
    label: str
    name: str
    size: int | None
    seed: int | None
    description: str
    obj: Any
