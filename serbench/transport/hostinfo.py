"""What one host is, as both ends of a two-host run report it.

The server sends `info_reply` after the handshake (protocol mode `info`); the client records it
beside its own `host_info` in environment.json, and compares the two Pythons before it times a
codec flagged `same_python_only` (marshal's format changes between minor versions, pickle
protocols beyond the other side's highest are unreadable there).
"""

from __future__ import annotations

import json
import pickle
import platform
import socket
import sys
from typing import Any

from serbench import __version__
from serbench.results.environment import cpu_model, library_versions


def python_identity() -> dict[str, Any]:
    """What must match for a `same_python_only` codec: implementation, major.minor and the
    highest pickle protocol."""
    return {"implementation": platform.python_implementation(),
            "version": f"{sys.version_info.major}.{sys.version_info.minor}",
            "pickle_protocol": pickle.HIGHEST_PROTOCOL}


def host_info() -> dict[str, Any]:
    """This host: name, CPU, OS, Python (full version and identity), serbench and libraries."""

    return {"hostname": socket.gethostname(), "cpu_model": cpu_model(),
            "os": platform.platform(), "python": sys.version.split()[0],
            **{f"python_{k}": v for k, v in python_identity().items()},
            "serbench_version": __version__, "libraries": library_versions()}


def info_reply(version: int) -> bytes:
    """The server's `info` frame: the protocol version it speaks and its host."""
    return json.dumps({"protocol": version, "host": host_info()}).encode()


def identity_of(host: dict[str, Any]) -> dict[str, Any]:
    """The Python identity inside a `host_info` record (missing keys stay None)."""
    return {k: host.get(f"python_{k}") for k in ("implementation", "version",
                                                  "pickle_protocol")}


def python_mismatch(mine: dict[str, Any], theirs: dict[str, Any]) -> str | None:
    """Why two Pythons cannot exchange a `same_python_only` codec's bytes, or None."""
    a = f"{mine.get('implementation')} {mine.get('version')}"
    b = f"{theirs.get('implementation')} {theirs.get('version')}"
    if a != b:
        return f"{a} here, {b} on the other host"
    if mine.get("pickle_protocol") != theirs.get("pickle_protocol"):
        return (f"highest pickle protocol {mine.get('pickle_protocol')} here, "
                f"{theirs.get('pickle_protocol')} on the other host")
    return None
