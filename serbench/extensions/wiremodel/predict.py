"""The wire model: a codec's round trip and stream throughput on a link, as a sum of terms.

Inputs are a codec's in-process costs (`encode_s`, `decode_s`), its frame sizes, the transport's
own cost measured by the `null` codec on loopback (`TransportFloor`), and a `Link`. Every
prediction keeps its terms, so a reader (and `validate`) can see which one carries the time.

Round trip (sequential: nothing overlaps in serbench's request/reply loop)::

    T = 2 x (encode + decode)                       codec CPU: client encode, server decode,
                                                    server encode, client decode
      + R                                           propagation
      + 8 x (wire(request) + wire(reply)) / B       serialization on the link
      + null round trip at the smallest frame       transport fixed (syscalls, wake-ups)
      + null(request, reply) - that fixed part      transport per byte (kernel copies)

Stream (a pipeline closed by an acknowledgement every `n` frames)::

    stages   = [encode + decode + transport CPU, 8 x wire/B]          client and server share
                                                                      one core (pin `same`)
             | [encode + transport CPU/2, 8 x wire/B, decode + transport CPU/2]  (otherwise)
    T/msg    = max(stages) + (R + 8 x wire(ack)/B + sum(stages) - max(stages)) / n
    msgs/s   = 1 / T/msg

where `wire(n)` is `Framing.frame_bytes` (prefix plus per-segment headers), B the link's
effective rate (window/R when a window bounds it) and `n = bench.cell.stream_batch(bytes)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from serbench.extensions.wiremodel.link import Framing, Link
from serbench.report.transport_cost import cost_at, round_trip_cost

CODEC = "codec CPU"
PROPAGATION = "propagation"
SERIALIZATION = "serialization"
TRANSPORT_FIXED = "transport fixed"
TRANSPORT_BYTES = "transport per byte"
LINK = "link transmission"
TRANSPORT_CPU = "transport CPU"
ACK = "batch ack"
FILL = "pipeline fill"


@dataclass(frozen=True)
class CodecCosts:
    """What one codec costs on one payload, measured in process, and its frame sizes."""

    encode_s: float
    decode_s: float
    request_bytes: int
    reply_bytes: int


@dataclass(frozen=True)
class TransportFloor:
    """The transport's own cost from `null` cells on loopback: (frame bytes, seconds) points
    of the round trip and of the stream (per message), as `transport_cost.floor_points`."""

    roundtrip: tuple[tuple[int, float], ...] = ()
    stream: tuple[tuple[int, float], ...] = ()

    @property
    def fixed_s(self) -> float:
        """The per-message fixed cost: the null round trip at the smallest measured frame."""
        return self.roundtrip[0][1] if self.roundtrip else 0.0

    def roundtrip_bytes_s(self, request: int, reply: int) -> float:
        """What the transport adds above its fixed cost for frames of these sizes."""
        cost = round_trip_cost(list(self.roundtrip), request, reply)
        return max(0.0, cost.seconds - self.fixed_s) if cost else 0.0

    def stream_s(self, size: int) -> float:
        """The transport's CPU time per streamed message of `size` bytes."""
        cost = cost_at(list(self.stream), size)
        return cost.seconds if cost else 0.0


@dataclass(frozen=True)
class Term:
    """One named part of a prediction (seconds)."""

    name: str
    seconds: float


@dataclass(frozen=True)
class Prediction:
    """A predicted time (per round trip, or per streamed message) and its terms."""

    seconds: float
    terms: tuple[Term, ...]
    #: Stream only: the pipeline stage that sets the pace, and the frames per batch.
    bottleneck: str = ""
    batch: int = 0
    #: Stream only: stages that do not set the pace (seconds per message), for the record.
    hidden: tuple[Term, ...] = field(default=())

    @property
    def msgs_per_s(self) -> float:
        """Messages (or round trips) per second."""
        return 1.0 / self.seconds if self.seconds > 0 else float("inf")

    def term(self, name: str) -> float:
        """The seconds of the term `name` (0 when the prediction has no such term)."""
        return sum(t.seconds for t in self.terms if t.name == name)


def predict_roundtrip(costs: CodecCosts, link: Link, floor: TransportFloor,
                      framing: Framing | None = None) -> Prediction:
    """One request/reply round trip of this codec over `link` (see the module's formula)."""
    framing = framing or Framing()
    serialization = (link.transmit_s(framing.frame_bytes(costs.request_bytes), burst=True)
                     + link.transmit_s(framing.frame_bytes(costs.reply_bytes), burst=True))
    terms = (
        Term(CODEC, 2 * (costs.encode_s + costs.decode_s)),
        Term(PROPAGATION, link.rtt_s),
        Term(SERIALIZATION, serialization),
        Term(TRANSPORT_FIXED, floor.fixed_s),
        Term(TRANSPORT_BYTES, floor.roundtrip_bytes_s(costs.request_bytes, costs.reply_bytes)),
    )
    return Prediction(sum(t.seconds for t in terms), terms)


def predict_stream(costs: CodecCosts, link: Link, floor: TransportFloor, batch: int, *,
                   shared_core: bool, framing: Framing | None = None) -> Prediction:
    """One streamed message of this codec over `link`, `batch` frames per acknowledgement;
    `shared_core`: client and server run on one CPU (their work adds up, not overlaps)."""
    framing = framing or Framing()
    batch = max(1, batch)
    wire = link.transmit_s(framing.frame_bytes(costs.request_bytes))
    transport = floor.stream_s(costs.request_bytes)
    # Each stage: (name, its codec part, its transport part, its link part).
    stages: list[tuple[str, float, float, float]]
    if shared_core:
        stages = [("client+server CPU", costs.encode_s + costs.decode_s, transport, 0.0)]
    else:
        stages = [("client CPU", costs.encode_s, transport / 2, 0.0),
                  ("server CPU", costs.decode_s, transport / 2, 0.0)]
    stages.append(("link", 0.0, 0.0, wire))
    totals = [codec + cpu + tx for _, codec, cpu, tx in stages]
    slowest = max(range(len(stages)), key=totals.__getitem__)
    name, codec, cpu, tx = stages[slowest]
    ack = link.rtt_s + link.transmit_s(framing.ack_bytes())
    fill = sum(totals) - totals[slowest]
    terms = tuple(t for t in (Term(CODEC, codec), Term(TRANSPORT_CPU, cpu), Term(LINK, tx),
                              Term(ACK, ack / batch), Term(FILL, fill / batch))
                  if t.seconds > 0 or t.name in (CODEC, ACK))
    hidden = tuple(Term(n, total) for (n, *_), total in zip(stages, totals, strict=True)
                   if n != name)
    return Prediction(sum(t.seconds for t in terms), terms, name, batch, hidden)


def anchored_roundtrip(loopback_s: float, costs: CodecCosts, link: Link,
                       framing: Framing | None = None) -> float:
    """The codec's measured loopback round trip plus the link's terms (R and serialization):
    the model with its CPU and transport terms replaced by the measurement they stand for, so
    a validation can tell errors of the link terms from those of the in-process figures."""
    framing = framing or Framing()
    return (loopback_s + link.rtt_s
            + link.transmit_s(framing.frame_bytes(costs.request_bytes), burst=True)
            + link.transmit_s(framing.frame_bytes(costs.reply_bytes), burst=True))


def anchored_stream(loopback_s: float, costs: CodecCosts, link: Link, batch: int,
                    framing: Framing | None = None) -> float:
    """Seconds per streamed message from the codec's measured loopback stream (all CPU work,
    one stage) and the link: the slower of the two, plus R, the ack and the other stage's one
    message per batch."""
    framing = framing or Framing()
    batch = max(1, batch)
    wire = link.transmit_s(framing.frame_bytes(costs.request_bytes))
    ack = link.rtt_s + link.transmit_s(framing.ack_bytes())
    return max(loopback_s, wire) + (ack + min(loopback_s, wire)) / batch
