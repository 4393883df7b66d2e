"""Length-prefixed frames over a stream socket, a server in another process, and its client.

The same code serves the scenarios, `serbench serve` and the robustness tests. The modules, by
side:

- both: `framing` (frames), `auth` (the handshake, secrets), `protocol` (mode frames,
  acknowledgements, READY line, limits), `errors`, `placement` (CPU pinning, GC policy);
- client: `connection` (`Connection`: one authenticated connection), `server_process`
  (`ServerProcess`: start, reach and always stop a server process);
- server: `server` (runs as `python -m serbench.transport.server`, and for `serbench serve`).

This package re-exports the client side and the shared words, imported on first use (as in
`serbench/__init__.py`): the pyperf manager of a cell imports `placement` and must not pay for
sockets, subprocesses and the codec registry. It never imports `server`: `python -m
serbench.transport.server` imports this package first, and a server module already loaded by
then would run twice.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the precise types for mypy; at run time `__getattr__` imports on demand
    from serbench.transport.auth import load_or_create_secret_file as load_or_create_secret_file
    from serbench.transport.auth import new_secret as new_secret
    from serbench.transport.auth import read_secret_file as read_secret_file
    from serbench.transport.connection import Connection as Connection
    from serbench.transport.errors import FrameTooLarge as FrameTooLarge
    from serbench.transport.errors import HandshakeFailed as HandshakeFailed
    from serbench.transport.errors import PeerClosed as PeerClosed
    from serbench.transport.errors import PeerTimeout as PeerTimeout
    from serbench.transport.errors import TransportError as TransportError
    from serbench.transport.framing import DEFAULT_MAX_FRAME as DEFAULT_MAX_FRAME
    from serbench.transport.framing import FrameReader as FrameReader
    from serbench.transport.framing import send_frame as send_frame
    from serbench.transport.framing import set_timeouts as set_timeouts
    from serbench.transport.protocol import DEFAULT_TIMEOUT_S as DEFAULT_TIMEOUT_S
    from serbench.transport.protocol import MODE_ROUNDTRIP as MODE_ROUNDTRIP
    from serbench.transport.protocol import MODE_STREAM as MODE_STREAM
    from serbench.transport.protocol import SERVER_PROCESS_NAME as SERVER_PROCESS_NAME
    from serbench.transport.protocol import stream_mode as stream_mode
    from serbench.transport.server_process import ServerFailed as ServerFailed
    from serbench.transport.server_process import ServerProcess as ServerProcess

#: Public name -> the module that defines it.
_LAZY = {
    "load_or_create_secret_file": "serbench.transport.auth",
    "new_secret": "serbench.transport.auth",
    "read_secret_file": "serbench.transport.auth",
    "Connection": "serbench.transport.connection",
    "FrameTooLarge": "serbench.transport.errors",
    "HandshakeFailed": "serbench.transport.errors",
    "PeerClosed": "serbench.transport.errors",
    "PeerTimeout": "serbench.transport.errors",
    "TransportError": "serbench.transport.errors",
    "DEFAULT_MAX_FRAME": "serbench.transport.framing",
    "FrameReader": "serbench.transport.framing",
    "send_frame": "serbench.transport.framing",
    "set_timeouts": "serbench.transport.framing",
    "DEFAULT_TIMEOUT_S": "serbench.transport.protocol",
    "MODE_ROUNDTRIP": "serbench.transport.protocol",
    "MODE_STREAM": "serbench.transport.protocol",
    "SERVER_PROCESS_NAME": "serbench.transport.protocol",
    "stream_mode": "serbench.transport.protocol",
    "ServerFailed": "serbench.transport.server_process",
    "ServerProcess": "serbench.transport.server_process",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'serbench.transport' has no attribute {name!r}")
