"""The load and stats modes of both server shapes: the request id comes back in front of the
codec's reply, replies stay in order with many requests in flight, the asyncio server speaks
the same handshake and modes, and a bad peer costs only its own connection."""

from __future__ import annotations

import json
import pickle
import struct

import pytest

from serbench.extensions.load.servers import LoadServer, check_kind, default_kind
from serbench.transport.auth import new_secret
from serbench.transport.connection import Connection
from serbench.transport.errors import HandshakeFailed, PeerClosed, TransportError
from serbench.transport.framing import send_frame
from serbench.transport.protocol import MODE_LOAD, MODE_ROUNDTRIP, MODE_STATS, REQUEST_ID

KINDS = ["blocking", "asyncio", default_kind()]


def test_server_kinds_are_checked() -> None:
    check_kind("blocking")
    with pytest.raises(ValueError, match="unknown server kind"):
        check_kind("twisted")


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
def test_load_mode_echoes_ids_and_pipelines(kind: str) -> None:
    payloads = [{"n": i, "s": "x" * i} for i in range(50)]
    with LoadServer("pickle", "tcp", kind=kind) as server, server.connect() as conn:
        send_frame(conn.sock, MODE_LOAD)
        for i, obj in enumerate(payloads):  # 50 in flight before the first reply is read
            send_frame(conn.sock, REQUEST_ID.pack(1000 + i) + pickle.dumps(obj, protocol=5))
        for i, obj in enumerate(payloads):
            reply = bytes(conn.reader.read_frame())
            assert REQUEST_ID.unpack_from(reply)[0] == 1000 + i
            assert pickle.loads(reply[REQUEST_ID.size:]) == obj
        # A frame without its id closes that connection only.
        send_frame(conn.sock, b"abc")
        with pytest.raises(PeerClosed):
            conn.reader.read_frame()
        assert server.alive()
        stats = server.stats()
        assert stats["kind"] == kind and stats["cpu_s"] > 0 and stats["pid"] == server.pid


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["asyncio", default_kind()])
def test_async_server_speaks_the_same_protocol(kind: str) -> None:
    with LoadServer("msgpack", "uds", kind=kind, max_frame=1024) as server:
        with server.connect() as conn:
            conn.start_roundtrip()
            import msgpack

            assert msgpack.unpackb(conn.request(msgpack.packb([1, "a"]))) == [1, "a"]
        with pytest.raises((HandshakeFailed, PeerClosed)):
            Connection.open(server.address or "", new_secret()).close()
        with server.connect() as conn:  # an unknown mode
            send_frame(conn.sock, b"dance")
            with pytest.raises(PeerClosed):
                conn.reader.read_frame()
        with server.connect() as conn:  # a frame over the maximum, refused by its header
            send_frame(conn.sock, MODE_ROUNDTRIP)
            conn.sock.sendall(struct.pack("<I", 4096))
            with pytest.raises(PeerClosed):
                conn.reader.read_frame()
        with server.connect() as conn:
            send_frame(conn.sock, MODE_STATS)
            assert json.loads(bytes(conn.reader.read_frame()))["kind"] == kind
        assert server.alive()


@pytest.mark.slow
def test_a_dead_server_is_a_clear_stats_failure() -> None:
    server = LoadServer("pickle", "tcp", kind="asyncio").start()
    try:
        server.stop()
        with pytest.raises(TransportError, match=r"server is not started|did not answer"):
            server.stats()
    finally:
        server.stop()
