"""What a run learns about each codec x payload before anything is timed, once per pair:
whether it round-trips (fidelity first), its in-process cost (to choose loops), and its sizes.
"""

from __future__ import annotations

import hashlib
import pickle
import zlib
from dataclasses import dataclass
from pathlib import Path

from serbench.cells.cell import stream_batch
from serbench.codecs import Codec, CodecUnavailable, get_codec, joined
from serbench.common.vocabulary import PICKLE_PROTOCOL, UNSUPPORTED
from serbench.fidelity import roundtrip as fidelity
from serbench.payloads import MadePayload, make_payload
from serbench.runner import budget


@dataclass
class CodecOnPayload:
    """One codec on one payload: fidelity, in-process cost and the sizes of its frames."""

    fidelity: fidelity.Fidelity
    codec: Codec | None
    payload: MadePayload
    cost: budget.CodecCost | None = None
    zlib_bytes: int | None = None
    reference_bytes: int | None = None
    #: The server's reply: it re-encodes what it decoded, so a lossy codec's reply can differ.
    reply_bytes: int | None = None

    @property
    def timed(self) -> bool:
        """Only codecs that round-trip the payload (exactly or lossily) are ever timed."""
        return self.codec is not None and self.fidelity.timed

    def stream_batch(self) -> int:
        """One batch size per payload (from its pickle size), the same for every codec."""
        return stream_batch(self.reference_bytes or self.fidelity.encoded_bytes or 1)


class Prober:
    """Builds each payload once and each `CodecOnPayload` once, outside any timing."""

    def __init__(self) -> None:
        self._payloads: dict[str, MadePayload] = {}
        self._pairs: dict[tuple[str, str], CodecOnPayload] = {}

    def payload(self, spec: str) -> MadePayload:
        """The payload for a spec, made on first use (seeded, so the same in every worker)."""
        if spec not in self._payloads:
            self._payloads[spec] = make_payload(spec)
        return self._payloads[spec]

    def cache_file(self, spec: str, directory: Path) -> Path | None:
        """The payload pickled once for every worker (None when it does not pickle, e.g. a
        user factory's local class: the workers then generate it themselves)."""
        path = directory / f"payload-{hashlib.sha256(spec.encode()).hexdigest()[:16]}.pickle"
        if not path.exists():
            try:
                data = pickle.dumps(self.payload(spec), protocol=pickle.HIGHEST_PROTOCOL)
            except Exception:
                return None
            path.write_bytes(data)
        return path

    def pairs(self) -> dict[tuple[str, str], CodecOnPayload]:
        """Every pair prepared so far, by (codec, payload spec)."""
        return dict(self._pairs)

    def get(self, codec_name: str, spec: str) -> CodecOnPayload:
        """Fidelity, cost and sizes of a codec on a payload (cached)."""
        key = (codec_name, spec)
        if key not in self._pairs:
            self._pairs[key] = self._probe(codec_name, self.payload(spec))
        return self._pairs[key]

    @staticmethod
    def _probe(codec_name: str, made: MadePayload) -> CodecOnPayload:
        reference = len(pickle.dumps(made.obj, protocol=PICKLE_PROTOCOL))
        try:
            codec = get_codec(codec_name)
        except CodecUnavailable as exc:
            result = fidelity.Fidelity(codec_name, made.label, UNSUPPORTED,
                                       f"codec unavailable: {exc}")
            return CodecOnPayload(result, None, made, reference_bytes=reference)
        result, codec = fidelity.check_bound(codec, made)
        prep = CodecOnPayload(result, codec, made, reference_bytes=reference)
        if result.timed:
            obj = codec.prepared(made.obj)
            encoded = joined(codec.encode(obj))
            prep.cost = budget.measure(codec.encode, obj, codec.decode, memoryview(encoded))
            prep.zlib_bytes = len(zlib.compress(encoded))
            try:
                prep.reply_bytes = len(joined(codec.encode(codec.decode(memoryview(encoded)))))
            except Exception:  # what the server echoes is the codec's business, not ours
                prep.reply_bytes = None
        return prep
