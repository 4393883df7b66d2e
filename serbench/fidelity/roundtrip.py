"""Round-trip classification of a codec on a payload, done before anything is timed.

- `exact`: the decoded object equals the original, with the same types all the way down;
- `lossy`: equal after a documented normalisation, with the list of what was lost
  (tuple→list, set→list, non-str keys→str, bytes→str, datetime→str, dataclass→dict, …);
- `unsupported`: the encoder (or the decoder, on the codec's own output) refuses; its message;
- `wrong`: it decodes to something else.

Only `exact` and `lossy` cells are timed; the report shows the class beside every figure.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import math
import reprlib
from dataclasses import dataclass, field
from typing import Any

from serbench.codecs.base import Codec, encoded_size, joined
from serbench.codecs.bind import bound_codec
from serbench.common.vocabulary import EXACT, LOSSY, TIMED_CLASSES, UNSUPPORTED, WRONG
from serbench.payloads.payload import MadePayload
from serbench.payloads.shapes.shape import ShapeUnsupported

__all__ = ["EXACT", "LOSSY", "TIMED_CLASSES", "UNSUPPORTED", "WRONG", "Fidelity", "check",
           "check_bound"]
_OBJECT_EQ: Any = object.__eq__


@dataclass(frozen=True)
class Fidelity:
    """The outcome of one round trip."""

    codec: str
    payload: str
    status: str
    detail: str = ""
    losses: tuple[str, ...] = ()
    encoded_bytes: int | None = None

    @property
    def timed(self) -> bool:
        """Whether this cell may be timed and ranked."""
        return self.status in TIMED_CLASSES


@dataclass
class _Walk:
    losses: set[str] = field(default_factory=set)
    first_difference: str = ""

    def differ(self, path: str, why: str) -> bool:
        if not self.first_difference:
            self.first_difference = f"at {_clip(path) or 'top level'}: {why}"
        return False


def check(codec: Codec, payload_label: str, obj: Any) -> Fidelity:
    """Round-trip `obj` through `codec` once and classify the result."""
    try:
        original = codec.prepared(obj)  # the null codec pickles here: a refusal is data too
        encoded = codec.encode(original)
        size = encoded_size(encoded)
    except Exception as exc:  # any refusal by a codec is data, not a crash
        return Fidelity(codec.name, payload_label, UNSUPPORTED, f"encode: {_message(exc)}")
    try:
        decoded = codec.decode(memoryview(joined(encoded)))
    except Exception as exc:
        return Fidelity(codec.name, payload_label, UNSUPPORTED,
                        f"decode of its own output: {_message(exc)}", encoded_bytes=size)
    walk = _Walk()
    if not _same(original, decoded, "", walk):
        return Fidelity(codec.name, payload_label, WRONG, walk.first_difference,
                        encoded_bytes=size)
    if walk.losses:
        losses = tuple(sorted(walk.losses))
        return Fidelity(codec.name, payload_label, LOSSY, ", ".join(losses), losses, size)
    return Fidelity(codec.name, payload_label, EXACT, encoded_bytes=size)


def check_bound(codec: Codec, made: MadePayload) -> tuple[Fidelity, Codec]:
    """Bind `codec` to the payload (a schema or typed codec derives its schema from the
    payload's shape), then `check` it; also return the bound codec, which is what is timed.

    A shape no schema states, or a schema the library refuses to build, is `unsupported`
    with the reason.
    """
    try:
        bound = bound_codec(codec, made)
    except ShapeUnsupported as exc:
        return Fidelity(codec.name, made.label, UNSUPPORTED, f"shape: {_clip(str(exc))}"), codec
    except Exception as exc:  # a library refusing the derived schema is data too
        return Fidelity(codec.name, made.label, UNSUPPORTED,
                        f"schema: {_message(exc)}"), codec
    return check(bound, made.label, made.obj), bound


def _message(exc: BaseException) -> str:
    """The exception's type and the first line of its message, of which at most `QUOTE`
    characters: some libraries quote the whole object they refused."""
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {_clip(text)}"


def _same(a: Any, b: Any, path: str, walk: _Walk) -> bool:
    """Compare original `a` with decoded `b`, noting each normalisation that made them equal."""
    if _is_ndarray(a):
        return _same_array(a, b, path, walk)
    if type(a) is type(b):
        return _same_type(a, b, path, walk)
    if isinstance(a, bytes) and isinstance(b, memoryview):
        # The null codec hands back the received view of the same bytes: no conversion.
        return a == b or walk.differ(path, "bytes differ")
    if isinstance(a, tuple) and isinstance(b, list):
        walk.losses.add("tuple→list")
        return _same_sequence(a, b, path, walk)
    if isinstance(a, set | frozenset) and isinstance(b, list | tuple):
        walk.losses.add(f"{type(a).__name__}→{type(b).__name__}")
        return _same_set(a, b, path, walk)
    if isinstance(a, bytes) and isinstance(b, str):
        walk.losses.add("bytes→str")
        ok = b in (base64.b64encode(a).decode(), a.decode("latin-1"))
        return ok or walk.differ(path, "bytes came back as an unrelated str")
    if isinstance(a, bytes) and isinstance(b, bytearray | memoryview):
        walk.losses.add(f"bytes→{type(b).__name__}")
        return bytes(b) == a or walk.differ(path, "bytes differ")
    if isinstance(a, dt.datetime | dt.date | dt.time) and isinstance(b, str):
        walk.losses.add(f"{type(a).__name__}→str")
        return _same_iso(a, b) or walk.differ(path, f"{_short(a)} came back as {_short(b)}")
    if dataclasses.is_dataclass(a) and not isinstance(a, type) and isinstance(b, dict):
        walk.losses.add("dataclass→dict")
        fields = {f.name: getattr(a, f.name) for f in dataclasses.fields(a)}
        return _same_dict(fields, b, path, walk)
    if isinstance(a, float) and not math.isfinite(a) and b is None:
        walk.losses.add("NaN/inf→null")
        return True
    if isinstance(a, bool) or isinstance(b, bool):
        return walk.differ(path, f"{type(a).__name__} came back as {type(b).__name__}")
    if isinstance(a, int) and isinstance(b, float):
        walk.losses.add("int→float")
        return a == b or walk.differ(path, f"{_short(a)} came back as {_short(b)}")
    if isinstance(a, dict) and isinstance(b, dict):
        return _same_dict(a, b, path, walk)
    if isinstance(a, list) and isinstance(b, list):
        return _same_sequence(a, b, path, walk)
    return walk.differ(path, f"{type(a).__name__} came back as {type(b).__name__}")


def _same_type(a: Any, b: Any, path: str, walk: _Walk) -> bool:
    if isinstance(a, dict):
        return _same_dict(a, b, path, walk)
    if isinstance(a, list | tuple):
        return _same_sequence(a, b, path, walk)
    if isinstance(a, float):
        return a == b or (math.isnan(a) and math.isnan(b)) or walk.differ(
            path, f"{_short(a)} != {_short(b)}")
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        return all(
            _same(getattr(a, f.name), getattr(b, f.name), f"{path}.{f.name}", walk)
            for f in dataclasses.fields(a)
        )
    if type(a).__eq__ is _OBJECT_EQ and hasattr(a, "__dict__") and hasattr(b, "__dict__"):
        # A plain class instance compares by identity: compare its state instead.
        return _same_dict(vars(a), vars(b), path, walk)
    return a == b or walk.differ(path, f"{_short(a)} != {_short(b)}")


def _same_dict(a: dict[Any, Any], b: dict[Any, Any], path: str, walk: _Walk) -> bool:
    if len(a) != len(b):
        return walk.differ(path, f"{len(a)} keys came back as {len(b)}")
    for key, value in a.items():
        if key in b:
            other = b[key]
        elif not isinstance(key, str) and str(key) in b:
            walk.losses.add("non-str keys→str")
            other = b[str(key)]
        else:
            return walk.differ(path, f"key {_short(key)} is missing")
        if not _same(value, other, f"{path}[{_short(key)}]", walk):
            return False
    return True


def _same_sequence(a: Any, b: Any, path: str, walk: _Walk) -> bool:
    if len(a) != len(b):
        return walk.differ(path, f"{len(a)} items came back as {len(b)}")
    return all(_same(x, y, f"{path}[{i}]", walk) for i, (x, y) in enumerate(zip(a, b, strict=True)))


def _same_set(a: set[Any] | frozenset[Any], b: list[Any] | tuple[Any, ...], path: str,
              walk: _Walk) -> bool:
    try:
        ok = len(a) == len(b) and set(b) == set(a)
    except TypeError:
        ok = False
    return ok or walk.differ(path, "set members differ")


def _same_iso(a: dt.datetime | dt.date | dt.time, b: str) -> bool:
    try:
        parsed = type(a).fromisoformat(b.replace("Z", "+00:00"))
    except ValueError:
        return False
    return bool(parsed == a)


def _is_ndarray(a: Any) -> bool:
    return type(a).__module__ == "numpy" and type(a).__name__ == "ndarray"


def _same_array(a: Any, b: Any, path: str, walk: _Walk) -> bool:
    import numpy as np

    if isinstance(b, list):
        walk.losses.add("ndarray→list")
        return _same(a.tolist(), b, path, walk)
    if not _is_ndarray(b):
        return walk.differ(path, f"ndarray came back as {type(b).__name__}")
    if a.dtype != b.dtype or a.shape != b.shape:
        return walk.differ(path, f"{a.dtype}{a.shape} came back as {b.dtype}{b.shape}")
    return bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")) or walk.differ(
        path, "array values differ")


#: The most characters of a payload's object (or of a library's message about it) a fidelity
#: reason quotes: a refusal names the problem in one line, it never prints the payload.
QUOTE = 80


def _short(value: Any) -> str:
    """A short prefix of `value`'s repr (reprlib caps nested containers and long strings)."""
    shortener = reprlib.Repr()
    shortener.maxstring = shortener.maxother = shortener.maxlong = QUOTE // 2
    return _clip(shortener.repr(value), 60)


def _clip(text: str, limit: int = QUOTE) -> str:
    """`text` on one line, cut to `limit` characters with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 3] + "..."
