"""The blocking server's serve loop: accept connections, one thread each, and answer each
connection in the mode it asks for, until told to stop. The process around it (secret,
signals, READY line) is `serbench.transport.server`.

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

import contextlib
import errno
import itertools
import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from serbench.codecs import Codec
from serbench.codecs.base import buffers
from serbench.common.vocabulary import DEFAULT_MAX_FRAME
from serbench.transport.auth import server_handshake
from serbench.transport.errors import HandshakeFailed, PeerClosed, TransportError
from serbench.transport.framing import SMALL_FRAME, FrameReader, send_frame, set_timeouts
from serbench.transport.hostinfo import info_reply, python_identity, python_mismatch
from serbench.transport.protocol import (
    ACK,
    DEFAULT_TIMEOUT_S,
    MODE_INFO,
    MODE_LOAD,
    MODE_ROUNDTRIP,
    MODE_SELECT,
    MODE_STATS,
    MODE_STREAM,
    PROTOCOL_VERSION,
    REQUEST_ID,
    SELECT_ERROR,
    SELECT_OK,
    stats_reply,
)

__all__ = ["DEFAULT_MAX_CONNECTIONS", "ServerConfig", "serve"]

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
    """Serve one connection; free its slot, log how it ended, then close it. In that order a
    client that reads "closed" in the log, or sees the connection closed, may connect again at
    once and find the slot free, and the log lines of one client's connections come in order."""
    ended = None
    try:
        ended = _conversation(conn, who, config)
    finally:
        slots.release()
        try:
            if ended is not None:
                log.log(*ended)
        finally:
            conn.close()


def _conversation(conn: socket.socket, who: str,
                  config: ServerConfig) -> tuple[int, str] | None:
    """The connection's whole exchange; how it ended, as (log level, message), or None."""
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
                return logging.WARNING, f"{who} closed {step}: refused: {chosen}"
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
            return logging.WARNING, f"{who} closed {step}: unknown mode {mode[:40]!r}"
    except PeerClosed as exc:
        if serving and not exc.truncated:
            return logging.INFO, f"{who} ended by the peer"
        return logging.WARNING, f"{who} closed {step}: {exc}"
    except HandshakeFailed as exc:
        return logging.WARNING, f"{who} closed {step}: handshake failed: {exc}"
    except TransportError as exc:
        return logging.WARNING, f"{who} closed {step}: {exc}"
    except OSError as exc:
        return logging.WARNING, f"{who} closed {step}: socket error: {exc}"
    except Exception as exc:  # a frame the codec cannot decode: that connection only
        text = str(exc).splitlines()[0][:200] if str(exc).strip() else "(no message)"
        return logging.WARNING, (f"{who} closed {step}: the {codec.name} codec failed on a "
                                 f"frame: {type(exc).__name__}: {text}")
    return None


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
            send_frame(conn, [frame[:size], *buffers(out)])


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
