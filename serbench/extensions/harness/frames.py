"""Payload factories whose `null`-codec frame has an exact size, so raw and serbench frames
carry the same bytes (used as `serbench.extensions.harness.frames:frame_64`, a payload factory
spec)."""

from __future__ import annotations

import pickle

from serbench.codecs.pickle_codecs import PROTOCOL


def bytes_with_pickle_size(target: int) -> bytes:
    """A bytes value whose protocol-5 pickle (what `null` ships) is exactly `target` bytes."""
    for n in range(max(0, target - 32), target):
        value = b"\x5a" * n
        if len(pickle.dumps(value, protocol=PROTOCOL)) == target:
            return value
    raise ValueError(f"no bytes value pickles to exactly {target} bytes")


def frame_64() -> bytes:
    """64-byte frames: a small-message round trip."""
    return bytes_with_pickle_size(64)


def frame_1m() -> bytes:
    """1 MiB frames: a bulk transfer."""
    return bytes_with_pickle_size(2**20)


#: The payload factory of each frame size (what a peer or server binds serbench's codec to).
FRAME_FACTORIES = {64: "serbench.extensions.harness.frames:frame_64",
                   2**20: "serbench.extensions.harness.frames:frame_1m"}
