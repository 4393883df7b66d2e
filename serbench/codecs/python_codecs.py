"""The zoo's Python-only codecs: dill, marshal, jsonpickle and serpent.

Timed path (figures in docs/codecs.md):
- dill: `dill.dumps(obj, 5)` (a `def`, as for pickle: dill's default protocol is pickle's
  DEFAULT_PROTOCOL, 4 before CPython 3.14) / `dill.loads(view)`;
- marshal: `marshal.dumps` / `marshal.loads` themselves; `marshal.dumps` writes
  `marshal.version` when no version is passed, and that is the version serbench records;
- jsonpickle: `def: jsonpickle.encode(obj, keys=True).encode()` / `def: jsonpickle.decode(
  str(view, "utf-8"), keys=True)`: it reads and writes `str`, and `keys=True` is passed because
  jsonpickle 4 warns (DeprecationWarning) on every call made with its old default, keys=False;
- serpent: `serpent.dumps` / `serpent.loads` themselves (bytes out, and any bytes-like in).
"""

from __future__ import annotations

import marshal
import platform
from collections.abc import Callable
from typing import Any

from serbench.codecs.base import Codec, dist_version, require
from serbench.common.vocabulary import PICKLE_PROTOCOL

PROTOCOL = PICKLE_PROTOCOL
#: The marshal format serbench writes: the running Python's current one (4 since 3.4).
MARSHAL_VERSION: int = marshal.version


def _dill_encode(dill: Any) -> tuple[Callable[[Any], bytes], str]:
    """`dill.dumps` itself when dill's default protocol is 5, else a tiny `def` passing 5."""
    dumps: Callable[..., bytes] = dill.dumps
    if dill.settings["protocol"] == PROTOCOL:
        return dumps, f"dill.dumps(obj) (dill.settings['protocol'] is {PROTOCOL})"

    def dill_dumps(obj: Any) -> bytes:
        return dumps(obj, PROTOCOL)

    return dill_dumps, f"def: dill.dumps(obj, {PROTOCOL})"


def dill_codec() -> Codec:
    """dill: pickle extended to lambdas, closures and interactively defined classes."""
    dill = require("dill")
    encode, encode_path = _dill_encode(dill)
    return Codec(
        name="dill",
        library="dill",
        version=dist_version("dill"),
        options=f"protocol={PROTOCOL}; other dill.settings defaults (byref=False, "
        "recurse=False)",
        encode=encode,
        decode=dill.loads,
        call_path=f"{encode_path} / dill.loads(view)",
        safe_for_untrusted_input=False,
        cross_language=False,
        same_python_only=True,
        human_readable=False,
    )


def marshal_codec() -> Codec:
    """marshal: the format of .pyc files; builtins only, and only for the same Python."""
    return Codec(
        name="marshal",
        library="python",
        version=f"{platform.python_implementation()} {platform.python_version()}",
        options=f"version={MARSHAL_VERSION} (marshal.version, what marshal.dumps writes "
        "without a version argument)",
        encode=marshal.dumps,
        decode=marshal.loads,
        call_path=f"marshal.dumps(obj) (writes marshal.version = {MARSHAL_VERSION}) / "
        "marshal.loads(view)",
        safe_for_untrusted_input=False,
        cross_language=False,
        same_python_only=True,
        human_readable=False,
    )


def _jsonpickle_backends(jsonpickle: Any) -> str:
    """The JSON libraries jsonpickle tries, in order, for the record (it falls through to the
    next one when a backend refuses a value)."""
    names = getattr(jsonpickle.json, "_backend_names", None)
    return ", ".join(names) if names else "unknown"


def jsonpickle_codec() -> Codec:
    """jsonpickle with its defaults but keys=True (jsonpickle 5's default; 4 warns without)."""
    jsonpickle = require("jsonpickle")
    encode_value = jsonpickle.encode
    decode_text = jsonpickle.decode

    def encode(obj: Any) -> bytes:
        """`jsonpickle.encode(obj, keys=True).encode()`: it returns `str`."""
        return encode_value(obj, keys=True).encode()  # type: ignore[no-any-return]

    def decode(view: memoryview) -> Any:
        """`jsonpickle.decode(str(view, "utf-8"), keys=True)`: it refuses a memoryview."""
        return decode_text(str(view, "utf-8"), keys=True)

    return Codec(
        name="jsonpickle",
        library="jsonpickle",
        version=dist_version("jsonpickle"),
        options="encode/decode defaults (unpicklable=True, make_refs=True, safe=True) with "
        f"keys=True; JSON backends tried in order: {_jsonpickle_backends(jsonpickle)}",
        encode=encode,
        decode=decode,
        call_path='def: jsonpickle.encode(obj, keys=True).encode() / '
        'def: jsonpickle.decode(str(view, "utf-8"), keys=True)',
        safe_for_untrusted_input=False,
        cross_language=False,
        same_python_only=False,
        human_readable=True,
    )


def serpent_codec() -> Codec:
    """serpent (Pyro5's wire format): Python literals read back with `ast.literal_eval`."""
    serpent = require("serpent")
    return Codec(
        name="serpent",
        library="serpent",
        version=dist_version("serpent"),
        options="dumps/loads defaults (indent=False, module_in_classname=False, "
        "bytes_repr=False: bytes written as a base64 dict)",
        encode=serpent.dumps,
        decode=serpent.loads,
        call_path="serpent.dumps(obj) / serpent.loads(view)",
        # ast.literal_eval runs no code, but fuzzing found a 600 kB frame (b"1," * 300000)
        # growing the process by 287 MB, and 600 bytes of nesting raising MemoryError.
        safe_for_untrusted_input=False,
        cross_language=True,
        same_python_only=False,
        human_readable=True,
    )
