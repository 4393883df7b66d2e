"""The scenario server as most Python services run it: one asyncio event loop (uvloop's when
asked), every connection a protocol object on that loop.

Run as `python -m serbench.transport.async_server --codec NAME --loop asyncio|uvloop ...`; the
same contract as the blocking server (`serbench.transport.server`): the secret on stdin's first
line, one `READY` line on stdout, exit on stdin EOF, SIGTERM, SIGINT or SIGHUP.

The handshake is `auth.server_handshake` itself, run on the accepted (still blocking) socket in
the loop's thread pool, so the asyncio server proves the same secret the same way and nothing
a peer sends is buffered before it has; only then is the socket handed to the loop. After it:
one mode frame, then `load` (request id + body, reply with the id first), `roundtrip`, or
`stats` (kind and CPU time, one frame). Frames are parsed in place from one receive buffer per
connection (`asyncio.BufferedProtocol`, no copy per frame); a bad frame or a codec failure
closes that connection only, with one log line.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable
from typing import Any

from serbench.codecs import Codec
from serbench.codecs.base import buffers
from serbench.common.vocabulary import DEFAULT_MAX_FRAME
from serbench.transport import placement
from serbench.transport.auth import check_secret, server_handshake
from serbench.transport.errors import TransportError
from serbench.transport.framing import HEADER, set_timeouts
from serbench.transport.listeners import ready_line
from serbench.transport.protocol import (
    DEFAULT_TIMEOUT_S,
    MODE_LOAD,
    MODE_ROUNDTRIP,
    MODE_STATS,
    REQUEST_ID,
    stats_reply,
)
from serbench.transport.serve_loop import DEFAULT_MAX_CONNECTIONS
from serbench.transport.server import (
    add_payload_arguments,
    configure_logging,
    serve_from_command_line,
)

log = logging.getLogger("serbench.server")

LOOPS = ("asyncio", "uvloop")
_INITIAL_BUFFER = 256 * 1024
_ID = REQUEST_ID.size
_unpack_header = HEADER.unpack_from
_pack_header = HEADER.pack


class FrameProtocol(asyncio.BufferedProtocol):
    """One connection after its handshake: a mode frame, then frames answered in order."""

    def __init__(self, codec: Codec, kind: str, max_frame: int, who: str,
                 done: Callable[[], None]) -> None:
        self.codec, self.kind, self.max_frame, self.who = codec, kind, max_frame, who
        self._done = done
        self._buf = bytearray(_INITIAL_BUFFER)
        self._view = memoryview(self._buf)
        self._start = self._end = 0
        self._mode: bytes | None = None
        # uvloop's transports are not `asyncio.Transport` subclasses, only alike.
        self._transport: Any = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is not None:
            log.warning("%s closed: %s", self.who, exc)
        self._done()

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._view[self._end:]

    def buffer_updated(self, nbytes: int) -> None:
        self._end += nbytes
        try:
            self._frames()
        except Exception as exc:  # a bad frame or a codec failure: this connection only
            text = str(exc).splitlines()[0][:200] if str(exc).strip() else "(no message)"
            log.warning("%s closed in %s mode: %s: %s", self.who,
                        (self._mode or b"its first").decode(errors="replace"),
                        type(exc).__name__, text)
            assert self._transport is not None
            self._transport.abort()

    def _frames(self) -> None:
        """Answer every whole frame in the buffer, then make room for the next one."""
        buf, view = self._buf, self._view
        start, end = self._start, self._end
        need = HEADER.size
        while end - start >= HEADER.size:
            (length,) = _unpack_header(buf, start)
            if length > self.max_frame:
                raise TransportError(f"frame of {length} bytes exceeds the maximum of "
                                     f"{self.max_frame} bytes")
            stop = start + HEADER.size + length
            if stop > end:
                need = HEADER.size + length
                break
            self._answer(view[start + HEADER.size:stop])
            start = stop
        if start == end:
            self._start = self._end = 0
            return
        self._start, self._end = start, end
        self._make_room(need)

    def _make_room(self, need: int) -> None:
        """Room for `need` bytes from the partial frame's start: move it first, or grow."""
        have = self._end - self._start
        if self._start + need <= len(self._buf) and self._end < len(self._buf):
            return
        if need > len(self._buf):
            new = bytearray(max(need, 2 * len(self._buf)))
            new[:have] = self._view[self._start:self._end]
            self._buf, self._view = new, memoryview(new)
        else:
            self._view[:have] = self._view[self._start:self._end]
        self._start, self._end = 0, have

    def _answer(self, body: memoryview) -> None:
        transport = self._transport
        assert transport is not None
        mode = self._mode
        if mode == MODE_LOAD:
            if body.nbytes < _ID:
                raise TransportError(f"a load frame of {body.nbytes} bytes has no {_ID}-byte "
                                     "request id")
            out = self.codec.encode(self.codec.decode(body[_ID:]))
            if type(out) is bytes:
                transport.write(_pack_header(_ID + len(out)) + bytes(body[:_ID]) + out)
            else:
                reply = b"".join([body[:_ID], *buffers(out)])
                transport.write(_pack_header(len(reply)) + reply)
        elif mode == MODE_ROUNDTRIP:
            reply = b"".join(buffers(self.codec.encode(self.codec.decode(body))))
            transport.write(_pack_header(len(reply)) + reply)
        elif mode is None:
            self._start_mode(bytes(body))
        else:  # pragma: no cover - _start_mode admits no other mode
            raise TransportError(f"unknown mode {mode!r}")

    def _start_mode(self, mode: bytes) -> None:
        assert self._transport is not None
        if mode in (MODE_LOAD, MODE_ROUNDTRIP):
            self._mode = mode
        elif mode == MODE_STATS:
            reply = stats_reply(self.kind)
            self._transport.write(_pack_header(len(reply)) + reply)
            self._transport.close()
        else:
            raise TransportError(f"unknown mode {mode[:40]!r}")


class AsyncServer:
    """Accepts, authenticates (in the thread pool) and hands connections to the loop."""

    def __init__(self, listener: socket.socket, codec: Codec, secret: bytes, kind: str, *,
                 max_frame: int = DEFAULT_MAX_FRAME, timeout_s: float = DEFAULT_TIMEOUT_S,
                 max_connections: int = DEFAULT_MAX_CONNECTIONS) -> None:
        self.listener, self.codec, self.secret, self.kind = listener, codec, secret, kind
        self.max_frame, self.timeout_s, self.max_connections = max_frame, timeout_s, \
            max_connections
        self.open = 0
        self._tasks: set[asyncio.Task[None]] = set()

    async def serve(self, stop: asyncio.Event) -> None:
        """Accept until `stop` is set."""
        loop = asyncio.get_running_loop()
        self.listener.setblocking(False)
        number = 0
        accepting = asyncio.ensure_future(loop.sock_accept(self.listener))
        stopping = asyncio.ensure_future(stop.wait())
        try:
            while True:
                await asyncio.wait({accepting, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if stopping.done():
                    return
                try:
                    conn, _peer = accepting.result()
                except OSError as exc:
                    log.warning("cannot accept a connection now (%s)", exc)
                    await asyncio.sleep(0.1)
                    accepting = asyncio.ensure_future(loop.sock_accept(self.listener))
                    continue
                accepting = asyncio.ensure_future(loop.sock_accept(self.listener))
                number += 1
                who = f"connection #{number}"
                if self.open >= self.max_connections:
                    log.warning("%s refused: %d connections already open", who, self.open)
                    conn.close()
                    continue
                self.open += 1
                task = asyncio.ensure_future(self._start_connection(conn, who))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        finally:
            for pending in (accepting, stopping):
                pending.cancel()

    async def _start_connection(self, conn: socket.socket, who: str) -> None:
        loop = asyncio.get_running_loop()
        handed = False
        try:
            conn.setblocking(True)
            if conn.family in (socket.AF_INET, socket.AF_INET6):
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            set_timeouts(conn, self.timeout_s)
            await loop.run_in_executor(None, server_handshake, conn, self.secret,
                                       self.timeout_s)
            set_timeouts(conn, 0)
            await loop.connect_accepted_socket(
                lambda: FrameProtocol(self.codec, self.kind, self.max_frame, who,
                                      self._closed), conn)
            handed = True
        except (TransportError, OSError) as exc:
            log.warning("%s closed during the handshake: %s", who, exc)
        finally:
            if not handed:
                conn.close()
                self._closed()

    def _closed(self) -> None:
        self.open -= 1


def new_loop(kind: str) -> asyncio.AbstractEventLoop:
    """A new event loop of `kind`: the standard library's, or uvloop's (an error if missing)."""
    if kind == "uvloop":
        import uvloop

        loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
        return loop
    if kind != "asyncio":
        raise ValueError(f"unknown event loop {kind!r}; expected one of {', '.join(LOOPS)}")
    return asyncio.new_event_loop()


def run(listener: socket.socket, codec: Codec, secret: bytes, kind: str, *,
        watch_stdin: bool, gc_policy: str = "on", **options: Any) -> None:
    """Serve on `listener` until a signal or stdin EOF; the READY line once set up."""
    check_secret(secret)
    with asyncio.Runner(loop_factory=lambda: new_loop(kind)) as runner:
        runner.run(_main(listener, AsyncServer(listener, codec, secret, kind, **options),
                         watch_stdin, gc_policy))


async def _main(listener: socket.socket, server: AsyncServer, watch_stdin: bool,
                gc_policy: str) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        loop.add_signal_handler(signum, stop.set)
    if watch_stdin:
        fd = sys.stdin.fileno()
        os.set_blocking(fd, False)

        def on_stdin() -> None:
            try:
                data = os.read(fd, 4096)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if not data:
                loop.remove_reader(fd)
                stop.set()

        loop.add_reader(fd, on_stdin)
    placement.apply_gc_policy(gc_policy)
    print(ready_line(listener), flush=True)
    await server.serve(stop)
    listener.close()


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m serbench.transport.async_server")
    parser.add_argument("--codec", required=True)
    parser.add_argument("--transport", choices=["tcp", "uds"], required=True)
    parser.add_argument("--loop", choices=LOOPS, default="asyncio")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--path", help="Unix socket path (uds)")
    parser.add_argument("--max-frame", type=int, default=DEFAULT_MAX_FRAME)
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S)
    parser.add_argument("--max-connections", type=int, default=DEFAULT_MAX_CONNECTIONS)
    parser.add_argument("--cpu", type=int, default=None, help="pin to this CPU")
    parser.add_argument("--gc", choices=["on", "off"], default="on")
    add_payload_arguments(parser)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Server process entry point: secret from stdin, READY line on stdout."""
    configure_logging()
    args = _parse_args(argv)

    def serve(listener: socket.socket, codec: Codec, secret: bytes) -> None:
        run(listener, codec, secret, args.loop, watch_stdin=True, gc_policy=args.gc,
            max_frame=args.max_frame, timeout_s=args.timeout,
            max_connections=args.max_connections)

    return serve_from_command_line(args, serve)


if __name__ == "__main__":
    raise SystemExit(main())
