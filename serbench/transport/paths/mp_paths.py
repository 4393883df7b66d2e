"""`mp-pipe` and `mp-queue`: the two channels of `multiprocessing`, to a forked peer.

- `mp-pipe`: one duplex `multiprocessing.Pipe()`; the codec's bytes go with `send_bytes` /
  `recv_bytes` (a list of buffers, pickle-oob's, is joined first: one copy, said per cell), the
  native codec's objects with `send(obj)` / `recv()` (multiprocessing's ForkingPickler).
- `mp-queue`: two `multiprocessing.Queue`s (requests, replies) of bytes, `put` / `get`: the
  queue's feeder thread, its lock and its pickling of the bytes object are all in the figure,
  as they are in any program that uses one; the native codec puts the object itself.

A killed peer is noticed at once as end-of-file on both: the client closes its copy of the
channel's writing end once the peer is forked (for the queue, its replies' `_writer`), so the
peer holds the only one.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from typing import Any, cast

from serbench.transport.paths.base import (
    ACK,
    PathBase,
    fork_peer,
    joined_frame,
    mode_message,
    peer_codec,
    serve_frames,
)

__all__ = ["PipePath", "QueuePath"]

_FORK = multiprocessing.get_context("fork")


class PipePath(PathBase):
    """A `multiprocessing.Pipe()` to a forked peer."""

    name = "mp-pipe"

    def _open(self) -> None:
        mine, theirs = _FORK.Pipe(duplex=True)
        self._conn = mine
        config = self.config

        def body() -> None:
            mine.close()
            codec = peer_codec(config)
            if codec is None:
                serve_frames(theirs.recv, theirs.send, None, config.max_frame)
            limit = config.max_frame

            def recv() -> bytes:
                return theirs.recv_bytes(limit)  # a longer message is refused unread

            send_bytes = theirs.send_bytes
            # The reply of a codec that hands out a list of buffers is joined, as the request is.
            serve_frames(recv, lambda reply: send_bytes(joined_frame(reply)), codec, limit)

        self.pid = fork_peer(body, self.log_fd())
        theirs.close()  # the peer's death is then end-of-file here
        self.config.described.update(
            channel="multiprocessing.Pipe(duplex=True), fork",
            calls=("send(obj) / recv()" if config.native
                   else "send_bytes(frame) / recv_bytes(max_frame)"),
            copies="a list of buffers (out-of-band) is joined into one message first")
        self._send: Callable[[Any], None]
        self._recv: Callable[[], Any]
        if config.native:
            self._send, self._recv = mine.send, mine.recv
        else:
            send_bytes, recv_bytes = mine.send_bytes, mine.recv_bytes
            self._send = lambda frame: send_bytes(joined_frame(frame))
            self._recv = lambda: recv_bytes(config.max_frame)

    def start(self, scenario: str, batch: int | None) -> None:
        """Send the mode message."""
        self._send(mode_message(scenario, batch))
        send_raw, recv = self._send, self._recv

        def send(frame: Any) -> None:
            try:
                send_raw(frame)
            except OSError as exc:  # the peer is gone: reset, broken pipe
                raise self.failure(exc) from exc

        def roundtrip(frame: Any) -> Any:
            try:
                send_raw(frame)
                return recv()
            except (EOFError, OSError) as exc:
                raise self.failure(exc) from exc

        self.roundtrip, self.send = roundtrip, send

    def read_ack(self) -> None:
        """The peer's acknowledgement of a batch."""
        try:
            self._recv()
        except (EOFError, OSError) as exc:
            raise self.failure(exc) from exc

    def _close(self) -> None:
        self._conn.close()


class QueuePath(PathBase):
    """Two `multiprocessing.Queue`s (requests, replies) to a forked peer."""

    name = "mp-queue"

    def _open(self) -> None:
        requests, replies = _FORK.Queue(), _FORK.Queue()
        self._queues = (requests, replies)
        config = self.config

        def body() -> None:
            codec = peer_codec(config)
            put = replies.put

            def send(reply: Any) -> None:  # a queue takes what pickles: bytes, not views
                put(reply if codec is None or type(reply) is bytes else _as_bytes(reply))

            serve_frames(requests.get, send, codec, config.max_frame)

        self.pid = fork_peer(body, self.log_fd())
        # The client never puts a reply: with its copy of the replies pipe's writing end
        # closed, the peer's death is end-of-file here, as on a pipe. Waiting instead with
        # `get(True, timeout)` builds a selector on every call (half as much again as the
        # round trip of a 64-byte frame) and a `poll` before each `get()` a fifth. `_writer`
        # is private, but unchanged since Python 3.4.
        cast(Any, replies)._writer.close()
        self.config.described.update(
            channel="two multiprocessing.Queue() (requests, replies), fork",
            calls="put(obj) / get()" if config.native else "put(frame bytes) / get()",
            copies="the feeder thread pickles each bytes frame (a copy) into the pipe; "
                   "a list of buffers (out-of-band) is joined first")

    def start(self, scenario: str, batch: int | None) -> None:
        """Send the mode message; build the calls."""
        requests, replies = self._queues
        requests.put(mode_message(scenario, batch))
        put, get = requests.put, replies.get
        native = self.config.native

        def send(frame: Any) -> None:
            put(frame if native else joined_frame(frame))

        def reply() -> Any:
            try:
                return get()
            except (EOFError, OSError) as exc:
                raise self.failure(exc) from exc

        def roundtrip(frame: Any) -> Any:
            put(frame if native else joined_frame(frame))
            return reply()

        self.roundtrip, self.send, self._reply = roundtrip, send, reply

    def read_ack(self) -> None:
        """The peer's acknowledgement of a batch."""
        if self._reply() != ACK:
            raise self.failure()

    def _close(self) -> None:
        for q in self._queues:
            q.cancel_join_thread()  # never wait for a dead peer to drain the pipe
            q.close()


def _as_bytes(frame: Any) -> bytes:
    """A frame as one bytes object: the bytes a view covers whole (a decoder that hands back
    its input, as `null` does: no copy of a 1 MiB reply), else a joined copy."""
    if type(frame) is memoryview and type(frame.obj) is bytes and frame.nbytes == len(frame.obj):
        return frame.obj
    return bytes(joined_frame(frame))
