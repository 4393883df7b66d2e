"""The server against bad peers: every bad connection gets one clear log line and is closed,
the server keeps serving good clients, memory stays bounded by the max-frame setting, nothing
hangs; and the pickle family decodes nothing from a peer that has not proven it holds the
secret.

Each test talks to a real `serbench serve` process over loopback (TCP, and Unix sockets where
the path differs), reads its log, and checks its memory in /proc/<pid>/status.
"""

from __future__ import annotations

import os
import pickle
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from serve_helpers import (
    Served,
    authenticate,
    closed_by_peer,
    frame,
    pack_len,
    serve,
    wait_until,
)

from serbench.codecs import codec_entries, get_codec, joined
from serbench.transport.auth import CLIENT_HELLO_BYTES, new_secret
from serbench.transport.errors import HandshakeFailed, PeerClosed
from serbench.transport.protocol import MODE_ROUNDTRIP

MiB = 2**20
MAX_FRAME = 1 * MiB
#: The server's own timeout: short, so that silent peers are dropped quickly.
TIMEOUT_S = 0.5
#: How long a test waits for the server to do something it must do at all (close a connection,
#: answer): a hang guard for a stalled machine, never a claim about how fast it happens.
HANG_GUARD_S = 30


def _serve_args(*extra: str) -> tuple[str, ...]:
    return ("--max-frame", str(MAX_FRAME), "--timeout", str(TIMEOUT_S), *extra)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    with serve(tmp_path, "msgpack", *_serve_args()) as server:
        yield server


@pytest.fixture(params=["tcp", "uds"])
def served_any(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Served]:
    extra = ("--unix", str(tmp_path / "sock" / "s")) if request.param == "uds" else ()
    with serve(tmp_path, "msgpack", *_serve_args(*extra)) as server:
        yield server


def _local(sock: socket.socket) -> str:
    """How the server's log names this client: `127.0.0.1:PORT` (TCP) or a Unix-socket peer."""
    if sock.family == socket.AF_UNIX:
        return "a Unix-socket peer"
    host, port = sock.getsockname()[:2]
    return f"{host}:{port}"


def _authenticated(server: Served, mode: bytes | None = MODE_ROUNDTRIP) -> socket.socket:
    sock = server.raw()
    authenticate(sock, server.secret)
    if mode is not None:
        sock.sendall(frame(mode))
    return sock


# --- malformed frames -------------------------------------------------------------------


@pytest.mark.slow
def test_length_prefix_over_the_maximum_is_refused_without_allocating(served: Served) -> None:
    hwm_before = served.status("VmHWM")
    with _authenticated(served) as sock:
        who = _local(sock)
        sock.sendall(pack_len(2**32 - 1))  # 4 GiB claimed: must not be allocated
        closed_by_peer(sock, within_s=HANG_GUARD_S)
    line = served.wait_for_log(rf"{who} closed in roundtrip mode: frame of 4294967295 bytes "
                               rf"exceeds the maximum of {MAX_FRAME} bytes")
    assert len(line) == 1
    assert served.status("VmHWM") - hwm_before < 16 * 1024  # kB: nothing near 4 GiB
    served.assert_serves()


@pytest.mark.slow
def test_length_prefix_over_the_maximum_as_the_mode_frame(served: Served) -> None:
    with _authenticated(served, mode=None) as sock:
        who = _local(sock)
        sock.sendall(pack_len(MAX_FRAME + 1))
        closed_by_peer(sock, within_s=HANG_GUARD_S)
    served.wait_for_log(rf"{who} closed at its mode frame: frame of {MAX_FRAME + 1} bytes "
                        "exceeds the maximum")
    served.assert_serves()


@pytest.mark.slow
def test_truncated_frame_then_close(served_any: Served) -> None:
    with _authenticated(served_any) as sock:
        who = _local(sock)
        sock.sendall(pack_len(1000) + b"\x92" * 500)
    served_any.wait_for_log(rf"{who} closed in roundtrip mode: the peer closed the connection "
                            r"mid-frame \(504 of 1004 bytes\)")
    served_any.assert_serves()


@pytest.mark.slow
def test_header_cut_short_then_close(served: Served) -> None:
    with _authenticated(served) as sock:
        who = _local(sock)
        sock.sendall(b"\x10\x00")  # half a length prefix
    served.wait_for_log(rf"{who} closed in roundtrip mode: the peer closed the connection "
                        r"mid-frame \(2 of 4 bytes\)")
    served.assert_serves()


@pytest.mark.slow
@pytest.mark.parametrize("mode", [MODE_ROUNDTRIP, b"stream 10"])
def test_undecodable_frame_after_a_valid_handshake(served: Served, mode: bytes) -> None:
    with _authenticated(served, mode) as sock:
        who = _local(sock)
        sock.sendall(frame(b"\xc1"))  # a byte msgpack never uses
        closed_by_peer(sock, within_s=HANG_GUARD_S)
    step = "roundtrip" if mode == MODE_ROUNDTRIP else "stream"
    served.wait_for_log(rf"{who} closed in {step} mode: the msgpack codec failed on a frame: "
                        "FormatError")
    served.assert_serves()


@pytest.mark.slow
def test_garbage_bytes_after_a_valid_handshake(served: Served) -> None:
    garbage = bytes(range(256)) * 64
    with _authenticated(served, mode=None) as sock:
        who = _local(sock)
        sock.sendall(garbage)  # no framing at all: 0x03020100 bytes claimed, over the max
        closed_by_peer(sock, within_s=HANG_GUARD_S)
    served.wait_for_log(rf"{who} closed at its mode frame: frame of 50462976 bytes exceeds")
    served.assert_serves()


@pytest.mark.slow
def test_unknown_mode(served: Served) -> None:
    with _authenticated(served, mode=b"teleport") as sock:
        who = _local(sock)
        closed_by_peer(sock, within_s=HANG_GUARD_S)
    served.wait_for_log(rf"{who} closed at its mode frame: unknown mode b'teleport'")
    served.assert_serves()


@pytest.mark.slow
def test_half_frame_then_silence_is_dropped_after_the_timeout(served_any: Served) -> None:
    with _authenticated(served_any) as sock:
        who = _local(sock)
        sock.sendall(pack_len(100) + b"\x01" * 50)
        closed_by_peer(sock, within_s=HANG_GUARD_S)
    # The log says why it was closed: the receive timeout, with the frame half in.
    served_any.wait_for_log(rf"{who} closed in roundtrip mode: no data from the peer within "
                            r"0.5 s \(54 of 104 bytes received\)")
    served_any.assert_serves()


@pytest.mark.slow
def test_silent_peer_is_dropped_during_the_handshake(served: Served) -> None:
    with served.raw() as sock:
        who = _local(sock)
        closed_by_peer(sock, within_s=HANG_GUARD_S)
    served.wait_for_log(rf"{who} closed during the handshake: the handshake did not complete "
                        r"within 0.5 s \(0 of 64 bytes received\)")
    served.assert_serves()


@pytest.mark.slow
def test_trickling_peer_cannot_stretch_the_handshake(served: Served) -> None:
    # One byte at once, then one every 0.05 s: far inside the per-recv timeout of 0.5 s, and the
    # 64-byte answer would be complete after ~3.2 s. Only the handshake's overall deadline can
    # close the connection before the last byte: the sends then fail, and the log names the
    # deadline with part of the answer received. Without that deadline all 64 bytes would go
    # out and the log would say "handshake failed" instead.
    with served.raw() as sock:
        who = _local(sock)
        with pytest.raises(OSError):
            for _ in range(CLIENT_HELLO_BYTES):
                sock.sendall(b"x")
                time.sleep(0.05)
    served.wait_for_log(rf"{who} closed during the handshake: the handshake did not complete "
                        r"within 0.5 s \((?:[1-9]|[1-5][0-9]|6[0-3]) of 64 bytes received\)")
    assert "handshake failed" not in served.log_text()
    served.assert_serves()


@pytest.mark.slow
def test_bad_handshake(served_any: Served) -> None:
    from serbench.transport.connection import Connection

    with pytest.raises((HandshakeFailed, PeerClosed)):
        Connection.open(served_any.address, new_secret(), timeout_s=5)
    served_any.wait_for_log("closed during the handshake: handshake failed: the client did not "
                            "prove it holds this run's secret")
    served_any.assert_serves()


@pytest.mark.slow
def test_connection_closed_before_the_handshake(served: Served) -> None:
    with served.raw() as sock:
        who = _local(sock)
        sock.sendall(b"hello")
    # A FIN, or a RST when the server's challenge reached the client before it closed unread:
    # either way the server says the handshake ended early, and how far it got.
    served.wait_for_log(rf"{who} closed during the handshake: the peer (closed|reset) the "
                        r"connection \(5 of 64 bytes received\)")
    served.assert_serves()


@pytest.mark.slow
def test_thousands_of_connections_opened_and_dropped(served: Served) -> None:
    count = 2000
    threads_before = served.status("Threads")
    rss_before = served.status("VmRSS")
    # Each one gets its own line: dropped during the handshake, or refused when all the
    # connection slots were busy.
    dropped = (r"connection #\d+ from 127\.0\.0\.1:\d+ (closed during the handshake|"
               r"refused)")
    for i in range(count):
        sock = served.raw()
        if i % 2:  # half end with RST instead of FIN
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
        if i % 50 == 49:
            # At most 100 outstanding: a client loop outruns the accept loop, and once the
            # kernel's accept queue (128) is full it drops SYNs, which clients resend after 1 s.
            served.wait_for_log(dropped, timeout_s=30, count=i + 1 - 50)
    lines = served.wait_for_log(dropped, timeout_s=60, count=count)
    assert len(lines) == count
    numbers = {int(line.split("connection #")[1].split()[0]) for line in lines}
    assert len(numbers) == count
    wait_until(lambda: served.status("Threads") <= threads_before, 10, "threads to finish")
    served.assert_serves()
    assert served.status("VmRSS") - rss_before < 32 * 1024  # kB
    assert served.proc.poll() is None


@pytest.mark.slow
def test_connection_cap_refuses_extra_connections_and_recovers(tmp_path: Path) -> None:
    with serve(tmp_path, "msgpack", *_serve_args("--max-connections", "2")) as server:
        held = [_authenticated(server) for _ in range(2)]
        try:
            with server.raw() as extra:
                who = _local(extra)
                closed_by_peer(extra, within_s=HANG_GUARD_S)
            server.wait_for_log(rf"connection #3 from {who} refused: 2 connections already open")
        finally:
            for sock in held:
                sock.close()
        server.wait_for_log("ended by the peer", count=2)
        server.assert_serves()


@pytest.mark.slow
def test_memory_stays_bounded_by_the_max_frame(tmp_path: Path) -> None:
    """Four connections at once, each sending near-maximum frames that fail in every way,
    many times over: the server's peak RSS stays within connections x 2 x max-frame of
    where it started, and RSS does not creep up between rounds."""
    connections = 4
    with serve(tmp_path, "msgpack", *_serve_args("--max-connections", str(connections))) as srv:
        srv.assert_serves()
        hwm_start = srv.status("VmHWM")
        big = os.urandom(MAX_FRAME - 16)

        def abuse(kind: int) -> None:
            with _authenticated(srv) as sock:
                if kind == 0:  # a near-maximum frame the codec cannot decode
                    sock.sendall(frame(b"\xc1" + big))
                elif kind == 1:  # a near-maximum frame cut short
                    sock.sendall(pack_len(MAX_FRAME) + big[: MAX_FRAME // 2])
                    return
                elif kind == 2:  # a claim far over the maximum
                    sock.sendall(pack_len(2**31))
                else:  # a valid large frame, echoed back in full
                    import msgpack

                    request = frame(msgpack.packb(big[: MAX_FRAME - 32]))
                    sock.sendall(request)
                    sock.settimeout(5)
                    got = 0
                    while got < len(request):
                        chunk = sock.recv(MiB)
                        assert chunk
                        got += len(chunk)
                    return
                closed_by_peer(sock, within_s=HANG_GUARD_S)

        rss_rounds = []
        for round_number in range(1, 7):
            threads = [threading.Thread(target=abuse, args=(k,)) for k in range(connections)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            srv.wait_for_log("closed in roundtrip mode", count=3 * round_number)
            srv.wait_for_log("ended by the peer", count=1 + round_number)
            rss_rounds.append(srv.status("VmRSS"))
        srv.assert_serves()
        growth_kb = srv.status("VmHWM") - hwm_start
        bound_kb = (connections * 2 * MAX_FRAME + 16 * MiB) // 1024
        assert growth_kb < bound_kb, (growth_kb, bound_kb)
        assert rss_rounds[-1] - rss_rounds[1] < 8 * 1024, rss_rounds  # no creep (kB)
        assert srv.log_text().count("closed in roundtrip mode") == 6 * 3


# --- the pickle family and the handshake -------------------------------------------------


class _CreatesDirectory:
    """Unpickling this runs `os.mkdir(path)`: proof that a frame was decoded."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.mkdir, (self.path,)


UNSAFE = sorted(n for n in codec_entries()
                if not get_codec(n).safe_for_untrusted_input)
#: marshal (malformed input can crash the interpreter), thrift (a declared container length
#: is looped over as claimed), serpent (a frame's syntax tree balloons) and cattrs (a string
#: where a list is declared costs an error per character) are unsafe but carry no object
#: that runs code when loaded: the others each run `_CreatesDirectory`'s reduce on decode.
RUNS_CODE = [n for n in UNSAFE
             if n not in ("cattrs", "marshal", "serpent", "thrift", "thrift-prepared")]


def test_the_unsafe_set_is_the_pickle_family_and_its_kin() -> None:
    assert UNSAFE == ["cattrs", "cloudpickle", "dill", "jsonpickle", "marshal", "native", "pickle",
                      "pickle-oob", "serpent", "thrift", "thrift-prepared"]


@pytest.mark.slow
@pytest.mark.parametrize("codec", RUNS_CODE)
def test_pickle_server_decodes_nothing_before_the_handshake(tmp_path: Path, codec: str) -> None:
    marker = tmp_path / "pwned"
    evil = joined(get_codec(codec).encode(_CreatesDirectory(str(marker))))
    assert len(evil) > CLIENT_HELLO_BYTES
    with serve(tmp_path, codec, *_serve_args()) as server:
        # 1. The frame straight away, no handshake: its bytes are taken as a (wrong) answer.
        with server.raw() as sock:
            sock.sendall(frame(MODE_ROUNDTRIP) + frame(evil))
            closed_by_peer(sock, within_s=HANG_GUARD_S)
        # 2. The pickle as the handshake answer itself.
        with server.raw() as sock:
            sock.recv(32)
            sock.sendall(evil)
            closed_by_peer(sock, within_s=HANG_GUARD_S)
        # 3. A handshake under a wrong secret, with the frames sent right behind it.
        with server.raw() as sock:
            authenticate_blindly(sock, new_secret(), frame(MODE_ROUNDTRIP) + frame(evil))
            closed_by_peer(sock, within_s=HANG_GUARD_S)
        server.wait_for_log("closed during the handshake: handshake failed", count=3)
        assert not marker.exists()
        # 4. Control: the same frame from a client holding the secret is decoded (and runs).
        with _authenticated(server) as sock:
            sock.sendall(frame(evil))
            closed_by_peer(sock, within_s=HANG_GUARD_S)
        wait_until(marker.exists, 5, "the control payload to run")
        log = server.log_text()
    assert log.count("handshake failed") == 3


def authenticate_blindly(sock: socket.socket, secret: bytes, then: bytes) -> None:
    """A client handshake that does not wait for the server's verdict before sending `then`."""
    import hashlib
    import hmac

    challenge = b""
    while len(challenge) < 32:
        chunk = sock.recv(32 - len(challenge))
        assert chunk
        challenge += chunk
    answer = hmac.new(secret, b"client" + challenge, hashlib.sha256).digest()
    sock.sendall(answer + os.urandom(32) + then)


@pytest.mark.slow
def test_scenario_server_refuses_to_start_without_a_secret(tmp_path: Path) -> None:
    for stdin in (b"", b"\n", b"abcd\n", b"not hex\n"):
        proc = subprocess.run(
            [sys.executable, "-m", "serbench.transport.server", "--codec", "pickle",
             "--transport", "tcp"], input=stdin, capture_output=True, timeout=60, check=False)
        assert proc.returncode == 2, proc.stderr
        assert b"READY" not in proc.stdout
        assert b"no usable secret on stdin" in proc.stderr


@pytest.mark.slow
def test_scenario_server_socket_is_private(tmp_path: Path) -> None:
    from serbench.transport.server_process import ServerProcess

    with ServerProcess("pickle", "uds") as server:
        assert isinstance(server.address, str)
        path = Path(server.address)
        assert path.stat().st_mode & 0o777 == 0o600
        assert path.parent.stat().st_mode & 0o777 == 0o700
        with server.connect() as conn:
            conn.start_roundtrip()
            assert pickle.loads(conn.request(pickle.dumps([1, 2], protocol=5))) == [1, 2]
    assert not path.exists()


@pytest.mark.slow
def test_client_reports_a_server_that_dies(tmp_path: Path) -> None:
    # The client's socket timeout is the hang guard: a client that waited for it would report
    # PeerTimeout; a dead server closes its sockets, which the client reports as PeerClosed.
    with serve(tmp_path, "msgpack", *_serve_args()) as server, \
            server.connect(timeout_s=HANG_GUARD_S) as conn:
        conn.start_roundtrip()
        server.proc.kill()
        server.proc.wait(HANG_GUARD_S)
        with pytest.raises(PeerClosed):
            conn.request(b"\x01")
            conn.request(b"\x01")
