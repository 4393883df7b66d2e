"""Link specs: `100mbit,1ms`, `1gbit`, `unlimited,2ms`.

The rate uses tc's units (bit, kbit, mbit, gbit: powers of 1000, in bits per second). The
delay is the *added round-trip time*, the reading of "1 ms" in iperf/netperf talk: each
direction is delayed by half of it, so a ping-pong over the link takes about 1 ms longer than
without it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from serbench.common.errors import UserError
from serbench.common.units import parse_duration

_RATE_UNITS = {"bit": 1, "kbit": 10**3, "mbit": 10**6, "gbit": 10**9}
_NUMBER_UNIT = re.compile(r"^(\d+(?:\.\d+)?)([a-z]+)$")
#: Below this a tbf cannot shape sensibly (one full-size frame per second is ~12 kbit/s).
MIN_RATE_BIT_S = 64_000
MAX_DELAY_S = 10.0
_HELP = "a link is RATE[,DELAY], e.g. 100mbit,1ms or 1gbit or unlimited,2ms"


@dataclass(frozen=True)
class LinkSpec:
    """A link: its rate in bit/s (None: not shaped) and its added round-trip time."""

    text: str
    rate_bit_s: int | None
    delay_s: float

    @property
    def one_way_delay_s(self) -> float:
        """What each direction adds: half the round trip."""
        return self.delay_s / 2

    def wire_s(self, scenario: str, encoded_bytes: int) -> float:
        """What the link adds to one message, for sizing loops: a round trip's two frames
        and its delay, or a streamed frame's time on the wire."""
        on_wire = encoded_bytes * 8 / self.rate_bit_s if self.rate_bit_s else 0.0
        return 2 * on_wire + self.delay_s if scenario == "roundtrip" else on_wire


def parse_link(text: str) -> LinkSpec:
    """A `LinkSpec` from `RATE[,DELAY]`; a `UserError` saying what is wrong otherwise."""
    parts = [p.strip().lower() for p in str(text).split(",")]
    if not parts or len(parts) > 2 or not parts[0]:
        raise UserError(f"link {text!r}: {_HELP}")
    rate = None if parts[0] == "unlimited" else _rate(text, parts[0])
    delay = _delay(text, parts[1]) if len(parts) == 2 else 0.0
    return LinkSpec(str(text).strip(), rate, delay)


def _rate(text: str, word: str) -> int:
    match = _NUMBER_UNIT.match(word)
    if not match or match.group(2) not in _RATE_UNITS:
        hint = (" (tc's 'bps' means bytes per second; say kbit/mbit/gbit)"
                if word.endswith("bps") else "")
        raise UserError(f"link {text!r}: bad rate {word!r}{hint}; {_HELP}")
    rate = round(float(match.group(1)) * _RATE_UNITS[match.group(2)])
    if rate < MIN_RATE_BIT_S:
        raise UserError(f"link {text!r}: rate {word} is below the {MIN_RATE_BIT_S // 1000} "
                        f"kbit/s a token bucket can shape")
    return rate


def _delay(text: str, word: str) -> float:
    """The delay in the shared duration grammar (`serbench.common.units`), with a unit: a
    bare number is refused, since tc reads one as microseconds and the grammar as seconds."""
    try:
        delay = parse_duration(word, unit_required=True)
    except UserError as exc:
        raise UserError(f"link {text!r}: bad delay: {exc}; {_HELP}") from exc
    if delay > MAX_DELAY_S:
        raise UserError(f"link {text!r}: bad delay {word!r}: a delay above {MAX_DELAY_S:g} s "
                        f"is not a link")
    return delay
