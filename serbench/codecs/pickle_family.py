"""pickle (the reference), pickle with out-of-band buffers, and cloudpickle.

Every codec here uses protocol 5 explicitly: the default protocol changes between Pythons.
"""

from __future__ import annotations

import pickle
import struct
from typing import Any

from serbench.codecs.base import Codec, dist_version, require

PROTOCOL = 5

# out-of-band frame header: buffer count, then one length per buffer, then the pickle stream.
_COUNT = struct.Struct("<I")
_LENGTH = struct.Struct("<Q")
_NO_BUFFERS = _COUNT.pack(0)
#: An in-band-only encoding up to this size is joined into one buffer (as the framing does).
_JOIN_BELOW = 64 * 1024


def _pickle_dumps(obj: Any) -> bytes:
    # A plain function, not functools.partial: a partial with keywords copies its keyword
    # dict on every call (~130 ns), a cost the other codecs' C entry points do not pay.
    return pickle.dumps(obj, protocol=PROTOCOL)


def pickle_codec() -> Codec:
    """The reference codec: `pickle.dumps(obj, protocol=5)` / `pickle.loads(view)`."""
    return Codec(
        name="pickle",
        library="python",
        version=_python_version(),
        options=f"protocol={PROTOCOL}",
        encode=_pickle_dumps,
        decode=pickle.loads,
        call_path=f"pickle.dumps(obj, protocol={PROTOCOL}) / pickle.loads(view)",
        safe_for_untrusted_input=False,
        cross_language=False,
        same_python_only=False,
        human_readable=False,
    )


def _encode_oob(obj: Any) -> bytes | list[bytes | memoryview]:
    buffers: list[pickle.PickleBuffer] = []
    data = pickle.dumps(obj, protocol=PROTOCOL, buffer_callback=buffers.append)
    if not buffers and len(data) <= _JOIN_BELOW:
        # Nothing out of band and small: one buffer, so the transport sends one small frame
        # with one syscall instead of scatter/gather of three tiny parts.
        return _NO_BUFFERS + _LENGTH.pack(len(data)) + data
    raws = [b.raw() for b in buffers]
    header = _COUNT.pack(len(raws)) + b"".join(_LENGTH.pack(r.nbytes) for r in raws)
    return [header, _LENGTH.pack(len(data)), data, *raws]


def _decode_oob(view: memoryview) -> Any:
    (count,) = _COUNT.unpack_from(view, 0)
    offset = _COUNT.size
    lengths = [_LENGTH.unpack_from(view, offset + i * _LENGTH.size)[0] for i in range(count)]
    offset += count * _LENGTH.size
    (data_len,) = _LENGTH.unpack_from(view, offset)
    offset += _LENGTH.size
    data = view[offset : offset + data_len]
    offset += data_len
    buffers = []
    for length in lengths:
        if offset + length > len(view):
            raise ValueError("out-of-band frame is shorter than its header says")
        # Copy: the receive buffer is reused for the next frame, and the decoded arrays would
        # otherwise alias it.
        buffers.append(bytearray(view[offset : offset + length]))
        offset += length
    return pickle.loads(data, buffers=buffers)


def pickle_oob_codec() -> Codec:
    """pickle protocol 5 with out-of-band buffers: large arrays travel without a pickle copy."""
    return Codec(
        name="pickle-oob",
        library="python",
        version=_python_version(),
        options=f"protocol={PROTOCOL}, buffer_callback (out-of-band buffers sent with sendmsg)",
        encode=_encode_oob,
        decode=_decode_oob,
        call_path=(
            f"pickle.dumps(obj, protocol={PROTOCOL}, buffer_callback=list.append) -> "
            "[header, pickle, *raw buffers] (one joined buffer below 64 KiB without any) / "
            "pickle.loads(view, buffers=[bytearray copy of each])"
        ),
        safe_for_untrusted_input=False,
        cross_language=False,
        same_python_only=False,
        human_readable=False,
    )


def cloudpickle_codec() -> Codec:
    """cloudpickle: pickles lambdas and interactively defined classes; same Python only."""
    cloudpickle = require("cloudpickle")
    dumps = cloudpickle.dumps

    def cloudpickle_dumps(obj: Any) -> bytes:
        data: bytes = dumps(obj, protocol=PROTOCOL)
        return data

    return Codec(
        name="cloudpickle",
        library="cloudpickle",
        version=dist_version("cloudpickle"),
        options=f"protocol={PROTOCOL}",
        encode=cloudpickle_dumps,
        decode=pickle.loads,
        call_path=f"cloudpickle.dumps(obj, protocol={PROTOCOL}) / pickle.loads(view)",
        safe_for_untrusted_input=False,
        cross_language=False,
        same_python_only=True,
        human_readable=False,
    )


def _python_version() -> str:
    import platform

    return f"{platform.python_implementation()} {platform.python_version()}"
