"""The scenario server: decodes what the client sends and answers, in its own process.

Run as `python -m serbench.transport.server --codec NAME --transport tcp|uds ...`; it reads the
run's secret (hex) from the first line of stdin, prints one `READY <transport> <address>` line
when it listens, and exits when its stdin closes (its parent is gone), on SIGTERM or SIGINT.

Per connection: the handshake, then one mode frame, then frames until the client closes.
- `roundtrip`: decode each frame, encode the decoded object, send it back;
- `stream <batch>`: decode each frame; after every `batch` frames send a 4-byte acknowledgement.
A bad frame (too large, truncated, undecodable) or a silent peer costs only its own connection:
one log line, the connection closed, the server keeps serving.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import socket
import sys
import threading
from dataclasses import dataclass
from types import FrameType

from serbench.codecs import Codec, get_codec
from serbench.transport import placement
from serbench.transport.auth import server_handshake
from serbench.transport.errors import PeerClosed, TransportError
from serbench.transport.framing import (
    DEFAULT_MAX_FRAME,
    HEADER,
    FrameReader,
    send_frame,
    set_timeouts,
)

log = logging.getLogger("serbench.server")

MODE_ROUNDTRIP = b"roundtrip"
MODE_STREAM = b"stream"
DEFAULT_TIMEOUT_S = 30.0
DEFAULT_MAX_CONNECTIONS = 16
UNIX_PATH_MAX = 107


@dataclass
class ServerConfig:
    """Everything a server needs besides its listening socket."""

    codec: Codec
    secret: bytes
    max_frame: int = DEFAULT_MAX_FRAME
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_connections: int = DEFAULT_MAX_CONNECTIONS


def listen_tcp(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening TCP socket (port 0: the kernel picks a free one)."""
    return socket.create_server((host, port), backlog=128)


def listen_unix(path: str) -> socket.socket:
    """A listening Unix socket readable and writable by this user only."""
    if len(os.fsencode(path)) > UNIX_PATH_MAX:
        raise ValueError(f"Unix socket path is {len(os.fsencode(path))} bytes, over the "
                         f"{UNIX_PATH_MAX}-byte limit: {path}")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        sock.bind(path)
    finally:
        os.umask(old)
    sock.listen(128)
    return sock


def address_of(sock: socket.socket) -> str:
    """The `READY` line's address part: `host port` for TCP, the path for Unix sockets."""
    if sock.family == socket.AF_UNIX:
        return str(sock.getsockname())
    host, port = sock.getsockname()[:2]
    return f"{host} {port}"


def serve(listener: socket.socket, config: ServerConfig, stop: threading.Event) -> None:
    """Accept connections until `stop` is set or the listener is closed."""
    slots = threading.BoundedSemaphore(config.max_connections)
    while not stop.is_set():
        try:
            conn, peer = listener.accept()
        except OSError:
            if stop.is_set():
                return
            raise
        if not slots.acquire(blocking=False):
            log.warning("refused a connection: %d connections already open",
                        config.max_connections)
            conn.close()
            continue
        thread = threading.Thread(target=_serve_connection, args=(conn, peer, config, slots),
                                  daemon=True)
        thread.start()


def _serve_connection(conn: socket.socket, peer: object, config: ServerConfig,
                      slots: threading.BoundedSemaphore) -> None:
    who = peer or "unix peer"
    try:
        if conn.family in (socket.AF_INET, socket.AF_INET6):
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        set_timeouts(conn, config.timeout_s)
        reader = FrameReader(conn, config.max_frame, config.timeout_s)
        server_handshake(conn, reader, config.secret)
        mode = bytes(reader.read_frame())
        if mode == MODE_ROUNDTRIP:
            _echo(conn, reader, config.codec)
        elif mode.startswith(MODE_STREAM + b" ") and mode[len(MODE_STREAM) + 1:].isdigit():
            _sink(conn, reader, config.codec, int(mode[len(MODE_STREAM) + 1:]))
        else:
            log.warning("connection from %s closed: unknown mode %r", who, mode[:40])
    except PeerClosed as exc:
        if exc.truncated:
            log.warning("connection from %s closed: %s", who, exc)
    except TransportError as exc:
        log.warning("connection from %s closed: %s", who, exc)
    except Exception as exc:  # a frame the codec cannot decode: that connection only
        log.warning("connection from %s closed: %s: %s", who, type(exc).__name__,
                    str(exc).splitlines()[0] if str(exc) else "")
    finally:
        conn.close()
        slots.release()


def _echo(conn: socket.socket, reader: FrameReader, codec: Codec) -> None:
    """Round trip: decode, re-encode the decoded object, reply. Ends when the client closes."""
    read, decode, encode = reader.read_frame, codec.decode, codec.encode
    while True:
        send_frame(conn, encode(decode(read())))


def _sink(conn: socket.socket, reader: FrameReader, codec: Codec, batch: int) -> None:
    """Stream: decode every frame; acknowledge each batch with its frame count."""
    if batch < 1:
        raise TransportError(f"stream batch must be at least 1, got {batch}")
    read, decode = reader.read_frame, codec.decode
    ack = HEADER.pack(batch)
    while True:
        for _ in range(batch):
            decode(read())
        conn.sendall(ack)


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m serbench.transport.server")
    parser.add_argument("--codec", required=True)
    parser.add_argument("--transport", choices=["tcp", "uds"], required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--path", help="Unix socket path (uds)")
    parser.add_argument("--max-frame", type=int, default=DEFAULT_MAX_FRAME)
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S)
    parser.add_argument("--cpu", type=int, default=None, help="pin to this CPU")
    parser.add_argument("--gc", choices=["on", "off"], default="on")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Server process entry point: secret from stdin, READY line on stdout."""
    logging.basicConfig(level=logging.INFO, format="serbench-server[%(process)d]: %(message)s",
                        stream=sys.stderr)
    args = _parse_args(argv)
    secret = bytes.fromhex(sys.stdin.readline().strip())
    placement.pin_self(args.cpu)
    codec = get_codec(args.codec)
    if args.transport == "tcp":
        listener = listen_tcp(args.host, args.port)
    else:
        listener = listen_unix(args.path)
    config = ServerConfig(codec, secret, args.max_frame, args.timeout)
    stop = threading.Event()
    run_until_stdin_closes(listener, stop)
    placement.apply_gc_policy(args.gc)
    print(f"READY {args.transport} {address_of(listener)}", flush=True)
    try:
        serve(listener, config, stop)
    finally:
        if args.transport == "uds" and args.path:
            with contextlib.suppress(OSError):
                os.unlink(args.path)
    return 0


def run_until_stdin_closes(listener: socket.socket, stop: threading.Event) -> None:
    """Stop serving when stdin reaches EOF (the parent died or closed it), SIGTERM or SIGINT."""

    def shutdown() -> None:
        stop.set()
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)
        listener.close()

    def watch_stdin() -> None:
        with contextlib.suppress(OSError, ValueError):
            while sys.stdin.buffer.read(4096):
                pass
        shutdown()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        shutdown()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    threading.Thread(target=watch_stdin, daemon=True).start()


if __name__ == "__main__":
    raise SystemExit(main())
