"""The payload a run pickles once for its workers and servers, read back in each of them:
generating a large seeded payload in every worker costs tens of ms each."""

from __future__ import annotations

import pickle
from typing import Any

from serbench.payloads import make_payload
from serbench.payloads.payload import MadePayload

__all__ = ["cached_payload", "made_payload"]


def cached_payload(path: str | None, spec: str) -> Any:
    """The payload `serbench run` pickled for its workers, or None (no cache, or another
    payload's): generating a large seeded payload in every worker costs tens of ms each."""
    if not path:
        return None
    try:
        with open(path, "rb") as handle:
            made = pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None
    return made if getattr(made, "spec", None) == spec else None


def made_payload(spec: str, cache: str | None) -> MadePayload:
    """The payload `spec`: from the run's cache when it holds it, else generated here."""
    made = cached_payload(cache, spec)
    return made if isinstance(made, MadePayload) else make_payload(spec)
