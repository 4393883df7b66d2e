"""`zmq-ipc` and `zmq-tcp`: pyzmq DEALER (the cell) and ROUTER (a forked peer).

The client sends each frame as one ZeroMQ message, zero-copy (`copy=False`) where the codec
hands out buffers: a list of buffers (pickle-oob's out-of-band arrays) goes as a multipart
message without joining, and a large buffer is not copied into a ZeroMQ message. The peer
receives frames without copying (`copy=False`, decoding the frame's buffer); a multipart
message is joined there (one copy), since a decoder reads one buffer. The native codec is
`send_pyobj` / `recv_pyobj`, pyzmq's pickling (the ROUTER side does the same with its
routing frame in front).

`zmq-ipc` binds `ipc://@serbench-...`, a Linux abstract socket: no file exists, so nothing can
be left behind even by `kill -9`. `zmq-tcp` binds `tcp://127.0.0.1:*` (a free port). Both set
`ZMQ_MAXMSGSIZE` to `--max-frame`, so the peer refuses a longer message unread, and a receive
timeout, after which the client asks whether the peer still runs: a killed peer fails the
cell at once instead of hanging it.
"""

from __future__ import annotations

import os
import pickle
import secrets
from typing import Any

from serbench.transport.paths.base import (
    ACK,
    POLL_S,
    PathBase,
    PathUnavailable,
    fork_peer,
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

            def recv() -> Any:
                parts = router.recv_multipart(copy=False)
                who[0] = parts[0].bytes
                body = (parts[1].buffer if len(parts) == 2
                        else b"".join(p.buffer for p in parts[1:]))
                if codec is None and not raw[0]:
                    return pickle.loads(body)
                raw[0] = False
                return body

            def send(reply: Any) -> None:
                if codec is None and reply is not ACK:
                    reply = pickle.dumps(reply, pickle.DEFAULT_PROTOCOL)
                if isinstance(reply, list | tuple):
                    router.send_multipart([who[0], *reply], copy=False)
                else:
                    router.send_multipart([who[0], reply],
                                          copy=memoryview(reply).nbytes < ZERO_COPY_FROM)

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
        dealer.setsockopt(zmq.MAXMSGSIZE, config.max_frame)
        dealer.connect(bound)
        self._dealer = dealer
        self.config.described.update(
            channel=f"pyzmq {zmq.pyzmq_version()} (libzmq {zmq.zmq_version()}) DEALER -> "
                    f"ROUTER over {bound.split('://')[0]}://",
            endpoint=bound if self.scheme == "tcp" else "ipc://@ (Linux abstract socket)",
            calls="send_pyobj(obj) / recv_pyobj()" if config.native
            else "send_multipart(frame buffers, copy=False) / recv(copy=False)",
            copies=f"zero-copy send of buffers over {ZERO_COPY_FROM} bytes and of "
                   "out-of-band lists (multipart); zero-copy receive; the peer joins a "
                   "multipart message (one copy)")

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
        send, send_multipart = dealer.send, dealer.send_multipart
        recv_multipart = dealer.recv_multipart

        def send_frame(frame: Any) -> None:
            if isinstance(frame, list | tuple):
                send_multipart(frame, copy=False)
            else:
                send(frame, copy=memoryview(frame).nbytes < ZERO_COPY_FROM)

        def recv_reply() -> Any:
            # A reply of several buffers (pickle-oob) arrives as one multipart message.
            parts = recv_multipart(copy=False)
            return parts[0].buffer if len(parts) == 1 else b"".join(p.buffer for p in parts)

        def roundtrip_frame(frame: Any) -> Any:
            send_frame(frame)
            try:
                return recv_reply()
            except zmq.Again:
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
