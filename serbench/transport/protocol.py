"""What the scenario client and server agree on, in one place both sides read.

Client and server both import this module, and `connection` (the client's side of the
conversation) imports nothing of `server`. Framing (`framing.HEADER`, `DEFAULT_MAX_FRAME`) and the
handshake's sizes (`auth`) stay with the code that implements them.

After the handshake a client sends one mode frame:

- `MODE_ROUNDTRIP`: every frame is decoded, re-encoded and sent back;
- `stream_mode(batch)` (`b"stream <batch>"`): every frame is decoded, and after every `batch`
  frames the server sends one `ACK`: the count it confirms, packed like a frame header;
- `MODE_LOAD`: like round trip, but every frame starts with a `REQUEST_ID` (8 bytes) that the
  reply repeats in front of the re-encoded body, so an open-loop client may keep many requests
  in flight on one connection and match each reply to its intended send time;
- `MODE_STATS`: the server answers one frame, `stats_reply`: its kind and the CPU time its
  process has used (`getrusage`), which the load scenario reads before and after each point;
- `MODE_INFO`: the server answers one frame, JSON: `PROTOCOL_VERSION`, its host, Python and
  library versions (`serbench.transport.hostinfo`); a client on another host reads it once before
  a run (`serbench run --connect`).

Before its mode frame a client may name the codec the connection uses: `select_frame(codec,
payload, python)` (`b"select " + JSON`). The server answers `SELECT_OK`, or `b"error "` and the
reason and closes the connection (a codec it does not serve, an unknown one, a `same_python_only`
codec for a client on another Python). Without it, the connection uses the server's own codec.
"""

from __future__ import annotations

import json
import os
import resource
import struct

from serbench.common.errors import UserError
from serbench.transport.framing import HEADER

MODE_ROUNDTRIP = b"roundtrip"
MODE_STREAM = b"stream"
MODE_LOAD = b"load"
MODE_STATS = b"stats"
MODE_INFO = b"info"
MODE_SELECT = b"select"
SELECT_OK = b"ok"
SELECT_ERROR = b"error"
#: What `MODE_INFO` reports; a client refuses a server that speaks another version.
PROTOCOL_VERSION = 1
#: A load-mode request id: 8 bytes, little-endian, first in the body of a request and its reply.
REQUEST_ID: struct.Struct = struct.Struct("<Q")
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

__all__ = ["ACK", "DEFAULT_TIMEOUT_S", "MODE_INFO", "MODE_LOAD", "MODE_ROUNDTRIP", "MODE_SELECT",
           "MODE_STATS", "MODE_STREAM", "PROTOCOL_VERSION", "READY", "REQUEST_ID", "SELECT_ERROR",
           "SELECT_OK", "SERVER_PROCESS_NAME", "STARTUP_TIMEOUT_S", "UNIX_PATH_MAX",
           "select_frame", "stats_reply", "stream_mode"]


def select_frame(codec: str, payload: str | None, python: dict[str, object]) -> bytes:
    """The frame naming a connection's codec (and, for a shape-derived codec, its payload spec),
    with the client's Python (`implementation`, `version` major.minor, `pickle_protocol`)."""
    return MODE_SELECT + b" " + json.dumps({"codec": codec, "payload": payload,
                                            "python": python}).encode()


def stream_mode(batch: int) -> bytes:
    """The mode frame that starts stream mode with an acknowledgement every `batch` frames."""
    return MODE_STREAM + b" " + str(batch).encode()


def stats_reply(kind: str) -> bytes:
    """What a server answers in stats mode: JSON with its kind, pid and process CPU seconds
    (user + system, every thread), so a client can charge CPU time per request."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return json.dumps({"kind": kind, "pid": os.getpid(),
                       "cpu_s": usage.ru_utime + usage.ru_stime}).encode()

def parse_address(text: str) -> tuple[str, int]:
    """`HOST:PORT` or `[V6]:PORT` as (host, port)."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UserError(f"--connect {text!r}: expected HOST:PORT with a port from 1 to 65535")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host, int(port)
