"""The codec registry: every codec, built-in or third-party, comes from the `serbench.codecs`
entry-point group, and a codec's library is imported only when the codec is built.

A name like `msgpack+zstd` composes a registered codec with a compressor.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from serbench.codecs.base import (
    Codec,
    CodecUnavailable,
    Encoded,
    ShapeUnsupported,
    dist_version,
    encoded_size,
    joined,
    parts,
    require,
)
from serbench.codecs.compression import COMPRESSORS, compressed
from serbench.common.errors import UserError, unknown_name

#: The entry-point group a plugin registers its codec factories in (`name = "module:factory"`).
GROUP = "serbench.codecs"

#: The public API: what a plugin author builds a codec with (`Codec`, `CodecUnavailable`,
#: `require`, `dist_version`, the encoded-form helpers, `GROUP`) and the registry it joins.
__all__ = [
    "GROUP",
    "Codec",
    "CodecEntry",
    "CodecUnavailable",
    "Encoded",
    "ShapeUnsupported",
    "available_codecs",
    "check_names",
    "codec_entries",
    "codec_target",
    "dist_version",
    "encoded_size",
    "get_codec",
    "get_codec_at",
    "joined",
    "known_names",
    "parts",
    "require",
]


@dataclass(frozen=True)
class CodecEntry:
    """One registered codec name: where it comes from and how to build it."""

    name: str
    distribution: str
    target: str
    entry_point: importlib.metadata.EntryPoint

    def build(self) -> Codec:
        """Build the codec, turning any import failure into `CodecUnavailable` with a reason."""
        return _build(self.name, self.target, self.entry_point.load)


def _build(name: str, target: str, load: Callable[[], Callable[[], Any]]) -> Codec:
    try:
        codec = load()()
    except CodecUnavailable:
        raise
    except (ImportError, AttributeError) as exc:
        raise CodecUnavailable(f"cannot import {target}: {exc}") from exc
    if not isinstance(codec, Codec):
        raise CodecUnavailable(f"{target} returned {type(codec).__name__}, not a Codec")
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
    module, _, attr = target.partition(":")

    def load() -> Callable[[], Any]:
        found: Any = importlib.import_module(module)
        for part in attr.split("."):
            found = getattr(found, part)
        return found  # type: ignore[no-any-return]

    base, _, compressor = name.partition("+")
    if compressor and compressor not in COMPRESSORS:
        raise unknown_name("compressor", compressor, list(COMPRESSORS))
    codec = _build(base, target, load)
    return compressed(codec, compressor) if compressor else codec


@functools.cache
def codec_entries() -> dict[str, CodecEntry]:
    """Every registered codec by name; two distributions claiming one name is an error."""
    entries: dict[str, CodecEntry] = {}
    for ep in importlib.metadata.entry_points(group=GROUP):
        dist = ep.dist.name if ep.dist is not None else "unknown distribution"
        entry = CodecEntry(ep.name, dist, ep.value, ep)
        if ep.name in entries:
            if entries[ep.name].target == ep.value:
                continue  # one distribution seen twice on sys.path (editable + built)
            first = entries[ep.name]
            raise UserError(
                f"codec name {ep.name!r} is registered twice: by {first.distribution} "
                f"({first.target}) and by {dist} ({ep.value})"
            )
        entries[ep.name] = entry
    return entries


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
    codec = codec_entries()[base].build()
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
