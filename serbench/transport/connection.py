"""The client end of one scenario connection: connect, authenticate, then frames.

Kept apart from `server_process` so a client of a server it did not start (a test, a fuzzer,
`serbench serve` on another machine) needs only this module, `auth` and `framing`.
"""

from __future__ import annotations

import json
import socket
from typing import Any

from serbench.codecs.base import Encoded
from serbench.common.vocabulary import DEFAULT_MAX_FRAME
from serbench.transport.auth import client_handshake
from serbench.transport.errors import TransportError
from serbench.transport.framing import FrameReader, send_frame, set_timeouts
from serbench.transport.hostinfo import python_identity
from serbench.transport.protocol import (
    ACK,
    DEFAULT_TIMEOUT_S,
    MODE_INFO,
    MODE_ROUNDTRIP,
    SELECT_OK,
    select_frame,
    stream_mode,
)

__all__ = ["Connection", "Refused"]


class Refused(TransportError):
    """The server will not use the codec this connection named; the message says why."""


class Connection:
    """One authenticated client connection: requests (round trip) or batches (stream)."""

    def __init__(self, sock: socket.socket, reader: FrameReader) -> None:
        self.sock = sock
        self.reader = reader

    @classmethod
    def open(cls, address: tuple[str, int] | str, secret: bytes,
             max_frame: int = DEFAULT_MAX_FRAME, timeout_s: float = DEFAULT_TIMEOUT_S
             ) -> Connection:
        """Connect, set TCP_NODELAY (TCP only), kernel timeouts, and do the handshake."""
        if isinstance(address, str):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        else:
            family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            sock.settimeout(timeout_s)
            sock.connect(address)
            sock.settimeout(None)
            set_timeouts(sock, timeout_s)
            reader = FrameReader(sock, max_frame, timeout_s)
            client_handshake(sock, reader, secret)
        except BaseException:
            sock.close()
            raise
        return cls(sock, reader)

    def select(self, codec: str, payload: str | None = None) -> None:
        """Name this connection's codec (and the payload a shape-derived codec is bound to);
        raises `Refused` with the server's reason."""

        send_frame(self.sock, select_frame(codec, payload, python_identity()))
        reply = bytes(self.reader.read_frame())
        if reply != SELECT_OK:
            reason = reply.partition(b" ")[2].decode(errors="replace") or repr(reply[:80])
            raise Refused(f"the server refused codec {codec}: {reason}")

    def info(self) -> dict[str, Any]:
        """The server's protocol version and host (`info` mode; the connection ends after)."""
        send_frame(self.sock, MODE_INFO)
        reply = bytes(self.reader.read_frame())
        try:
            data = json.loads(reply)
        except ValueError as exc:
            raise TransportError(f"the server's info frame is not JSON: {reply[:80]!r}") from exc
        if not isinstance(data, dict):
            raise TransportError("the server's info frame is not a JSON object")
        return data

    def start_roundtrip(self) -> None:
        """Put the connection in round-trip mode."""
        send_frame(self.sock, MODE_ROUNDTRIP)

    def start_stream(self, batch: int) -> None:
        """Put the connection in stream mode: the server acknowledges every `batch` frames."""
        send_frame(self.sock, stream_mode(batch))

    def request(self, body: Encoded) -> memoryview:
        """Send one frame and return the reply (valid until the next read)."""
        send_frame(self.sock, body)
        return self.reader.read_frame()

    def read_ack(self) -> int:
        """Wait for a stream acknowledgement; returns the frame count it confirms."""
        (count,) = ACK.unpack(self.reader.read_exact(ACK.size))
        return int(count)

    def close(self) -> None:
        """Close the socket (the server ends that connection)."""
        self.sock.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
