"""Framing and the server process, without pyperf: frames, limits, start methods, teardown."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from serbench.transport.errors import FrameTooLarge, PeerClosed, PeerTimeout
from serbench.transport.framing import HEADER, FrameReader, send_frame, set_timeouts
from serbench.transport.server_process import ServerProcess

_OPEN: list[socket.socket] = []


def _pair() -> tuple[socket.socket, socket.socket]:
    a, b = socket.socketpair()
    set_timeouts(b, 0.2)
    _OPEN.extend((a, b))
    return a, b


@pytest.fixture(autouse=True)
def _close_sockets() -> Iterator[None]:
    yield
    while _OPEN:
        _OPEN.pop().close()


def test_many_small_frames_in_one_receive_and_views_without_copies() -> None:
    a, b = _pair()
    bodies = [bytes([i]) * i for i in range(1, 50)]
    a.sendall(b"".join(HEADER.pack(len(x)) + x for x in bodies))
    reader = FrameReader(b)
    for body in bodies:
        view = reader.read_frame()
        assert isinstance(view, memoryview) and view == body


def test_frames_larger_than_the_buffer_and_scatter_gather_parts() -> None:
    a, b = _pair()
    big = os.urandom(3 * 2**20)
    reader = FrameReader(b, max_frame=4 * 2**20)
    parts = [b"head", memoryview(big), bytearray(b"tail")]
    import threading

    sender = threading.Thread(target=lambda: (send_frame(a, big), send_frame(a, parts)))
    sender.start()
    assert reader.read_frame() == big
    assert reader.read_frame().tobytes() == b"head" + big + b"tail"
    sender.join()


def test_a_frame_over_the_maximum_is_refused_before_allocation() -> None:
    a, b = _pair()
    a.sendall(HEADER.pack(2**31))
    with pytest.raises(FrameTooLarge, match="exceeds the maximum"):
        FrameReader(b, max_frame=1024).read_frame()


def test_truncated_frame_clean_close_and_silence_are_distinct_errors() -> None:
    a, b = _pair()
    a.sendall(HEADER.pack(100) + b"x" * 10)
    a.close()
    with pytest.raises(PeerClosed) as info:
        FrameReader(b).read_frame()
    assert info.value.truncated and "mid-frame" in str(info.value)

    a, b = _pair()
    a.close()
    with pytest.raises(PeerClosed) as info:
        FrameReader(b).read_frame()
    assert not info.value.truncated

    a, b = _pair()
    a.sendall(HEADER.pack(100))
    t0 = time.monotonic()
    with pytest.raises(PeerTimeout):
        FrameReader(b, timeout_s=0.2).read_frame()
    assert time.monotonic() - t0 < 2
    a.close()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as f:
            return "State:\tZ" not in f.read()
    except FileNotFoundError:
        return False


@pytest.mark.slow  # a real server process
@pytest.mark.parametrize("start_method", ["exec", "fork"])
@pytest.mark.parametrize("transport", ["tcp", "uds"])
def test_server_answers_and_is_reaped(start_method: str, transport: str) -> None:
    from serbench.codecs import get_codec

    codec = get_codec("msgpack")
    server = ServerProcess("msgpack", transport, start_method=start_method).start()
    pid = server.pid
    assert pid is not None
    try:
        with server.connect() as conn:
            conn.start_roundtrip()
            assert codec.decode(conn.request(codec.encode({"a": [1, 2]}))) == {"a": [1, 2]}
    finally:
        server.stop()
    assert not _alive(pid)


@pytest.mark.slow  # a real server process
@pytest.mark.parametrize("start_method", ["exec", "fork"])
def test_server_exits_when_its_parent_dies_without_cleaning_up(start_method: str,
                                                               tmp_path: Path) -> None:
    script = textwrap.dedent(f"""
        import os
        from serbench.transport.server_process import ServerProcess
        server = ServerProcess("pickle", "uds", start_method={start_method!r}).start()
        print(server.pid, flush=True)
        os._exit(0)  # no stop(), no atexit: as if killed
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=60, check=True, env=dict(os.environ, TMPDIR=str(tmp_path)))
    pid = int(out.stdout.split()[0])
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)


@pytest.mark.slow  # a real server process
def test_forked_server_does_not_keep_the_parents_descriptors() -> None:
    keep_r, keep_w = os.pipe()  # stands for pyperf's result pipe
    server = ServerProcess("null", "tcp", start_method="fork").start()
    try:
        assert server.pid is not None
        with server.connect() as conn:  # the child is serving, so it has closed the rest
            conn.start_roundtrip()
            assert conn.request(b"ping") == b"ping"
        fds = os.listdir(f"/proc/{server.pid}/fd")
        assert str(keep_w) not in fds and str(keep_r) not in fds
        os.close(keep_w)
        assert os.read(keep_r, 1) == b""  # EOF: no other process holds the write end
    finally:
        server.stop()
        os.close(keep_r)
