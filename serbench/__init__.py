"""serbench: what each serializer costs on the wire, for your payload shapes.

The public surface is small on purpose: the codec and payload registries and the user-error
type. Names are imported on first use, so a pyperf manager or worker that needs none of them
starts without loading the registries.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "Codec": "serbench.codecs",
    "CodecUnavailable": "serbench.codecs",
    "available_codecs": "serbench.codecs",
    "get_codec": "serbench.codecs",
    "Payload": "serbench.payloads",
    "get_payload": "serbench.payloads",
    "make_payload": "serbench.payloads",
    "UserError": "serbench.common.errors",
}

__all__ = sorted([*_LAZY, "__version__"])


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'serbench' has no attribute {name!r}")
