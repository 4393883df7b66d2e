"""One cross-check case: a serbench codec's call and its argument, set up off the clock.

Both methods time exactly what serbench's encode and decode cells time, the codec's own
`encode(obj)` and `decode(memoryview)` of its own encoding, built the way a worker builds them
(`bound_codec`, `prepared`), so what differs between the two figures is the method alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from serbench.codecs import get_codec, joined
from serbench.codecs.bind import bound_codec
from serbench.payloads import make_payload


@dataclass(frozen=True)
class Case:
    """codec x payload spec x direction (`encode` or `decode`)."""

    codec: str
    payload: str
    direction: str

    @property
    def ident(self) -> str:
        return f"{self.codec}|{self.payload}|{self.direction}"

    @classmethod
    def parse(cls, ident: str) -> Case:
        codec, payload, direction = ident.split("|")
        return cls(codec, payload, direction)


def prepared_call(case: Case) -> tuple[Callable[[Any], Any], Any]:
    """The timed call and its argument."""
    made = make_payload(case.payload)
    codec = bound_codec(get_codec(case.codec), made)
    obj = codec.prepared(made.obj)
    if case.direction == "encode":
        return codec.encode, obj
    return codec.decode, memoryview(joined(codec.encode(obj)))
