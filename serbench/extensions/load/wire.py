"""One load connection on the wire, non-blocking: requests go out in order without the
schedule ever waiting on the socket (`Sender`), replies are parsed without copying their
bodies, since only their length and request id matter to the client (`ReplyReader`).
"""

from __future__ import annotations

import socket
import struct
from collections import deque
from collections.abc import Callable

from serbench.transport.errors import PeerClosed
from serbench.transport.framing import SMALL_FRAME

__all__ = ["PREFIX", "ReplyReader", "Sender"]

#: A request's frame header and id: 4-byte length (id + body), 8-byte id.
PREFIX = struct.Struct("<IQ")
_RECV_BYTES = 256 * 1024


class ReplyReader:
    """Parses replies off one connection without copying their bodies: only the length and
    the request id matter to the client."""

    def __init__(self, sock: socket.socket, index: int) -> None:
        self.sock, self.index = sock, index
        self._buf = bytearray(_RECV_BYTES)
        self._view = memoryview(self._buf)
        self._head = bytearray()
        self._skip = 0
        self._id = 0

    def read(self, on_reply: Callable[[int, int], None]) -> None:
        """Receive what is there; call `on_reply(connection, id)` for every whole reply."""
        try:
            n = self.sock.recv_into(self._view)
        except BlockingIOError:
            return
        except ConnectionResetError as exc:
            raise PeerClosed(f"the server reset connection {self.index}") from exc
        if n == 0:
            raise PeerClosed(f"the server closed connection {self.index}")
        buf, pos, size = self._buf, 0, PREFIX.size
        while pos < n:
            if self._skip:
                take = min(self._skip, n - pos)
                self._skip -= take
                pos += take
                if not self._skip:
                    on_reply(self.index, self._id)
                continue
            if not self._head and n - pos >= size:
                length, rid = PREFIX.unpack_from(buf, pos)
                pos += size
            else:
                take = min(size - len(self._head), n - pos)
                self._head += self._view[pos:pos + take]
                pos += take
                if len(self._head) < size:
                    break
                length, rid = PREFIX.unpack_from(self._head)
                self._head.clear()
            self._id, self._skip = rid, length - 8
            if self._skip <= 0:
                self._skip = 0
                on_reply(self.index, rid)


class Sender:
    """Non-blocking sends on one connection: what the socket does not take now waits in
    order and goes out when it is writable; the schedule never blocks on it."""

    def __init__(self, sock: socket.socket, body: bytes) -> None:
        self.sock, self.body = sock, body
        self.out: deque[memoryview] = deque()
        self._small = len(body) <= SMALL_FRAME

    def send(self, rid: int) -> None:
        """Send one request, or queue what the socket does not take now. With nothing queued,
        a small request goes out in one `send` (the common case, and the cheapest)."""
        prefix = PREFIX.pack(8 + len(self.body), rid)
        if self._small:
            data = prefix + self.body
            if not self.out:
                try:
                    sent = self.sock.send(data)
                except BlockingIOError:
                    sent = 0
                except (BrokenPipeError, ConnectionResetError) as exc:
                    raise PeerClosed(f"the server closed the connection while we sent "
                                     f"({exc})") from exc
                if sent < len(data):
                    self.out.append(memoryview(data)[sent:])
                return
            self.out.append(memoryview(data))
        else:
            self.out.extend((memoryview(prefix), memoryview(self.body)))
        self.flush()

    def flush(self) -> None:
        """Send queued bytes until the socket would block."""
        out = self.out
        try:
            while out:
                sent = self.sock.sendmsg(list(out)[:64])
                while sent and sent >= out[0].nbytes:
                    sent -= out.popleft().nbytes
                if sent:
                    out[0] = out[0][sent:]
                    return
        except BlockingIOError:
            return
        except (BrokenPipeError, ConnectionResetError) as exc:
            raise PeerClosed(f"the server closed the connection while we sent ({exc})") \
                from exc
