"""The wire model: a codec's round trip and stream throughput on a link of bandwidth B and
round-trip time R, predicted from its in-process costs, its frame sizes and the transport's
own cost (the `null` codec on loopback), validated against runs over a shaped link
(`serbench wiremodel validate`) and charted as the codec that wins at each B x R
(`serbench wiremodel chart`). See docs/wiremodel.md."""

from serbench.extensions.wiremodel.link import LOOPBACK, Framing, Link, link_from_environment
from serbench.extensions.wiremodel.predict import (
    CodecCosts,
    Prediction,
    Term,
    TransportFloor,
    predict_roundtrip,
    predict_stream,
)

__all__ = ["LOOPBACK", "CodecCosts", "Framing", "Link", "Prediction", "Term", "TransportFloor",
           "link_from_environment", "predict_roundtrip", "predict_stream"]
