"""The sockets a server listens on, and the `READY` line that tells its parent where: shared
by the blocking server, the asyncio server, `serbench serve` and the fork start method.
"""

from __future__ import annotations

import os
import socket

from serbench.transport.protocol import READY, UNIX_PATH_MAX

__all__ = ["address_of", "listen_tcp", "listen_unix", "ready_line"]


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
