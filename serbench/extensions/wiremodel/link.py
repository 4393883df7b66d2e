"""A network link as the wire model sees it, and what a frame costs on it.

A link is a bandwidth B (bit/s on the wire, what `tc tbf` enforces; None: unlimited) and a
round-trip time R (s). A frame of n encoded bytes is sent as serbench's 4-byte length prefix
plus the bytes, cut into TCP segments of at most `mss` bytes, each with its Ethernet, IPv4
and TCP headers (with the timestamp option). `tbf` counts a packet as its length from the
Ethernet header on (the preamble and gap of a physical wire are not counted), so those header
bytes are what the shaper charges for.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from serbench.transport.link.topology import tbf_burst_bytes

#: serbench's frame header (`transport.framing.HEADER`): a 4-byte length.
PREFIX_BYTES = 4
#: Ethernet 14 + IPv4 20 + TCP 20 + the timestamp option 12 bytes, per segment.
HEADER_BYTES = 66
#: The payload of a full segment at a 1500-byte MTU: 1500 - 20 (IP) - 20 (TCP) - 12 (options).
MSS_BYTES = 1448
#: A stream acknowledgement: 4 bytes (`protocol.ACK`) in one segment of its own.
ACK_BYTES = 4


@dataclass(frozen=True)
class Framing:
    """How many bytes a frame occupies on the wire: prefix, segments and their headers."""

    prefix_bytes: int = PREFIX_BYTES
    header_bytes: int = HEADER_BYTES
    mss_bytes: int = MSS_BYTES

    def segments(self, stream_bytes: int) -> int:
        """TCP segments needed for this many bytes of the byte stream (at least one)."""
        return max(1, math.ceil(stream_bytes / self.mss_bytes))

    def frame_bytes(self, payload_bytes: int) -> int:
        """Bytes on the wire for one frame of `payload_bytes`: prefix plus segment headers."""
        stream = payload_bytes + self.prefix_bytes
        return stream + self.segments(stream) * self.header_bytes

    def ack_bytes(self) -> int:
        """Bytes on the wire for one stream acknowledgement (no length prefix)."""
        return ACK_BYTES + self.header_bytes

    @property
    def efficiency(self) -> float:
        """Goodput over wire rate for full segments: what iperf3 reports of a shaped rate."""
        return self.mss_bytes / (self.mss_bytes + self.header_bytes)


@dataclass(frozen=True)
class Link:
    """A single TCP flow's path: wire rate, round-trip time, and optional limits.

    `window_bytes` bounds the flow to window/R (a receive window smaller than the
    bandwidth-delay product); `burst_bytes` is `tbf`'s bucket, which lets that many bytes
    pass at once after an idle gap (a round trip's request starts with a full bucket).
    """

    rate_bit_s: float | None
    rtt_s: float
    window_bytes: float | None = None
    burst_bytes: float = 0.0
    spec: str = ""
    #: Where each figure came from (`measured`, `configured`, ...), for the output.
    rate_source: str = ""
    rtt_source: str = ""

    @property
    def effective_rate_bit_s(self) -> float | None:
        """The rate one flow can reach: B, or window/R when the window is the smaller."""
        rate = self.rate_bit_s
        if self.window_bytes and self.rtt_s > 0:
            windowed = 8 * self.window_bytes / self.rtt_s
            rate = windowed if rate is None else min(rate, windowed)
        return rate

    def transmit_s(self, wire_bytes: float, burst: bool = False) -> float:
        """Seconds to put `wire_bytes` on the link (0 when unlimited); with `burst`, the
        first `burst_bytes` pass at once (a full `tbf` bucket)."""
        rate = self.effective_rate_bit_s
        if rate is None:
            return 0.0
        charged = max(0.0, wire_bytes - self.burst_bytes) if burst else wire_bytes
        return 8 * charged / rate


LOOPBACK = Link(rate_bit_s=None, rtt_s=0.0, spec="loopback")


def link_from_environment(environment: dict[str, Any], *, prefer_measured: bool = True,
                          framing: Framing | None = None) -> Link | None:
    """The link a run was measured over, from environment.json's `link`; None on loopback.

    Read defensively: the rate is `measured.throughput_bit_s` when present (TCP goodput, as
    iperf3 reports it, turned back into a wire rate by the header share), else `rate_bit_s`
    (null: unlimited); the RTT is `measured.rtt_s`, else `rtt_s`, else twice `delay_s` (a
    delay applied in each direction). `prefer_measured=False` uses the configured figures.
    """
    link = environment.get("link")
    if not isinstance(link, dict):
        return None
    framing = framing or Framing()
    measured = link.get("measured")
    measured = measured if isinstance(measured, dict) and prefer_measured else {}
    rate, rate_source = _positive(measured.get("throughput_bit_s")), "measured"
    if rate is not None:
        rate /= framing.efficiency
    else:
        rate, rate_source = _positive(link.get("rate_bit_s")), "configured"
    if rate is None:
        rate_source = "unlimited"
    rtt, rtt_source = _non_negative(measured.get("rtt_s")), "measured"
    if rtt is None:
        rtt, rtt_source = _non_negative(link.get("rtt_s")), "configured"
    if rtt is None:
        delay = _non_negative(link.get("delay_s"))
        rtt, rtt_source = (2 * delay, "2 x delay_s") if delay is not None else (0.0, "none")
    return Link(rate_bit_s=rate, rtt_s=rtt, window_bytes=_positive(link.get("window_bytes")),
                burst_bytes=_burst_bytes(link),
                spec=str(link.get("spec") or ""), rate_source=rate_source,
                rtt_source=rtt_source)


def _burst_bytes(link: dict[str, Any]) -> float:
    """tbf's bucket: as recorded, else (runs before it was recorded) what serbench's link
    configures for the rate; 0 for a link serbench did not build."""
    recorded = _non_negative(link.get("burst_bytes"))
    if recorded is not None:
        return recorded
    rate = _positive(link.get("rate_bit_s"))
    if link.get("built") and rate is not None:

        return float(tbf_burst_bytes(rate))
    return 0.0


def _non_negative(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) and number >= 0 else None


def _positive(value: Any) -> float | None:
    number = _non_negative(value)
    return number if number else None
