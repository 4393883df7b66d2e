"""One row of the harness's floor table: how a codec's library is called directly, as
`pyperf timeit` set-up and statements (the table is `serbench.extensions.harness.floors.FLOORS`)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Floor"]


@dataclass(frozen=True)
class Floor:
    """How one codec's library is called directly, as `pyperf timeit` set-up and statements."""

    codec: str
    #: Run once before either statement: imports and objects built once. `obj` is the payload.
    setup: tuple[str, ...]
    #: Timed: one encode of `obj`.
    encode: str
    #: Run once before `decode`: binds `data` to the encoded bytes (and what decode needs).
    decode_setup: tuple[str, ...]
    #: Timed: one decode of `data`.
    decode: str
    #: serbench's codec wraps the library's bytes in a frame of its own (pickle-oob's header):
    #: its encoding ends with the floor's bytes instead of being equal to them.
    framed: bool = False

    def setup_lines(self, scenario: str) -> list[str]:
        """The set-up statements `scenario` (`encode` or `decode`) needs, in order."""
        return [*self.setup, *self.decode_setup] if scenario == "decode" else [*self.setup]

    def statement(self, scenario: str) -> str:
        """The timed statement of `scenario`."""
        return self.decode if scenario == "decode" else self.encode
