"""The codecs a `serbench serve` process may decode with, built on first use by name.

A client on another host names its codec (and, for a codec derived from the payload's shape,
the payload spec) per connection (`protocol.select_frame`); the server builds that codec once,
binds it to the payload if it must, and keeps it for the next connection. Only the codecs the
operator listed (`serve --codec a,b` or `all`) are served: a client holding the secret cannot
turn a msgpack server into a pickle one.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from serbench.codecs import Codec, get_codec
from serbench.codecs.bind import bound_codec
from serbench.payloads.cache import made_payload


class CodecRefused(Exception):
    """This server will not decode with the codec a client named; the message says why."""


class CodecCatalogue:
    """Codecs by (name, payload spec), limited to `allowed` (None: every available codec)."""

    def __init__(self, allowed: Iterable[str] | None) -> None:
        self.allowed = None if allowed is None else frozenset(allowed)
        self._built: dict[tuple[str, str | None], Codec] = {}
        self._lock = threading.Lock()

    def __call__(self, name: str, payload: str | None) -> Codec:
        """The codec `name` (bound to `payload` when it is shape-derived); `CodecRefused`."""
        if self.allowed is not None and name not in self.allowed:
            raise CodecRefused(f"this server serves {', '.join(sorted(self.allowed))}, not "
                               f"{name} (start it with --codec all, or list {name})")
        with self._lock:  # one build per codec and payload, even for concurrent connections
            key = (name, payload)
            if key not in self._built:
                self._built[key] = self._build(name, payload)
            return self._built[key]

    @staticmethod
    def _build(name: str, payload: str | None) -> Codec:
        try:
            codec = get_codec(name)
        except Exception as exc:
            raise CodecRefused(f"codec {name!r} is unavailable here: {exc}") from exc
        if codec.specialise is None:
            return codec
        if payload is None:
            raise CodecRefused(f"codec {name} is derived from the payload's shape: name the "
                               "payload spec too")

        try:
            return bound_codec(codec, made_payload(payload, None))
        except Exception as exc:
            raise CodecRefused(f"codec {name} on payload {payload}: {exc}") from exc
