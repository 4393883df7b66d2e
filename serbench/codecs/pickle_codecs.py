"""pickle (the reference), pickle with out-of-band buffers, and cloudpickle.

Every codec here pickles with protocol 5 (`serbench.common.vocabulary.PICKLE_PROTOCOL`): the default
protocol changes between Pythons (4 up to 3.13, 5 from 3.14), so the figures name it.

Timed path (see docs/codecs.md for the measurements behind each choice):
- pickle: `pickle.dumps` itself where its default protocol is 5, else one tiny `def` calling
  `pickle.dumps(obj, 5)` (positional: cheaper than a keyword, and far cheaper than
  `functools.partial(pickle.dumps, protocol=5)`, which copies its keyword dict per call);
- cloudpickle: `cloudpickle.dumps` itself (its documented default is the highest protocol, 5);
- decoders: `pickle.loads` itself; pickle-oob adds its frame, which is what it measures.
"""

from __future__ import annotations

import pickle
import platform
import struct
from collections.abc import Callable
from typing import Any

from serbench.codecs.base import Codec, dist_version, require
from serbench.common.vocabulary import PICKLE_PROTOCOL

PROTOCOL = PICKLE_PROTOCOL

# out-of-band frame header: buffer count, then one length per buffer, then the pickle stream.
_COUNT = struct.Struct("<I")
_LENGTH = struct.Struct("<Q")
#: The whole header of a frame without out-of-band buffers: a zero count, the pickle's length.
_IN_BAND = struct.Struct("<IQ")
#: An in-band-only encoding up to this size is joined into one buffer (as the framing does).
_JOIN_BELOW = 64 * 1024

_dumps = pickle.dumps
_loads = pickle.loads


def _pickle_dumps(obj: Any) -> bytes:
    """`pickle.dumps(obj, 5)` where pickle's own default is not 5 (one Python frame, ~20 ns)."""
    return _dumps(obj, PROTOCOL)


def _pickle_encode() -> tuple[Callable[[Any], bytes], str]:
    """The cheapest call that pickles with protocol 5 here, and how it reads."""
    if pickle.DEFAULT_PROTOCOL == PROTOCOL:
        return pickle.dumps, f"pickle.dumps(obj) (DEFAULT_PROTOCOL is {PROTOCOL})"
    return _pickle_dumps, f"def: pickle.dumps(obj, {PROTOCOL})"


def pickle_codec() -> Codec:
    """The reference codec: `pickle.dumps(obj, 5)` / `pickle.loads(view)`."""
    encode, encode_path = _pickle_encode()
    return Codec(
        name="pickle",
        library="python",
        version=_python_version(),
        options=f"protocol={PROTOCOL}",
        encode=encode,
        decode=pickle.loads,
        call_path=f"{encode_path} / pickle.loads(view)",
        safe_for_untrusted_input=False,
        cross_language=False,
        same_python_only=False,
        human_readable=False,
    )


def _encode_oob(obj: Any) -> bytes | list[bytes | memoryview]:
    buffers: list[pickle.PickleBuffer] = []
    data = _dumps(obj, PROTOCOL, buffer_callback=buffers.append)
    if not buffers and len(data) <= _JOIN_BELOW:
        # Nothing out of band and small: one buffer, so the transport sends one small frame
        # with one syscall instead of scatter/gather of three tiny parts.
        return _IN_BAND.pack(0, len(data)) + data
    raws = [b.raw() for b in buffers]
    header = _COUNT.pack(len(raws)) + b"".join(_LENGTH.pack(r.nbytes) for r in raws)
    return [header, _LENGTH.pack(len(data)), data, *raws]


def _decode_oob(view: memoryview) -> Any:
    count, data_len = _IN_BAND.unpack_from(view, 0)
    if not count:  # no out-of-band buffers: the second field is the pickle's length
        return _loads(view[_IN_BAND.size : _IN_BAND.size + data_len])
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
    return _loads(data, buffers=buffers)


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
            f"def: pickle.dumps(obj, {PROTOCOL}, buffer_callback=list.append) -> "
            "[header, pickle, *raw buffers] (one joined buffer below 64 KiB without any) / "
            "def: pickle.loads(pickle view, buffers=[bytearray copy of each])"
        ),
        safe_for_untrusted_input=False,
        cross_language=False,
        same_python_only=False,
        human_readable=False,
    )


def _cloudpickle_encode(cloudpickle: Any) -> tuple[Callable[[Any], bytes], str]:
    """`cloudpickle.dumps` itself when its default protocol is 5, else a tiny `def`."""
    dumps: Callable[..., bytes] = cloudpickle.dumps
    if cloudpickle.DEFAULT_PROTOCOL == PROTOCOL:
        return dumps, f"cloudpickle.dumps(obj) (DEFAULT_PROTOCOL is {PROTOCOL})"

    def cloudpickle_dumps(obj: Any) -> bytes:
        return dumps(obj, PROTOCOL)

    return cloudpickle_dumps, f"def: cloudpickle.dumps(obj, {PROTOCOL})"


def cloudpickle_codec() -> Codec:
    """cloudpickle: pickles lambdas and interactively defined classes; same Python only."""
    cloudpickle = require("cloudpickle")
    encode, encode_path = _cloudpickle_encode(cloudpickle)
    return Codec(
        name="cloudpickle",
        library="cloudpickle",
        version=dist_version("cloudpickle"),
        options=f"protocol={PROTOCOL}",
        encode=encode,
        decode=cloudpickle.loads,
        call_path=f"{encode_path} / cloudpickle.loads(view) (is pickle.loads)",
        safe_for_untrusted_input=False,
        cross_language=False,
        same_python_only=True,
        human_readable=False,
    )


def _python_version() -> str:
    return f"{platform.python_implementation()} {platform.python_version()}"
