"""`zmq-ipc` and `zmq-tcp`: pyzmq DEALER (the cell) and ROUTER (a forked peer).

The client sends each frame as one ZeroMQ message, zero-copy (`copy=False`) where the codec
hands out buffers: a list of buffers (pickle-oob's out-of-band arrays) goes as a multipart
message without joining, and a large buffer is not copied into a ZeroMQ message. Both ends
receive part by part, zero-copy after a large message and copied after a small one (what
each costs: `_receiver`); a multipart message is joined (one copy), since a decoder reads one
buffer. The native codec is `send_pyobj` / `recv_pyobj`, pyzmq's pickling (the ROUTER side
does the same with its routing frame in front).

`zmq-ipc` binds `ipc://@serbench-...`, a Linux abstract socket: no file exists, so nothing can
be left behind even by `kill -9`. `zmq-tcp` binds `tcp://127.0.0.1:*` (a free port). The peer sets
`ZMQ_MAXMSGSIZE` to `--max-frame`, so it refuses a longer message unread (the client does not:
the peer checks every reply against the limit before sending it, and the option costs the
client's receive a few per cent of a 64-byte round trip). The client sets a receive
timeout, after which the client asks whether the peer still runs: a killed peer fails the
cell at once instead of hanging it.
"""

from __future__ import annotations

import functools
import os
import pickle
import secrets
from collections.abc import Callable
from typing import Any

from serbench.transport.paths.base import (
    ACK,
    POLL_S,
    PathBase,
    PathUnavailable,
    fork_peer,
    frame_size,
    mode_message,
    peer_codec,
    serve_frames,
)

__all__ = ["ZmqIpcPath", "ZmqTcpPath", "zmq_missing"]

#: Below this, a frame is copied into the message (ZeroMQ's own advice: zero-copy costs more
#: than it saves for small messages).
ZERO_COPY_FROM = 64 * 1024


def zmq_missing() -> str | None:
    """Why the ZeroMQ paths cannot run here (None: they can)."""
    try:
        import zmq  # noqa: F401
    except ImportError:
        return "pyzmq is not installed (pip install 'serbench[transports]')"
    return None


def _zmq() -> Any:
    try:
        import zmq
    except ImportError as exc:
        raise PathUnavailable(zmq_missing() or str(exc)) from exc
    return zmq


#: The first part of a message whose body is several buffers (out-of-band arrays): a receiver
#: asks libzmq whether more parts follow only after an empty part.
_SEVERAL = b""


def _send(socket: Any, frame: Any) -> None:
    """Send one frame: a buffer (copied below ZERO_COPY_FROM: `copy=False` would copy it
    too, after a Python-level check), or a list of buffers zero-copy after `_SEVERAL`."""
    if isinstance(frame, list | tuple):
        socket.send_multipart([_SEVERAL, *frame], copy=False)
    else:
        socket.send(frame, 0, frame_size(frame) < ZERO_COPY_FROM)


def _receiver(socket: Any, zmq: Any) -> Callable[[], Any]:
    """A call receiving one message's body (after any routing id) as one buffer.

    Zero-copy (a Frame's buffer) only after a large message: received zero-copy, a small
    message costs more than its copy (a 64-byte null round trip over ipc:// was 1.40x the
    hand-written loop's, 1.14x copied), and in a cell the previous message's size is the
    next one's. Not recv_multipart, which asks libzmq for RCVMORE after every part (~1 us
    each through pyzmq): only an empty first part (`_SEVERAL`, or an empty body) is followed
    by that question. Several buffers are joined (one copy): a decoder reads one.
    """
    recv, getsockopt, rcvmore = socket.recv, socket.getsockopt, zmq.RCVMORE
    zero_copy = False

    def part() -> Any:
        return recv(0, False).buffer if zero_copy else recv(0, True)

    def receive() -> Any:
        nonlocal zero_copy
        body = recv(0, False).buffer if zero_copy else recv(0, True)
        if not len(body) and getsockopt(rcvmore):
            parts = [part()]
            while getsockopt(rcvmore):
                parts.append(part())
            body = b"".join(parts)
        zero_copy = len(body) >= ZERO_COPY_FROM
        return body

    return receive


class _ZmqPath(PathBase):
    """DEALER/ROUTER over one endpoint."""

    scheme = "tcp"

    def _endpoint(self) -> str:
        raise NotImplementedError

    def _open(self) -> None:
        zmq = _zmq()
        config = self.config
        endpoint = self._endpoint()
        ready_r, ready_w = os.pipe()

        def body() -> None:
            os.close(ready_r)
            # Pinned (in peer_codec) before the context exists: its I/O thread inherits the
            # CPU. Made after, the thread floats to the other vCPU, and every message pays a
            # cross-CPU wake-up (a 64-byte round trip over tcp:// 1.9x the hand-written loop's).
            codec = peer_codec(config)
            context = zmq.Context(1)
            router = context.socket(zmq.ROUTER)
            router.setsockopt(zmq.LINGER, 0)
            router.setsockopt(zmq.MAXMSGSIZE, config.max_frame)
            router.bind(endpoint)
            os.write(ready_w, router.getsockopt(zmq.LAST_ENDPOINT) + b"\n")
            os.close(ready_w)
            who: list[bytes] = [b""]
            raw = [True]  # the mode message is never pickled
            recv_part, send_part, receive = router.recv, router.send, _receiver(router, zmq)
            more = zmq.SNDMORE

            def recv() -> Any:
                who[0] = recv_part(0, True)  # the routing id; the body follows
                body = receive()
                if codec is None and not raw[0]:
                    return pickle.loads(body)
                raw[0] = False
                return body

            def send(reply: Any) -> None:
                if codec is None and reply is not ACK:
                    reply = pickle.dumps(reply, pickle.DEFAULT_PROTOCOL)
                send_part(who[0], more, True)
                _send(router, reply)

            try:
                serve_frames(recv, send, codec, config.max_frame)
            finally:
                router.close(0)
                context.term()

        self.pid = fork_peer(body, self.log_fd())
        os.close(ready_w)
        with os.fdopen(ready_r, "rb") as ready:
            bound = ready.readline().strip().decode()
        if not bound:
            raise self.failure()
        self._context = zmq.Context(1)
        dealer = self._context.socket(zmq.DEALER)
        dealer.setsockopt(zmq.LINGER, 0)
        dealer.setsockopt(zmq.RCVTIMEO, int(POLL_S * 1000))
        dealer.connect(bound)
        self._dealer = dealer
        self.config.described.update(
            channel=f"pyzmq {zmq.pyzmq_version()} (libzmq {zmq.zmq_version()}) DEALER -> "
                    f"ROUTER over {bound.split('://')[0]}://",
            endpoint=bound if self.scheme == "tcp" else "ipc://@ (Linux abstract socket)",
            calls="send_pyobj(obj) / recv_pyobj()" if config.native
            else "send(frame) (a list: send_multipart) / recv() part by part",
            copies=f"zero-copy send of buffers of {ZERO_COPY_FROM} bytes and more and of "
                   "out-of-band lists (multipart); zero-copy receive after a message of that "
                   "size; a multipart message is joined (one copy)")

    def start(self, scenario: str, batch: int | None) -> None:
        """Send the mode message; build the calls."""
        zmq = _zmq()
        dealer = self._dealer
        dealer.send(mode_message(scenario, batch))
        if self.config.native:
            send_pyobj, recv_pyobj = dealer.send_pyobj, dealer.recv_pyobj

            def roundtrip(obj: Any) -> Any:
                send_pyobj(obj)
                try:
                    return recv_pyobj()
                except zmq.Again:
                    return self._wait(recv_pyobj)

            self.roundtrip, self.send = roundtrip, send_pyobj
            return
        recv_reply, again = _receiver(dealer, zmq), zmq.Again
        send_frame = functools.partial(_send, dealer)

        def roundtrip_frame(frame: Any) -> Any:
            _send(dealer, frame)
            try:
                return recv_reply()
            except again:
                return self._wait(recv_reply)

        self.roundtrip, self.send = roundtrip_frame, send_frame

    def _wait(self, recv: Any) -> Any:
        """Keep receiving while the peer runs, up to the I/O timeout."""
        zmq, missed = _zmq(), object()

        def again() -> Any:
            try:
                return recv()
            except zmq.Again:
                return missed

        return self.keep_waiting(again, missed, self.config.timeout_s)

    def read_ack(self) -> None:
        """The peer's acknowledgement of a batch."""
        zmq = _zmq()
        try:
            reply = self._dealer.recv()
        except zmq.Again:
            reply = self._wait(self._dealer.recv)
        if reply != ACK:
            raise self.failure()

    def _close(self) -> None:
        self._dealer.close(0)
        self._context.term()


class ZmqIpcPath(_ZmqPath):
    """ZeroMQ over `ipc://` (a Linux abstract socket: no file)."""

    name = "zmq-ipc"
    scheme = "ipc"

    def _endpoint(self) -> str:
        return f"ipc://@serbench-{os.getpid()}-{secrets.token_hex(6)}"


class ZmqTcpPath(_ZmqPath):
    """ZeroMQ over `tcp://127.0.0.1` (a free port)."""

    name = "zmq-tcp"

    def _endpoint(self) -> str:
        return "tcp://127.0.0.1:*"
