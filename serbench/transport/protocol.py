"""What the scenario client and server agree on, in one place both sides read.

The client side (`connection`, `server_process`) imports this instead of `server`, so starting
or talking to a server never loads the server's code in the client (the `fork` start method
imports it in the child only). Framing (`framing.HEADER`, `DEFAULT_MAX_FRAME`) and the
handshake's sizes (`auth`) stay with the code that implements them.

After the handshake a client sends one mode frame:

- `MODE_ROUNDTRIP`: every frame is decoded, re-encoded and sent back;
- `stream_mode(batch)` (`b"stream <batch>"`): every frame is decoded, and after every `batch`
  frames the server sends one `ACK`: the count it confirms, packed like a frame header.
"""

from __future__ import annotations

import struct

from serbench.transport.framing import HEADER

MODE_ROUNDTRIP = b"roundtrip"
MODE_STREAM = b"stream"
#: A stream acknowledgement: 4 bytes, little-endian frame count (the frame header's layout).
ACK: struct.Struct = HEADER

#: The first word of the line a server prints on stdout once it listens:
#: `READY tcp HOST PORT` or `READY uds PATH`.
READY = "READY"

#: How long a silent peer (or a handshake) may take before its connection is closed.
DEFAULT_TIMEOUT_S = 30.0
#: The longest Unix socket path the kernel accepts (sun_path is 108 bytes with its NUL).
UNIX_PATH_MAX = 107

#: The name (/proc/PID/comm) of a forked scenario server; its command line is its parent's.
SERVER_PROCESS_NAME = "serbench-server"
#: How long a parent waits for a started server's READY line.
STARTUP_TIMEOUT_S = 30.0

__all__ = ["ACK", "DEFAULT_TIMEOUT_S", "MODE_ROUNDTRIP", "MODE_STREAM", "READY",
           "SERVER_PROCESS_NAME", "STARTUP_TIMEOUT_S", "UNIX_PATH_MAX", "stream_mode"]


def stream_mode(batch: int) -> bytes:
    """The mode frame that starts stream mode with an acknowledgement every `batch` frames."""
    return MODE_STREAM + b" " + str(batch).encode()
