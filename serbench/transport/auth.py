"""Mutual proof of a per-run secret before any frame is decoded.

The pickle family executes code from its input, so a server must not decode a frame from any
local process that finds its port. Each side sends a random challenge and answers the other's
with HMAC-SHA256 under the run's secret; the secret travels to the server process on its stdin
(never argv or the environment, which `ps` and /proc show to other users). Costs one round trip
per connection, outside every timed region.

The server reads the client's answer with an overall deadline (not only a per-`recv` timeout),
so a peer that trickles bytes cannot hold a connection slot longer than that deadline, and it
reads exactly the handshake's bytes: nothing a peer sends is buffered or decoded before it has
proven it holds the secret.

`serbench serve` keeps its secret in a file (`read_secret_file`, `load_or_create_secret_file`):
hex on one line, mode 0600, so a client of the same user (a test, a fuzzer) can authenticate.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import socket
import stat
import time
from pathlib import Path

from serbench.common.errors import UserError
from serbench.transport.errors import HandshakeFailed, PeerClosed, PeerTimeout
from serbench.transport.framing import FrameReader, set_timeouts

SECRET_BYTES = 32
#: A shorter secret is refused: an empty one would let anyone compute the answers.
MIN_SECRET_BYTES = 16
_CHALLENGE = 32
_DIGEST = hashlib.sha256().digest_size
#: What the server reads from a client before it trusts it: the answer, then its challenge.
CLIENT_HELLO_BYTES = _DIGEST + _CHALLENGE


def new_secret() -> bytes:
    """A fresh random secret for one run."""
    return os.urandom(SECRET_BYTES)


def check_secret(secret: bytes) -> bytes:
    """`secret` itself, or `ValueError` when it is too short to protect anything."""
    if len(secret) < MIN_SECRET_BYTES:
        raise ValueError(f"the secret is {len(secret)} bytes; at least {MIN_SECRET_BYTES} "
                         "are required")
    return secret


def _answer(secret: bytes, role: bytes, challenge: bytes) -> bytes:
    return hmac.new(secret, role + challenge, hashlib.sha256).digest()


def server_handshake(sock: socket.socket, secret: bytes, timeout_s: float) -> None:
    """Challenge the client, check its answer within `timeout_s` overall, then answer its
    challenge. Raises `HandshakeFailed`, `PeerClosed` or `PeerTimeout`; the socket's own
    timeouts are set back to `timeout_s` afterwards."""
    challenge = os.urandom(_CHALLENGE)
    sock.sendall(challenge)
    reply = _recv_exact(sock, CLIENT_HELLO_BYTES, timeout_s)
    if not hmac.compare_digest(reply[:_DIGEST], _answer(secret, b"client", challenge)):
        raise HandshakeFailed("the client did not prove it holds this run's secret")
    sock.sendall(_answer(secret, b"server", reply[_DIGEST:]))


def _recv_exact(sock: socket.socket, count: int, timeout_s: float) -> bytes:
    """Exactly `count` bytes (never more) before a deadline, with the kernel's timeouts."""
    buf = bytearray(count)
    view = memoryview(buf)
    got = 0
    deadline = time.monotonic() + timeout_s if timeout_s > 0 else None
    try:
        while got < count:
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise PeerTimeout(f"the handshake did not complete within {timeout_s:g} s "
                                      f"({got} of {count} bytes received)")
                set_timeouts(sock, max(left, 0.001))  # 0 would mean "no timeout"
            try:
                n = sock.recv_into(view[got:], count - got)
            except BlockingIOError as exc:  # SO_RCVTIMEO expired
                raise PeerTimeout(f"the handshake did not complete within {timeout_s:g} s "
                                  f"({got} of {count} bytes received)") from exc
            except ConnectionResetError as exc:
                raise PeerClosed(f"the peer reset the connection ({got} of {count} bytes "
                                 "received)", truncated=True) from exc
            if n == 0:
                raise PeerClosed(f"the peer closed the connection ({got} of {count} bytes "
                                 "received)", truncated=True)
            got += n
    finally:
        if deadline is not None:
            set_timeouts(sock, timeout_s)
    return bytes(buf)


def client_handshake(sock: socket.socket, reader: FrameReader, secret: bytes) -> None:
    """Answer the server's challenge and check that the server holds the secret too."""
    challenge = reader.read_exact(_CHALLENGE)
    mine = os.urandom(_CHALLENGE)
    sock.sendall(_answer(secret, b"client", challenge) + mine)
    proof = reader.read_exact(_DIGEST)
    if not hmac.compare_digest(proof, _answer(secret, b"server", mine)):
        raise HandshakeFailed("the server did not prove it holds this run's secret")


def read_secret_file(path: Path) -> bytes:
    """The secret in `path` (hex on one line). Refuses a file other users can read or write,
    or one that belongs to another user, like ssh does with private keys."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError as exc:
        raise UserError(f"secret file {path}: does not exist") from exc
    except OSError as exc:
        raise UserError(f"secret file {path}: cannot open it ({exc.strerror or exc})") from exc
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise UserError(f"secret file {path}: not a regular file")
        if info.st_uid != os.geteuid():
            raise UserError(f"secret file {path}: belongs to user id {info.st_uid}, not to you")
        if info.st_mode & 0o077:
            raise UserError(f"secret file {path}: other users can access it (mode "
                            f"{stat.S_IMODE(info.st_mode):04o}); run: chmod 600 {path}")
        text = handle.read(4096)
    try:
        return check_secret(bytes.fromhex(text.decode("ascii").strip()))
    except (UnicodeDecodeError, ValueError) as exc:
        raise UserError(f"secret file {path}: expected one line of at least "
                        f"{2 * MIN_SECRET_BYTES} hex digits ({exc})") from exc


def load_or_create_secret_file(path: Path) -> tuple[bytes, bool]:
    """The secret in `path`, creating the file (mode 0600, a new random secret) if it is
    missing. Returns the secret and whether the file was created."""
    secret = new_secret()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0),
                     0o600)
    except FileExistsError:
        return read_secret_file(path), False
    except OSError as exc:
        raise UserError(f"secret file {path}: cannot create it ({exc.strerror or exc})") from exc
    with os.fdopen(fd, "wb") as handle:
        handle.write(secret.hex().encode("ascii") + b"\n")
    return secret, True
