"""The scenario server: decodes what the client sends and answers, in its own process.

Run as `python -m serbench.transport.server --codec NAME --transport tcp|uds ...`; it reads the
run's secret (hex) from the first line of stdin, prints one `READY <transport> <address>` line
when it listens, and exits when its stdin closes (its parent is gone), on SIGTERM or SIGINT.
`serbench serve` runs the same server (`run`) with a secret from a file and no stdin watch.

Per connection: the handshake, then one mode frame, then frames until the client closes.
- `roundtrip`: decode each frame, encode the decoded object, send it back;
- `stream <batch>`: decode each frame; after every `batch` frames send a 4-byte acknowledgement;
- `load`: as `roundtrip`, each frame prefixed by an 8-byte request id the reply repeats;
- `stats`: one reply with the server's kind and CPU time (`protocol.stats_reply`).
A bad frame (too large, truncated, undecodable), a failed handshake or a silent peer costs only
its own connection: one log line saying which connection, at which step and why, the
connection closed, the server keeps serving. Nothing a peer sends is buffered beyond the
handshake's 64 bytes, let alone decoded, before the handshake succeeds.

Memory is bounded by the settings: at most `max_connections` connections (more are refused
with a log line), each with one receive buffer of at most `max_frame` + 4 bytes (a length
prefix above `max_frame` is refused before anything is allocated), plus what the codec makes of
one frame.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import itertools
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType

from serbench.codecs import Codec, get_codec
from serbench.codecs.base import parts
from serbench.codecs.bind import bound_codec
from serbench.common.vocabulary import DEFAULT_MAX_FRAME
from serbench.payloads.cache import made_payload
from serbench.transport import placement
from serbench.transport.auth import check_secret, server_handshake
from serbench.transport.errors import HandshakeFailed, PeerClosed, TransportError
from serbench.transport.framing import SMALL_FRAME, FrameReader, send_frame, set_timeouts
from serbench.transport.hostinfo import info_reply, python_identity, python_mismatch

# Re-exported (`X as X`): the protocol's words used to live here, and callers still find them.
from serbench.transport.protocol import (
    ACK,
    MODE_INFO,
    MODE_LOAD,
    MODE_SELECT,
    MODE_STATS,
    PROTOCOL_VERSION,
    READY,
    REQUEST_ID,
    SELECT_ERROR,
    SELECT_OK,
    stats_reply,
)
from serbench.transport.protocol import DEFAULT_TIMEOUT_S as DEFAULT_TIMEOUT_S
from serbench.transport.protocol import MODE_ROUNDTRIP as MODE_ROUNDTRIP
from serbench.transport.protocol import MODE_STREAM as MODE_STREAM
from serbench.transport.protocol import UNIX_PATH_MAX as UNIX_PATH_MAX

log = logging.getLogger("serbench.server")

DEFAULT_MAX_CONNECTIONS = 16
#: accept() errors that say "not now" (resources) or "that one is gone", not "stop serving".
_ACCEPT_RETRY = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}
_ACCEPT_SKIP = {errno.ECONNABORTED, errno.EPROTO, errno.EPERM, errno.EINTR}


@dataclass
class ServerConfig:
    """Everything a server needs besides its listening socket."""

    codec: Codec
    secret: bytes
    max_frame: int = DEFAULT_MAX_FRAME
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    #: Builds the codec a connection names (`select` frame); None: only `codec` is served.
    choose: Callable[[str, str | None], Codec] | None = None


def listen_tcp(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening TCP socket (port 0: the kernel picks a free one); IPv4 or IPv6."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family, backlog=128)


def listen_unix(path: str) -> socket.socket:
    """A listening Unix socket readable and writable by this user only."""
    if len(os.fsencode(path)) > UNIX_PATH_MAX:
        raise ValueError(f"Unix socket path is {len(os.fsencode(path))} bytes, over the "
                         f"{UNIX_PATH_MAX}-byte limit: {path}")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        sock.bind(path)
    except BaseException:
        sock.close()
        raise
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


def ready_line(sock: socket.socket) -> str:
    """`READY tcp HOST PORT` or `READY uds PATH`: what a parent waits for."""
    kind = "uds" if sock.family == socket.AF_UNIX else "tcp"
    return f"{READY} {kind} {address_of(sock)}"


def serve(listener: socket.socket, config: ServerConfig, stop: threading.Event) -> None:
    """Accept connections until `stop` is set or the listener is closed."""
    slots = threading.BoundedSemaphore(config.max_connections)
    for number in itertools.count(1):
        if stop.is_set():
            return
        try:
            conn, peer = listener.accept()
        except OSError as exc:
            if stop.is_set() or listener.fileno() == -1:
                return
            if exc.errno in _ACCEPT_RETRY:
                log.warning("cannot accept a connection now (%s); retrying", exc)
                time.sleep(0.1)
                continue
            if exc.errno in _ACCEPT_SKIP:
                log.warning("a connection vanished before it was accepted (%s)", exc)
                continue
            raise
        who = f"connection #{number} from {_peer_name(conn, peer)}"
        if not slots.acquire(blocking=False):
            log.warning("%s refused: %d connections already open", who,
                        config.max_connections)
            conn.close()
            continue
        thread = threading.Thread(target=_serve_connection, args=(conn, who, config, slots),
                                  name=f"serbench-conn-{number}", daemon=True)
        try:
            thread.start()
        except RuntimeError as exc:  # cannot start a thread: refuse this one, keep serving
            slots.release()
            conn.close()
            log.warning("%s refused: %s", who, exc)


def _peer_name(conn: socket.socket, peer: object) -> str:
    if conn.family == socket.AF_UNIX:
        return "a Unix-socket peer"
    if isinstance(peer, tuple) and len(peer) >= 2:
        host, port = peer[0], peer[1]
        return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"
    return str(peer)


def _serve_connection(conn: socket.socket, who: str, config: ServerConfig,
                      slots: threading.BoundedSemaphore) -> None:
    step = "during the handshake"
    serving = False
    codec = config.codec
    try:
        if conn.family in (socket.AF_INET, socket.AF_INET6):
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        set_timeouts(conn, config.timeout_s)
        server_handshake(conn, config.secret, config.timeout_s)
        # The receive buffer exists only for peers that proved they hold the secret.
        step = "at its mode frame"
        reader = FrameReader(conn, config.max_frame, config.timeout_s)
        mode = bytes(reader.read_frame())
        if mode.startswith(MODE_SELECT + b" "):
            step = "naming its codec"
            chosen = _select(conn, config, mode[len(MODE_SELECT) + 1:])
            if isinstance(chosen, str):
                log.warning("%s closed %s: refused: %s", who, step, chosen)
                return
            codec, step = chosen, "at its mode frame"
            serving = True  # a client may name its codec and leave (a check before a run)
            mode = bytes(reader.read_frame())
        serving = True
        if mode == MODE_ROUNDTRIP:
            step = "in roundtrip mode"
            _echo(conn, reader, codec)
        elif mode.startswith(MODE_STREAM + b" ") and mode[len(MODE_STREAM) + 1:].isdigit():
            step = "in stream mode"
            _sink(conn, reader, codec, int(mode[len(MODE_STREAM) + 1:]))
        elif mode == MODE_LOAD:
            step = "in load mode"
            _answer_load(conn, reader, codec)
        elif mode == MODE_STATS:
            send_frame(conn, stats_reply("blocking"))
        elif mode == MODE_INFO:

            send_frame(conn, info_reply(PROTOCOL_VERSION))
        else:
            log.warning("%s closed %s: unknown mode %r", who, step, mode[:40])
    except PeerClosed as exc:
        if serving and not exc.truncated:
            log.info("%s ended by the peer", who)
        else:
            log.warning("%s closed %s: %s", who, step, exc)
    except HandshakeFailed as exc:
        log.warning("%s closed %s: handshake failed: %s", who, step, exc)
    except TransportError as exc:
        log.warning("%s closed %s: %s", who, step, exc)
    except OSError as exc:
        log.warning("%s closed %s: socket error: %s", who, step, exc)
    except Exception as exc:  # a frame the codec cannot decode: that connection only
        text = str(exc).splitlines()[0][:200] if str(exc).strip() else "(no message)"
        log.warning("%s closed %s: the %s codec failed on a frame: %s: %s", who, step,
                    codec.name, type(exc).__name__, text)
    finally:
        conn.close()
        slots.release()


def _select(conn: socket.socket, config: ServerConfig, body: bytes) -> Codec | str:
    """The codec a client names (`protocol.select_frame`), answered `ok`; or the reason it is
    refused, answered `error <reason>` (the caller closes the connection)."""
    import json


    try:
        asked = json.loads(body)
        name, payload, python = str(asked["codec"]), asked.get("payload"), asked.get("python")
        if config.choose is not None:
            codec = config.choose(name, payload)
        elif name == config.codec.name:
            codec = config.codec
        else:
            raise ValueError(f"this server serves only {config.codec.name}, not {name}")
        mismatch = python_mismatch(python_identity(), python if isinstance(python, dict) else {})
        if codec.same_python_only and mismatch:
            raise ValueError(f"{name} needs the same Python on both hosts: {mismatch}")
    except Exception as exc:  # a bad request or a refused codec: that connection only
        reason = str(exc).splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        with contextlib.suppress(OSError):
            send_frame(conn, SELECT_ERROR + b" " + reason.encode())
        return reason
    send_frame(conn, SELECT_OK)
    return codec


def _echo(conn: socket.socket, reader: FrameReader, codec: Codec) -> None:
    """Round trip: decode, re-encode the decoded object, reply. Ends when the client closes."""
    read, decode, encode = reader.read_frame, codec.decode, codec.encode
    while True:
        send_frame(conn, encode(decode(read())))


def _answer_load(conn: socket.socket, reader: FrameReader, codec: Codec) -> None:
    """Load: decode the body after the request id, re-encode, reply with the same id first.
    A small reply goes out as one buffer (one syscall), a large one without joining."""
    read, decode, encode = reader.read_frame, codec.decode, codec.encode
    size = REQUEST_ID.size
    while True:
        frame = read()
        if frame.nbytes < size:
            raise TransportError(f"a load frame of {frame.nbytes} bytes has no {size}-byte "
                                 "request id")
        out = encode(decode(frame[size:]))
        if type(out) is bytes and len(out) <= SMALL_FRAME:
            send_frame(conn, bytes(frame[:size]) + out)
        else:
            send_frame(conn, [frame[:size], *parts(out)])


def _sink(conn: socket.socket, reader: FrameReader, codec: Codec, batch: int) -> None:
    """Stream: decode every frame; acknowledge each batch with its frame count."""
    if batch < 1:
        raise TransportError(f"stream batch must be at least 1, got {batch}")
    read, decode = reader.read_frame, codec.decode
    ack = ACK.pack(batch)
    while True:
        for _ in range(batch):
            decode(read())
        conn.sendall(ack)


def configure_logging(with_time: bool = False) -> None:
    """One line per event on stderr, prefixed with the server's process id."""
    stamp = "%(asctime)s " if with_time else ""
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format=f"{stamp}serbench-server[%(process)d]: %(message)s")


def install_shutdown(listener: socket.socket, stop: threading.Event, *,
                     watch_stdin: bool) -> None:
    """Stop serving on SIGTERM, SIGINT or SIGHUP, and (with `watch_stdin`) when stdin reaches
    EOF: the parent died or closed it. Call from the main thread."""

    def shutdown() -> None:
        stop.set()
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)
        listener.close()

    def watch() -> None:
        # os.read on the descriptor, not sys.stdin: a daemon thread blocked inside the
        # buffered reader holds its lock, and interpreter shutdown then aborts the process
        # ("could not acquire lock for <stdin> at interpreter shutdown") after a 1 s wait.
        with contextlib.suppress(OSError, ValueError):
            while os.read(fd, 4096):
                pass
        shutdown()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        shutdown()

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, on_signal)
    if watch_stdin:
        fd = sys.stdin.fileno()
        threading.Thread(target=watch, name="serbench-stdin-watch", daemon=True).start()


def run(listener: socket.socket, config: ServerConfig, *, watch_stdin: bool,
        gc_policy: str = "on") -> None:
    """Serve on `listener` until a signal (or stdin EOF): print the READY line on stdout once
    the server listens and is set up, then accept connections. Used by both entry points."""
    check_secret(config.secret)
    stop = threading.Event()
    install_shutdown(listener, stop, watch_stdin=watch_stdin)
    placement.apply_gc_policy(gc_policy)
    print(ready_line(listener), flush=True)
    serve(listener, config, stop)


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
    parser.add_argument("--max-connections", type=int, default=DEFAULT_MAX_CONNECTIONS)
    add_payload_arguments(parser)
    return parser.parse_args(argv)


def add_payload_arguments(parser: argparse.ArgumentParser) -> None:
    """`--payload` and `--payload-cache`, which every server kind takes for `bind_to_payload`."""
    parser.add_argument("--payload", default=None, metavar="SPEC",
                        help="the payload a shape-derived codec (schema, typed) is bound to")
    parser.add_argument("--payload-cache", default=None, metavar="FILE",
                        help="the run's pickled payload, read instead of generating it")


def bind_to_payload(codec: Codec, spec: str | None, cache: str | None) -> Codec:
    """The codec this server decodes with: a codec derived from the payload's shape (schema
    codecs, typed models) is bound to the payload first, as the client binds its own."""
    if codec.specialise is None:
        return codec
    if spec is None:
        raise SystemExit(f"codec {codec.name} is derived from the payload's shape: "
                         "start the server with --payload SPEC")

    return bound_codec(codec, made_payload(spec, cache))


def serve_from_command_line(args: argparse.Namespace,
                            serve: Callable[[socket.socket, Codec, bytes], None]) -> int:
    """What every server kind's `main` does around `serve(listener, codec, secret)`: the secret
    from stdin, the pinning, the codec (bound to its payload), the listener, and the Unix socket
    removed afterwards. 2 when stdin holds no usable secret."""
    try:
        secret = check_secret(bytes.fromhex(sys.stdin.readline().strip()))
    except ValueError as exc:
        log.error("no usable secret on stdin (expected at least 32 hex digits): %s", exc)
        return 2
    placement.pin_self(args.cpu)
    codec = bind_to_payload(get_codec(args.codec), args.payload, args.payload_cache)
    listener = (listen_tcp(args.host, args.port) if args.transport == "tcp"
                else listen_unix(args.path))
    try:
        serve(listener, codec, secret)
    finally:
        if args.transport == "uds" and args.path:
            with contextlib.suppress(OSError):
                os.unlink(args.path)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Server process entry point: secret from stdin, READY line on stdout."""
    configure_logging()
    args = _parse_args(argv)

    def serve(listener: socket.socket, codec: Codec, secret: bytes) -> None:
        config = ServerConfig(codec, secret, args.max_frame, args.timeout,
                              args.max_connections)
        run(listener, config, watch_stdin=True, gc_policy=args.gc)

    return serve_from_command_line(args, serve)


if __name__ == "__main__":
    raise SystemExit(main())
