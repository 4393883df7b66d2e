"""The codec registry: every codec, built-in or third-party, comes from the `serbench.codecs`
entry-point group (`serbench.common.registry`: one duplicate rule, one failure policy), and a
codec's library is imported only when the codec is built. The entry-point name is the codec's
name: a factory may leave `Codec.name` empty, and one naming its codec otherwise is refused.

A name like `msgpack+zstd` composes a registered codec with a compressor.
"""

from __future__ import annotations

import functools
from dataclasses import replace

from serbench.codecs.base import Codec, CodecUnavailable, encoded_size, joined
from serbench.codecs.compression import COMPRESSORS, compressed
from serbench.common.errors import unknown_name
from serbench.common.registry import Entry, build, scan

#: The entry-point group a plugin registers its codec factories in (`name = "module:factory"`).
GROUP = "serbench.codecs"

#: What the rest of serbench uses from the registry. A plugin imports from `serbench.plugin`.
__all__ = [
    "Codec",
    "CodecUnavailable",
    "check_names",
    "codec_entries",
    "codec_target",
    "encoded_size",
    "get_codec",
    "get_codec_at",
    "joined",
    "known_names",
]


def _build(name: str, target: str) -> Codec:
    """Build the codec registered as `name` from its factory at `target`: everything that goes
    wrong is `CodecUnavailable` with one line (`serbench.common.registry.build`), and a codec
    that leaves its name empty takes the entry point's."""
    codec = build(target, Codec, call=True, failure=CodecUnavailable)
    if not codec.name:
        return replace(codec, name=name)
    if codec.name != name:
        raise CodecUnavailable(f"{target} built a codec named {codec.name!r}, registered as "
                               f"{name!r}")
    return codec


def codec_target(name: str) -> str:
    """Where the codec `name` (or its base, for `a+zstd`) is registered: "module:factory"."""
    check_names([name])
    return codec_entries()[name.partition("+")[0]].target


def get_codec_at(name: str, target: str) -> Codec:
    """Build `name` from its registered target without scanning every installed
    distribution's entry points (tens of ms, paid by every worker process otherwise); the
    run resolved the target with `codec_target` first."""
    base, _, compressor = name.partition("+")
    if compressor and compressor not in COMPRESSORS:
        raise unknown_name("compressor", compressor, list(COMPRESSORS))
    codec = _build(base, target)
    return compressed(codec, compressor) if compressor else codec


@functools.cache
def codec_entries() -> dict[str, Entry]:
    """Every registered codec by name, sorted; two targets claiming one name is an error."""
    return scan(GROUP, "codec")


def known_names() -> list[str]:
    """Registered codec names, sorted."""
    return sorted(codec_entries())


def get_codec(name: str) -> Codec:
    """Build the codec called `name` (e.g. `msgpack` or `msgpack+zstd`).

    Raises `UserError` for a name nobody registered, `CodecUnavailable` when its library is
    missing.
    """
    check_names([name])
    base, _, compressor = name.partition("+")
    codec = _build(base, codec_entries()[base].target)
    return compressed(codec, compressor) if compressor else codec


def available_codecs() -> list[str]:
    """Names of the registered codecs that can be built here."""
    names = []
    for name in known_names():
        try:
            get_codec(name)
        except CodecUnavailable:
            continue
        names.append(name)
    return names


def check_names(names: list[str]) -> None:
    """Raise `UserError` for the first name that is neither registered nor a valid composition."""
    entries = codec_entries()
    for name in names:
        base, _, compressor = name.partition("+")
        if base not in entries:
            raise unknown_name("codec", name, list(entries))
        if compressor and compressor not in COMPRESSORS:
            raise unknown_name("compressor", compressor, list(COMPRESSORS))
