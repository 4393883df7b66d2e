"""The hand-written floor of each path (serbench.transport.paths), timed against serbench's
path in one process by `interleaved_paths`.

For each path the shortest loop a user would write: the same frame sent and echoed back by a
forked peer that does nothing else (`send_bytes`/`recv_bytes`; `put`/`get`; `submit(echo,
frame).result()`; a shared-memory region and a pipe of lengths; a DEALER and a ROUTER that
sends back what it receives part by part, copying only below ZeroMQ's zero-copy size;
`LPUSH`/`BRPOP` on a private redis-server, a large value as a memoryview).
`OPENERS[transport](cleanup, peer_cpu, size)` forks the peer (closed by `cleanup`) and returns
the loop's one round trip.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import struct
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import shared_memory
from typing import Any

from serbench.common.vocabulary import PATH_TRANSPORTS
from serbench.transport import placement
from serbench.transport.paths.base import fork_peer, stop_peer
from serbench.transport.paths.redis_path import UNCOPIED_FROM
from serbench.transport.paths.redis_server import RedisServer
from serbench.transport.paths.zmq_path import ZERO_COPY_FROM

_FORK = multiprocessing.get_context("fork")
_LENGTH = struct.Struct("<Q")
#: One round trip of the hand-written loop: send the frame, return the echo.
Call = Callable[[bytes], Any]


def _peer(cleanup: contextlib.ExitStack, cpu: int | None, body: Callable[[], None]) -> None:
    def pinned() -> None:
        placement.pin_self(cpu)
        body()

    pid = fork_peer(pinned)
    cleanup.callback(stop_peer, pid)


def _pipe(cleanup: contextlib.ExitStack, cpu: int | None, size: int) -> Call:
    mine, theirs = _FORK.Pipe()

    def body() -> None:
        while True:
            theirs.send_bytes(theirs.recv_bytes())

    _peer(cleanup, cpu, body)
    theirs.close()
    send_bytes, recv_bytes = mine.send_bytes, mine.recv_bytes

    def call(frame: bytes) -> Any:
        send_bytes(frame)
        return recv_bytes()

    return call


def _queue(cleanup: contextlib.ExitStack, cpu: int | None, size: int) -> Call:
    requests, replies = _FORK.Queue(), _FORK.Queue()

    def body() -> None:
        while True:
            replies.put(requests.get())

    _peer(cleanup, cpu, body)
    for q in (requests, replies):
        cleanup.callback(q.close)
        cleanup.callback(q.cancel_join_thread)
    put, get = requests.put, replies.get

    def call(frame: bytes) -> Any:
        put(frame)
        return get()

    return call


def _echo(frame: bytes) -> bytes:
    return frame


def _pool(cleanup: contextlib.ExitStack, cpu: int | None, size: int) -> Call:
    pool = ProcessPoolExecutor(1, mp_context=_FORK, initializer=placement.pin_self,
                               initargs=(cpu,))
    cleanup.callback(pool.shutdown, wait=True, cancel_futures=True)
    submit = pool.submit

    def call(frame: bytes) -> Any:
        return submit(_echo, frame).result()

    return call


def _shm(cleanup: contextlib.ExitStack, cpu: int | None, size: int) -> Call:
    shm = shared_memory.SharedMemory(create=True, size=2 * size)
    buf = shm.buf
    assert buf is not None
    requests, replies = buf[:size], buf[size:]
    mine, theirs = _FORK.Pipe()

    def body() -> None:
        while True:
            (n,) = _LENGTH.unpack(theirs.recv_bytes())
            replies[:n] = requests[:n]
            theirs.send_bytes(_LENGTH.pack(n))

    try:
        _peer(cleanup, cpu, body)
    finally:
        shm.unlink()
    theirs.close()

    def close() -> None:
        requests.release()
        replies.release()
        shm.close()

    cleanup.callback(close)
    send_bytes, recv_bytes, pack, unpack = mine.send_bytes, mine.recv_bytes, _LENGTH.pack, \
        _LENGTH.unpack

    def call(frame: bytes) -> Any:
        n = len(frame)
        requests[:n] = frame
        send_bytes(pack(n))
        return replies[:unpack(recv_bytes())[0]]

    return call


def _zmq(scheme: str) -> Callable[[contextlib.ExitStack, int | None, int], Call]:
    def opener(cleanup: contextlib.ExitStack, cpu: int | None, size: int) -> Call:
        import zmq

        endpoint = (f"ipc://@serbench-raw-{os.getpid()}" if scheme == "ipc"
                    else "tcp://127.0.0.1:*")
        ready_r, ready_w = os.pipe()

        # ZeroMQ's advice, as a user who reads it writes the loop: copy a small message,
        # hand a large one over without a copy.
        copy = size < ZERO_COPY_FROM

        def body() -> None:
            router = zmq.Context(1).socket(zmq.ROUTER)
            router.bind(endpoint)
            os.write(ready_w, router.getsockopt_string(zmq.LAST_ENDPOINT).encode() + b"\n")
            # Part by part: recv_multipart asks for RCVMORE after each part (~1 us apiece).
            recv, send, more = router.recv, router.send, zmq.SNDMORE
            while True:
                who = recv(0, True)
                send(who, more, True)
                send(recv(0, copy), 0, copy)

        _peer(cleanup, cpu, body)
        os.close(ready_w)
        with os.fdopen(ready_r, "rb") as ready:
            bound = ready.readline().strip().decode()
        context = zmq.Context(1)
        dealer = context.socket(zmq.DEALER)
        dealer.setsockopt(zmq.LINGER, 0)
        dealer.connect(bound)
        cleanup.callback(context.term)
        cleanup.callback(dealer.close, 0)
        send, recv = dealer.send, dealer.recv

        def call(frame: bytes) -> Any:
            send(frame, 0, copy)
            return recv(0, copy)

        return call

    return opener


def _redis(cleanup: contextlib.ExitStack, cpu: int | None, size: int) -> Call:
    import redis

    server = cleanup.enter_context(RedisServer())
    path = server.socket_path

    # A large value goes as a memoryview, which redis-py sends uncopied (redis_path.handed).
    hand: Callable[[bytes], Any] = memoryview if size >= UNCOPIED_FROM else bytes

    def body() -> None:
        client: Any = redis.Redis(unix_socket_path=path)
        while True:
            client.lpush("r", hand(client.brpop(["q"])[1]))

    _peer(cleanup, cpu, body)
    client: Any = redis.Redis(unix_socket_path=path)
    cleanup.callback(client.close)
    lpush, brpop = client.lpush, client.brpop

    def call(frame: bytes) -> Any:
        lpush("q", hand(frame))
        return brpop(["r"])[1]

    return call


OPENERS: dict[str, Callable[[contextlib.ExitStack, int | None, int], Call]] = {
    "mp-pipe": _pipe, "mp-queue": _queue, "pool": _pool, "shm": _shm,
    "zmq-ipc": _zmq("ipc"), "zmq-tcp": _zmq("tcp"),
    "redis": _redis,
}
assert set(OPENERS) == set(PATH_TRANSPORTS)

