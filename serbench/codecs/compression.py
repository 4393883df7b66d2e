"""Composable compression: `<codec>+zlib`, `+zstd`, `+lz4` are codecs of their own.

The compressed codec encodes with the inner codec, joins its parts and compresses; it
decompresses into a new buffer and hands the inner decoder a view of it. That composition is
one Python function on each side, the same thin layer for every `<codec>+<compressor>`, around
the compressor's own calls (`zlib.compress`, a reused `ZstdCompressor().compress`,
`lz4.frame.compress` and their decompressors).

Decompression is bounded: a server reachable from another host must hold its memory limit
against a peer that holds the secret, and a few kilobytes of zeros compressed decompress into
gigabytes. Every decompressor stops at `MAX_DECOMPRESSED` bytes (the transport's maximum frame
size, or `serbench serve --max-frame`) and raises `DecompressionLimit`, so a bomb fails its own
frame (the server logs it and closes that connection) and nothing larger is ever allocated.
Each bound is the library's own:
zlib's `decompressobj().decompress(data, max_length)`, zstd's declared content size checked
before `decompress(data, max_output_size=...)`, lz4's declared content size and
`decompress_chunk(..., max_length=...)`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from serbench.codecs.base import (
    Codec,
    CodecUnavailable,
    Described,
    Encoded,
    dist_version,
    joined,
    require,
)
from serbench.common.vocabulary import DEFAULT_MAX_FRAME
from serbench.payloads.shapes.shape import Shape

#: The most bytes one frame may decompress into: the transport's maximum frame size.
MAX_DECOMPRESSED = DEFAULT_MAX_FRAME
_limit = [MAX_DECOMPRESSED]  # read per frame, so `serbench serve --max-frame` applies to all


def limit_decompression(max_bytes: int) -> None:
    """Bound every compressed codec's decompression to `max_bytes` (a server's --max-frame)."""
    _limit[0] = max_bytes


class DecompressionLimit(ValueError):
    """A frame would decompress into more than `MAX_DECOMPRESSED` bytes (a compression bomb)."""


def _over(name: str, limit: int) -> DecompressionLimit:
    return DecompressionLimit(f"the {name} frame decompresses to more than {limit} bytes (the "
                              "maximum frame size): refused")


@dataclass(frozen=True, kw_only=True)
class Compressor(Described):
    """A compressor's two calls, described as a codec is."""

    compress: Callable[[Any], bytes]
    decompress: Callable[[Any], bytes]


def _zlib() -> Compressor:
    import zlib

    decompressobj = zlib.decompressobj

    def decompress(data: Any) -> bytes:
        """zlib.decompress with a ceiling: one byte over the limit means a bomb."""
        limit = _limit[0]
        stream = decompressobj()
        out = stream.decompress(data, limit + 1)
        if len(out) > limit:
            raise _over("zlib", limit)
        if not stream.eof:
            raise zlib.error("incomplete or truncated zlib stream")
        return out

    return Compressor(name="zlib", library="python", version=zlib.ZLIB_RUNTIME_VERSION,
                      options="level 6 (default)", compress=zlib.compress, decompress=decompress)


def _zstd() -> Compressor:
    zstandard = require("zstandard")
    compressor = zstandard.ZstdCompressor(level=3)
    unbounded = zstandard.ZstdDecompressor().decompress
    content_size = zstandard.frame_content_size

    def decompress(data: Any) -> bytes:
        """A frame declaring its size is decompressed into exactly that (refused above the
        limit); one that does not declare it stops at the limit (`max_output_size`)."""
        limit = _limit[0]
        declared = content_size(data)
        if declared > limit:
            raise _over("zstd", limit)
        try:
            out: bytes = unbounded(data, max_output_size=limit)
        except zstandard.ZstdError as exc:
            if declared >= 0:
                raise
            raise DecompressionLimit(f"the zstd frame declares no size and does not decompress "
                                     f"within {limit} bytes (the maximum frame size): {exc}"
                                     ) from exc
        return out

    return Compressor(name="zstd", library="zstandard", version=dist_version("zstandard"),
                      options="level 3 (default)", compress=compressor.compress,
                      decompress=decompress)


def _lz4() -> Compressor:
    frame = require("lz4.frame", "lz4")
    low = frame._frame  # lz4.frame's own C calls: the only ones that take a max_length
    info, context, chunk = low.get_frame_info, low.create_decompression_context, \
        low.decompress_chunk

    def decompress(data: Any) -> bytes:
        """lz4.frame.decompress with a ceiling: at most the declared content size (or the
        limit when none is declared) plus one byte is ever produced."""
        limit = _limit[0]
        declared = info(data)["content_size"] or limit
        if declared > limit:
            raise _over("lz4", limit)
        out, _, done = chunk(context(), data, max_length=declared + 1)
        if len(out) > declared:
            raise _over("lz4", limit) if declared == limit else ValueError(
                f"the lz4 frame decompresses to more than its declared {declared} bytes")
        if not done:
            raise ValueError("incomplete or truncated lz4 frame")
        return out  # type: ignore[no-any-return]

    return Compressor(name="lz4", library="lz4", version=dist_version("lz4"),
                      options="lz4.frame defaults", compress=frame.compress,
                      decompress=decompress)


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

    def _bind_then_compress(obj: Any, shape: Shape) -> Codec:
        """A shape-derived codec is bound first, then composed with the compressor."""
        return compressed(inner.for_payload(obj, shape), compressor_name)

    return replace(
        inner,
        name=f"{inner.name}+{comp.name}",
        options=f"{inner.options}; {comp.name} {comp.options} ({comp.library} {comp.version})",
        encode=encode,
        decode=decode,
        call_path=f"{comp.name}.compress(join({inner.call_path.split(' / ')[0]})) / "
        f"{inner.call_path.split(' / ')[-1]} of {comp.name}.decompress(view) (bounded to the "
        "maximum frame size)",
        human_readable=False,
        specialise=None if inner.specialise is None else _bind_then_compress,
    )

