"""The delay relay: forwards TCP between the two sides and holds every chunk for a while.

`python -m serbench.transport.link.relay --listen HOST --to HOST:PORT --hold-s S`, started inside
the
middle namespace. Per accepted connection it opens one to `--to` and runs one thread pair per
direction: a reader stamps each chunk it receives at t with t + S and queues it, a writer sends
it at that time, in order. Nothing else waits, so the relay adds S plus its own hop (measured
through `--zero-port`, which forwards with no hold). Queues are bounded (the reader waits when
the writer is behind), so a fast sender meets the link's back-pressure, not the relay's memory.

It is a split-TCP relay: each side's TCP sees a short round trip, so TCP's window-over-RTT
limit is not reproduced; the added latency of every exchange and the bandwidth are. It prints
`READY` when it listens and exits when its stdin closes (its parent is gone).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import sys
import threading
import time
from collections import deque

CHUNK = 256 * 1024
#: The last stretch of a hold is spun, not slept: time.sleep overshoots by ~0.1 ms here,
#: which would add a fifth of a 0.5 ms delay per direction.
SPIN_S = 150e-6
MAX_QUEUED = 8 * 2**20


class _Direction:
    """One direction of one connection: bytes received at t are sent at t + hold."""

    def __init__(self, src: socket.socket, dst: socket.socket, hold_s: float) -> None:
        self.src, self.dst, self.hold_s = src, dst, hold_s
        self.queue: deque[tuple[float, bytes]] = deque()
        self.queued = 0
        self.cond = threading.Condition()

    def read(self) -> None:
        try:
            while True:
                try:
                    data = self.src.recv(CHUNK)
                except OSError:
                    data = b""
                due = time.monotonic() + self.hold_s
                with self.cond:
                    while self.queued > MAX_QUEUED:
                        self.cond.wait()
                    self.queue.append((due, data))
                    self.queued += len(data)
                    self.cond.notify_all()
                if not data:
                    return
        finally:
            with self.cond:
                self.cond.notify_all()

    def write(self) -> None:
        try:
            while True:
                with self.cond:
                    while not self.queue:
                        self.cond.wait()
                    due, data = self.queue.popleft()
                    self.queued -= len(data)
                    self.cond.notify_all()
                wait = due - time.monotonic()
                if wait > SPIN_S:
                    time.sleep(wait - SPIN_S)
                while time.monotonic() < due:
                    pass
                if not data:
                    with contextlib.suppress(OSError):
                        self.dst.shutdown(socket.SHUT_WR)
                    return
                self.dst.sendall(data)
        except OSError:
            for sock in (self.src, self.dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


def _nodelay(sock: socket.socket) -> None:
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def relay_connection(client: socket.socket, target: tuple[str, int], hold_s: float) -> None:
    """Forward one accepted connection both ways until both directions end."""
    try:
        upstream = socket.create_connection(target, timeout=10)
    except OSError:
        client.close()
        return
    upstream.settimeout(None)
    for sock in (client, upstream):
        _nodelay(sock)
    threads = []
    for src, dst in ((client, upstream), (upstream, client)):
        direction = _Direction(src, dst, hold_s)
        threads += [threading.Thread(target=direction.read, daemon=True),
                    threading.Thread(target=direction.write, daemon=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    client.close()
    upstream.close()


def accept_forever(listener: socket.socket, target: tuple[str, int], hold_s: float) -> None:
    """Accept connections and relay each in its own threads."""
    while True:
        client, _ = listener.accept()
        threading.Thread(target=relay_connection, args=(client, target, hold_s),
                         daemon=True).start()


def main(argv: list[str] | None = None) -> None:
    """Listen on `--port` (held) and `--zero-port` (not held), print READY, serve until
    stdin closes."""
    p = argparse.ArgumentParser(prog="python -m serbench.transport.link.relay")
    p.add_argument("--listen", required=True, help="address to listen on")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--zero-port", type=int, required=True)
    p.add_argument("--to", required=True, metavar="HOST:PORT")
    p.add_argument("--hold-s", type=float, required=True, help="hold per direction")
    args = p.parse_args(argv)
    host, _, port = args.to.rpartition(":")
    target = (host, int(port))
    for listen_port, hold in ((args.port, args.hold_s), (args.zero_port, 0.0)):
        listener = socket.create_server((args.listen, listen_port), backlog=128)
        threading.Thread(target=accept_forever, args=(listener, target, hold),
                         daemon=True).start()
    sys.stdout.write("READY\n")
    sys.stdout.flush()
    while os.read(0, 4096):  # the parent holds our stdin; EOF means it is gone
        pass
    os._exit(0)


if __name__ == "__main__":
    main()
