"""`redis`: a list queue on a real redis-server, the way RQ and Celery (kombu) move jobs.

The cell's worker starts its own private server (`redis_server.RedisServer`: Unix socket, no
persistence) and forks a peer; both talk to it through redis-py with hiredis's parser. The
round trip is `LPUSH requests frame` then `BRPOP replies`: the peer `BRPOP`s the request,
decodes, re-encodes and `LPUSH`es the reply, so each message crosses two processes and the
server twice, as a job and its result do. A stream is `batch` LPUSHes acknowledged by one
reply. The native codec pickles as kombu's and RQ's pickle serializer do:
`pickle.dumps(obj, pickle.HIGHEST_PROTOCOL)` / `pickle.loads`. A killed server or peer fails
the cell with one line (a connection error, or no reply within the I/O timeout).

Every frame is handed to redis-py as `handed` gives it, whatever type the codec returned
(bytes, a memoryview): see there.
"""

from __future__ import annotations

import contextlib
import pickle
from typing import Any

from serbench.transport.paths.base import (
    ACK,
    POLL_S,
    PathBase,
    PathFailed,
    PathUnavailable,
    fork_peer,
    joined_frame,
    mode_message,
    peer_codec,
    serve_frames,
)
from serbench.transport.paths.redis_server import RedisServer, redis_missing

__all__ = ["UNCOPIED_FROM", "RedisPath", "handed"]

REQUESTS, REPLIES = b"serbench:requests", b"serbench:replies"
#: From this size on a frame goes to redis-py as a memoryview (see `handed`).
UNCOPIED_FROM = 64 * 1024


def handed(frame: Any) -> Any:
    """The frame as redis-py sends it cheapest: a memoryview from `UNCOPIED_FROM` bytes on,
    else bytes.

    With hiredis, redis-py packs a command into one new buffer (`hiredis.pack_command`: a copy
    of every argument), unless an argument is a memoryview: then its own packer writes a value
    over 6 000 bytes to the socket as a chunk of its own, uncopied, for a few microseconds of
    Python. So a codec returning a memoryview (`null`) skipped a copy that one returning bytes
    paid (a 1 MiB round trip 0.85x the same loop with bytes, measured), and a small memoryview
    paid the Python packer. Handed over by size, every codec's frame travels the same way.
    """
    if type(frame) is bytes and len(frame) < UNCOPIED_FROM:  # the common case: as it is
        return frame
    view = memoryview(frame).cast("B")
    return view if view.nbytes >= UNCOPIED_FROM else view.tobytes()


def _client(socket_path: str, timeout_s: float) -> Any:
    """A client that never retries: a failed call fails the cell at once (redis-py's default
    retries a lost connection with back-off, seconds a dead server would cost silently)."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return redis.Redis(unix_socket_path=socket_path, socket_timeout=timeout_s + 5.0,
                       protocol=2, retry=Retry(NoBackoff(), 0))


class RedisPath(PathBase):
    """A private redis-server, a list queue each way, and a forked peer."""

    name = "redis"

    def _open(self) -> None:
        missing = redis_missing()
        if missing:
            raise PathUnavailable(missing)
        import redis

        self.server = RedisServer(self.config.max_frame).start()
        config, path = self.config, self.server.socket_path
        assert path is not None
        timeout = config.timeout_s

        def body() -> None:
            client = _client(path, timeout)
            codec = peer_codec(config)
            raw = [True]  # the mode message is never pickled

            def recv() -> Any:
                popped = client.brpop([REQUESTS], timeout=0)
                if codec is None and not raw[0]:
                    return pickle.loads(popped[1])
                raw[0] = False
                return popped[1]

            def send(reply: Any) -> None:
                if codec is None and reply is not ACK:
                    reply = pickle.dumps(reply, pickle.HIGHEST_PROTOCOL)
                client.lpush(REPLIES, handed(joined_frame(reply)))

            with contextlib.suppress(redis.ConnectionError):  # the server is gone: the cell too
                serve_frames(recv, send, codec, config.max_frame)

        self.pid = fork_peer(body, self.log_fd())
        self._client = _client(path, timeout)
        from redis.utils import HIREDIS_AVAILABLE

        self.config.described.update(
            server=f"redis-server {self.server.version}, private Unix socket, --save '' "
                   "--appendonly no",
            client=f"redis-py {redis.__version__}"
                   f"{' with hiredis' if HIREDIS_AVAILABLE else ' (hiredis missing)'}",
            calls=("LPUSH requests pickle.dumps(obj, HIGHEST_PROTOCOL) / BRPOP replies"
                   if config.native else "LPUSH requests frame / BRPOP replies"),
            copies=f"redis-py packs a frame under {UNCOPIED_FROM // 1024} KiB into the command "
                   "(one copy) and writes a larger one to the socket uncopied; the server "
                   "stores and sends it; a list of buffers (out-of-band) is joined first")

    def start(self, scenario: str, batch: int | None) -> None:
        """Send the mode message; build the calls."""
        import redis

        client, native, timeout = self._client, self.config.native, self.config.timeout_s
        lpush, brpop = client.lpush, client.brpop
        lpush(REQUESTS, mode_message(scenario, batch))
        dumps, loads, protocol = pickle.dumps, pickle.loads, pickle.HIGHEST_PROTOCOL

        def again() -> Any:
            try:
                return brpop([REPLIES], timeout=POLL_S)
            except redis.ConnectionError as exc:
                raise self.failure(exc) from exc

        def pop() -> Any:
            popped = again()
            if popped is None:
                popped = self.keep_waiting(again, None, timeout)
            return popped[1]

        def send(frame: Any) -> None:
            try:
                lpush(REQUESTS, handed(dumps(frame, protocol) if native else joined_frame(frame)))
            except redis.ConnectionError as exc:
                raise self.failure(exc) from exc

        def roundtrip(frame: Any) -> Any:
            send(frame)
            reply = pop()
            return loads(reply) if native else reply

        self.roundtrip, self.send, self._pop = roundtrip, send, pop

    def read_ack(self) -> None:
        """The peer's acknowledgement of a batch."""
        if self._pop() != ACK:
            raise self.failure()

    def failure(self, exc: BaseException | None = None) -> PathFailed:
        """Name the server when it is the one that died."""
        server: RedisServer | None = getattr(self, "server", None)
        ended = server.exit_status() if server is not None else None
        if server is not None and ended is not None:
            return PathFailed(f"redis: the redis-server (pid {server.pid}) died ({ended})")
        return super().failure(exc)

    def _close(self) -> None:
        self._client.close()

    def close(self) -> None:
        """Stop the peer, then the server (its pid gone, its socket and directory removed)."""
        try:
            super().close()
        finally:
            server = getattr(self, "server", None)
            if server is not None:
                server.stop()
