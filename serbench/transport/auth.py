"""Mutual proof of a per-run secret before any frame is decoded.

The pickle family executes code from its input, so a server must not decode a frame from any
local process that finds its port. Each side sends a random challenge and answers the other's
with HMAC-SHA256 under the run's secret; the secret travels to the server process on its stdin
(never argv, which `ps` shows). Costs one round trip per connection, outside every timed region.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import socket

from serbench.transport.errors import HandshakeFailed
from serbench.transport.framing import FrameReader

SECRET_BYTES = 32
_CHALLENGE = 32
_DIGEST = hashlib.sha256().digest_size


def new_secret() -> bytes:
    """A fresh random secret for one run."""
    return os.urandom(SECRET_BYTES)


def _answer(secret: bytes, role: bytes, challenge: bytes) -> bytes:
    return hmac.new(secret, role + challenge, hashlib.sha256).digest()


def server_handshake(sock: socket.socket, reader: FrameReader, secret: bytes) -> None:
    """Challenge the client, check its answer, then answer its challenge."""
    challenge = os.urandom(_CHALLENGE)
    sock.sendall(challenge)
    reply = reader.read_exact(_DIGEST + _CHALLENGE)
    if not hmac.compare_digest(reply[:_DIGEST], _answer(secret, b"client", challenge)):
        raise HandshakeFailed("the client did not prove it holds this run's secret")
    sock.sendall(_answer(secret, b"server", reply[_DIGEST:]))


def client_handshake(sock: socket.socket, reader: FrameReader, secret: bytes) -> None:
    """Answer the server's challenge and check that the server holds the secret too."""
    challenge = reader.read_exact(_CHALLENGE)
    mine = os.urandom(_CHALLENGE)
    sock.sendall(_answer(secret, b"client", challenge) + mine)
    proof = reader.read_exact(_DIGEST)
    if not hmac.compare_digest(proof, _answer(secret, b"server", mine)):
        raise HandshakeFailed("the server did not prove it holds this run's secret")
