"""The `null` codec: moves an already-encoded blob, so its figures are the transport's own cost."""

from __future__ import annotations

import pickle
from typing import Any

from serbench.codecs.base import Codec
from serbench.codecs.pickle_codecs import PROTOCOL


def _blob_of_reference_size(obj: Any) -> bytes:
    # The reference codec's encoding, made once outside the timed region: same size on the wire.
    return pickle.dumps(obj, protocol=PROTOCOL)


def _identity_encode(blob: Any) -> Any:
    return blob


def _identity_decode(view: memoryview) -> memoryview:
    return view


def null_codec() -> Codec:
    """Transport-only baseline: encode returns the prepared blob, decode returns the view."""
    return Codec(
        name="null",
        library="serbench",
        version="-",
        options=f"ships the pickle (protocol {PROTOCOL}) blob of the payload, prepared untimed",
        encode=_identity_encode,
        decode=_identity_decode,
        call_path="encode returns the prepared blob / decode returns the received memoryview",
        safe_for_untrusted_input=True,
        cross_language=True,
        same_python_only=False,
        human_readable=False,
        prepare=_blob_of_reference_size,
    )
