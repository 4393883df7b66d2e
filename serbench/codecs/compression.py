"""Composable compression: `<codec>+zlib`, `+zstd`, `+lz4` are codecs of their own.

The compressed codec encodes with the inner codec, joins its parts and compresses; it
decompresses into a new buffer and hands the inner decoder a view of it. That composition is
one Python function on each side, the same thin layer for every `<codec>+<compressor>`, around
the compressor's own calls (`zlib.compress`, a reused `ZstdCompressor().compress`,
`lz4.frame.compress` and their decompressors).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from serbench.codecs.base import Codec, CodecUnavailable, Encoded, dist_version, joined, require


@dataclass(frozen=True)
class Compressor:
    """A compressor's two calls and how to describe them."""

    name: str
    library: str
    version: str
    options: str
    compress: Callable[[Any], bytes]
    decompress: Callable[[Any], bytes]


def _zlib() -> Compressor:
    import zlib

    return Compressor(
        "zlib", "python", zlib.ZLIB_RUNTIME_VERSION, "level 6 (default)",
        zlib.compress, zlib.decompress,
    )


def _zstd() -> Compressor:
    zstandard = require("zstandard")
    compressor = zstandard.ZstdCompressor(level=3)
    decompressor = zstandard.ZstdDecompressor()
    return Compressor(
        "zstd", "zstandard", dist_version("zstandard"), "level 3 (default)",
        compressor.compress, decompressor.decompress,
    )


def _lz4() -> Compressor:
    frame = require("lz4.frame", "lz4")
    return Compressor(
        "lz4", "lz4", dist_version("lz4"), "lz4.frame defaults",
        frame.compress, frame.decompress,
    )


COMPRESSORS: dict[str, Callable[[], Compressor]] = {"zlib": _zlib, "zstd": _zstd, "lz4": _lz4}


def compressor_status() -> dict[str, str | None]:
    """Each compressor's name and why it is unavailable (None when it is available)."""
    status: dict[str, str | None] = {}
    for name, factory in COMPRESSORS.items():
        try:
            factory()
            status[name] = None
        except CodecUnavailable as exc:
            status[name] = str(exc)
    return status


def compressed(inner: Codec, compressor_name: str) -> Codec:
    """`inner` followed by a compressor, under the name `inner+compressor`."""
    comp = COMPRESSORS[compressor_name]()
    inner_encode, inner_decode = inner.encode, inner.decode
    compress, decompress = comp.compress, comp.decompress

    def encode(obj: Any) -> Encoded:
        return compress(joined(inner_encode(obj)))

    def decode(view: memoryview) -> Any:
        return inner_decode(memoryview(decompress(view)))

    return replace(
        inner,
        name=f"{inner.name}+{comp.name}",
        options=f"{inner.options}; {comp.name} {comp.options} ({comp.library} {comp.version})",
        encode=encode,
        decode=decode,
        call_path=f"{comp.name}.compress(join({inner.call_path.split(' / ')[0]})) / "
        f"{inner.call_path.split(' / ')[-1]} of {comp.name}.decompress(view)",
        human_readable=False,
    )
