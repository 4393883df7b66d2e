"""Frames: a 4-byte little-endian length, then the body.

The reader receives into one preallocated buffer with `recv_into` and hands out memoryviews of
it, so a frame is never copied to be decoded; several small frames arrive in one `recv_into`.
The writer joins header and body only for small frames (one syscall beats two); large frames go
out with `sendmsg` scatter/gather and are never concatenated.

Timeouts are the kernel's (`SO_RCVTIMEO` / `SO_SNDTIMEO`) on a blocking socket: Python's own
socket timeouts add a `poll()` before every call, which the timed path cannot afford.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Sequence

from serbench.common.vocabulary import DEFAULT_MAX_FRAME
from serbench.transport.errors import FrameTooLarge, PeerClosed, PeerTimeout

HEADER = struct.Struct("<I")
_HEADER_SIZE = HEADER.size
_unpack_from = HEADER.unpack_from
_pack = HEADER.pack
MAX_HEADER_VALUE = 2**32 - 1
#: Below this body size one `sendall(header + body)` is cheaper than `sendmsg([header, body])`.
SMALL_FRAME = 64 * 1024
#: Receive buffer allocated per connection. Measured on this project's 2-vCPU VM: 1 MiB frames
#: over loopback TCP received into a 2 MiB buffer allocated up front ran ~300 us per round
#: trip, against 560-780 us into a buffer grown to the frame's size on first use.
_INITIAL_BUFFER = 2 * 2**20

Buffer = bytes | bytearray | memoryview


def set_timeouts(sock: socket.socket, seconds: float) -> None:
    """Kernel-level send and receive timeouts on a blocking socket (0 means none)."""
    whole = int(seconds)
    value = struct.pack("ll", whole, int((seconds - whole) * 1e6))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, value)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, value)


class FrameReader:
    """Reads frames from a socket into a reused buffer.

    A returned view is valid until the next `read_frame` call: decoders that keep references to
    their input must copy (the pickle-oob codec does).
    """

    def __init__(self, sock: socket.socket, max_frame: int = DEFAULT_MAX_FRAME,
                 timeout_s: float = 0.0) -> None:
        self._recv_into = sock.recv_into
        self._max_frame = max_frame
        self._timeout_s = timeout_s
        self._buf = bytearray(min(_INITIAL_BUFFER, max_frame + HEADER.size))
        self._view = memoryview(self._buf)
        self._start = 0
        self._end = 0

    def read_frame(self) -> memoryview:
        """The next frame's body. Raises `PeerClosed`, `PeerTimeout` or `FrameTooLarge`.

        Fast path (measured: it is most of a small round trip's Python cost): when nothing is
        buffered, one `recv_into` at the start of the buffer usually brings the whole frame.
        """
        start, end = self._start, self._end
        if start == end:
            start = 0
            try:
                end = self._recv_into(self._view)
            except (BlockingIOError, ConnectionResetError) as exc:
                raise self._receive_error(exc, 0, _HEADER_SIZE) from exc
            if end == 0:
                raise PeerClosed("the peer closed the connection")
        if end - start >= _HEADER_SIZE:
            (length,) = _unpack_from(self._buf, start)
            stop = start + _HEADER_SIZE + length
            if stop <= end and length <= self._max_frame:
                if stop == end:
                    self._start = self._end = 0
                else:
                    self._start, self._end = stop, end
                return self._view[start + _HEADER_SIZE : stop]
        self._start, self._end = start, end
        return self._read_frame_slow()

    def _receive_error(self, exc: OSError, have: int, need: int) -> Exception:
        if isinstance(exc, BlockingIOError):  # SO_RCVTIMEO expired
            return PeerTimeout(f"no data from the peer within {self._timeout_s:g} s "
                               f"({have} of {need} bytes received)")
        return PeerClosed("the peer reset the connection", truncated=True)

    def _read_frame_slow(self) -> memoryview:
        """A frame that is not (yet) whole in the buffer: make room, receive, check."""
        if self._end - self._start < _HEADER_SIZE:
            self._fill(_HEADER_SIZE)
        (length,) = _unpack_from(self._buf, self._start)
        if length > self._max_frame:
            raise FrameTooLarge(
                f"frame of {length} bytes exceeds the maximum of {self._max_frame} bytes")
        total = _HEADER_SIZE + length
        if self._end - self._start < total:
            self._fill(total)
        body = self._view[self._start + _HEADER_SIZE : self._start + total]
        self._start += total
        if self._start == self._end:
            self._start = self._end = 0
        return body

    def read_exact(self, count: int) -> bytes:
        """`count` raw bytes outside the framing (the handshake and acknowledgements)."""
        if self._end - self._start < count:
            self._fill(count)
        data = bytes(self._view[self._start : self._start + count])
        self._start += count
        if self._start == self._end:
            self._start = self._end = 0
        return data

    def _fill(self, need: int) -> None:
        """Receive until `need` bytes are buffered from `self._start`, making room first."""
        have = self._end - self._start
        if self._start + need > len(self._buf):
            if need > len(self._buf):
                # A new buffer rather than a resize: views of the old one may still exist.
                new = bytearray(max(need, min(2 * len(self._buf), self._max_frame + HEADER.size)))
                new[:have] = self._view[self._start : self._end]
                self._buf, self._view = new, memoryview(new)
            else:
                self._view[:have] = self._view[self._start : self._end]
            self._start, self._end = 0, have
        recv_into, view = self._recv_into, self._view
        # A large frame is read up to its own end, never into the next one: bytes past it
        # would have to be moved to the buffer's start afterwards (a copy per frame).
        stop = self._start + need if need > SMALL_FRAME else len(self._buf)
        while self._end - self._start < need:
            try:
                got = recv_into(view[self._end : stop])
            except (BlockingIOError, ConnectionResetError) as exc:
                raise self._receive_error(exc, self._end - self._start, need) from exc
            if got == 0:
                partial = self._end - self._start
                if partial:
                    raise PeerClosed(
                        f"the peer closed the connection mid-frame ({partial} of {need} bytes)",
                        truncated=True)
                raise PeerClosed("the peer closed the connection")
            self._end += got


def send_frame(sock: socket.socket, body: Buffer | Sequence[Buffer]) -> int:
    """Send one frame whose body is a buffer or a list of buffers; returns the body size."""
    try:
        if type(body) is bytes and len(body) <= SMALL_FRAME:  # the common case first
            size = len(body)
            sock.sendall(_pack(size) + body)
            return size
        if isinstance(body, bytes | bytearray | memoryview):
            size = body.nbytes if isinstance(body, memoryview) else len(body)
            if size <= SMALL_FRAME:
                sock.sendall(_pack(size) + body)
            else:
                _sendmsg_all(sock, [_header(size), body])
            return size
        size = sum(memoryview(part).nbytes for part in body)
        _sendmsg_all(sock, [_header(size), *body])
        return size
    except BlockingIOError as exc:  # SO_SNDTIMEO expired
        raise PeerTimeout("the peer stopped reading (send timed out)") from exc
    except (BrokenPipeError, ConnectionResetError) as exc:
        raise PeerClosed(f"the peer closed the connection while we sent ({exc})") from exc


def _header(size: int) -> bytes:
    if size > MAX_HEADER_VALUE:
        raise FrameTooLarge(f"a frame of {size} bytes does not fit the 4-byte length prefix")
    return HEADER.pack(size)


def _sendmsg_all(sock: socket.socket, buffers: list[Buffer]) -> None:
    """`sendmsg` until every byte of every buffer is out (it may send only part)."""
    views = [memoryview(b).cast("B") for b in buffers]
    while views:
        sent = sock.sendmsg(views)
        while views and sent >= views[0].nbytes:
            sent -= views[0].nbytes
            views.pop(0)
        if views and sent:
            views[0] = views[0][sent:]
