"""A user's own payload from a file; the format comes from the extension."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

from serbench.common.errors import UserError

FORMATS = (".json", ".msgpack", ".cbor", ".pickle", ".pkl")


def load_payload_file(path: Path) -> Any:
    """Load a payload file, or raise `UserError` naming the file and what is wrong with it.

    Pickle files are loaded with `pickle.load`: only use pickle files you trust.
    """
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise UserError(f"payload file {path}: unknown format {suffix!r}; use one of "
                        f"{', '.join(FORMATS)}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserError(f"payload file {path}: cannot read it ({exc.strerror or exc})") from exc
    try:
        if suffix == ".json":
            return json.loads(data)
        if suffix == ".msgpack":
            import msgpack

            return msgpack.unpackb(data, strict_map_key=False)
        if suffix == ".cbor":
            import cbor2

            return cbor2.loads(data)
        return pickle.loads(data)
    except Exception as exc:  # each format raises its own error types for bad input
        raise UserError(f"payload file {path}: does not parse as {suffix[1:]} "
                        f"({type(exc).__name__}: {exc})") from exc
