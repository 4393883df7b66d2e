"""The paths (serbench.transport.paths): each one's round trip and stream on a tiny payload,
the native codec's path, frame limits, a killed peer failing with one line, and nothing left
behind (no peer, no /dev/shm segment, no Redis server or socket) however a cell ends.

Every test that opens a path starts its peer (or a redis-server): those are marked slow, and
the fast path keeps the registry, skip and message checks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from array import array
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

from serbench.cells import path_loops
from serbench.codecs import get_codec
from serbench.common.vocabulary import NATIVE_CODEC, PATH_TRANSPORTS
from serbench.transport.errors import FrameTooLarge
from serbench.transport.paths import (
    PATHS,
    PathConfig,
    PathFailed,
    describe_paths,
    open_path,
    skip_reason,
)
from serbench.transport.paths.redis_path import UNCOPIED_FROM, handed
from serbench.transport.paths.redis_server import RedisServer, redis_missing, sweep_leftovers

OBJ = {"id": 7, "name": "tiny", "values": [1.5, 2.5], "tags": ["a", "b"]}
#: CI installs redis-server and sets SERBENCH_REQUIRE_REDIS: there a missing server fails.
NEEDS_REDIS = pytest.mark.skipif(redis_missing() is not None
                                 and not os.environ.get("SERBENCH_REQUIRE_REDIS"),
                                 reason=str(redis_missing()))


def _marks(transport: str) -> list[Any]:
    return [NEEDS_REDIS] if transport == "redis" else []


ALL = [pytest.param(t, marks=_marks(t)) for t in PATH_TRANSPORTS]
NATIVE = [pytest.param(t, marks=_marks(t)) for t in PATH_TRANSPORTS if t != "shm"]


def _segments() -> set[str]:
    return {n for n in os.listdir("/dev/shm") if n.startswith("serbench-")}


@pytest.fixture(autouse=True)
def _nothing_left() -> Iterator[None]:
    # This process's segments only (an shm path names its segment for its creator): another
    # suite on the machine may hold one of its own for a moment. A test's child process is
    # checked by that test, by its pid.
    mine = f"serbench-{os.getpid()}-"
    before = _segments()
    yield
    left = {n for n in _segments() - before if n.startswith(mine)}
    assert not left, f"a shared-memory segment was left in /dev/shm: {sorted(left)}"


def _config(codec: str, **kw: Any) -> PathConfig:
    return PathConfig(codec=codec, native=codec == NATIVE_CODEC, timeout_s=10.0, **kw)


def _roundtrip_and_stream(transport: str, codec_name: str) -> None:
    codec = get_codec(codec_name)
    native = codec_name == NATIVE_CODEC
    obj = codec.prepared(OBJ)  # the null codec ships a blob made untimed
    with open_path(transport, _config(codec_name)) as path:
        peer = path.pid
        assert peer is not None and peer != os.getpid()
        path.start("roundtrip", None)
        for _ in range(3):
            reply = path.roundtrip(obj if native else codec.encode(obj))
            back = reply if native else codec.decode(memoryview(reply))
            assert (bytes(back) if codec_name == "null" else back) == obj
    with pytest.raises(ChildProcessError):
        os.waitpid(peer, os.WNOHANG)  # stopped and reaped
    with open_path(transport, _config(codec_name)) as path:
        path.start("stream", 4)
        for _ in range(2):
            for _ in range(4):
                path.send(obj if native else codec.encode(obj))
            path.read_ack()


def test_every_path_is_registered_under_its_vocabulary_name() -> None:
    assert tuple(PATHS) == PATH_TRANSPORTS
    assert all(cls.name == name for name, cls in PATHS.items())


@pytest.mark.slow
@pytest.mark.parametrize("transport", ALL)
def test_each_path_round_trips_and_streams_the_codecs_bytes(transport: str) -> None:
    _roundtrip_and_stream(transport, "pickle")


@pytest.mark.slow
@pytest.mark.parametrize("transport", ALL)
@pytest.mark.parametrize("codec", ["null", "pickle-oob", "msgpack"])
def test_each_path_carries_the_floor_and_buffer_codecs(transport: str, codec: str) -> None:
    _roundtrip_and_stream(transport, codec)


@pytest.mark.slow
@pytest.mark.parametrize("transport", NATIVE)
def test_the_native_codec_hands_the_object_to_the_paths_own_pickling(transport: str) -> None:
    _roundtrip_and_stream(transport, NATIVE_CODEC)


def test_the_native_codec_is_skipped_where_a_transport_has_no_pickling() -> None:
    assert skip_reason("shm", NATIVE_CODEC) is not None
    assert "no pickling" in str(skip_reason("tcp", NATIVE_CODEC))
    assert skip_reason("tcp", "pickle") is None
    assert skip_reason("mp-pipe", NATIVE_CODEC) is None


def test_a_missing_redis_server_skips_with_the_debian_package(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import serbench.transport.paths.redis_server as rs

    monkeypatch.setattr(rs, "redis_server_program", lambda: None)
    why = rs.redis_missing()
    assert why is not None and "apt-get install redis-server" in why
    assert "\n" not in why


@pytest.mark.slow
def test_the_cell_loops_time_and_keep_one_sample_per_request() -> None:
    codec = get_codec("pickle")
    encoded = codec.encode(OBJ)
    with open_path("mp-pipe", _config("pickle")) as path:
        samples: list[array[int]] = []
        timed = path_loops.path_loop("roundtrip", codec, OBJ, path, len(encoded), None, samples)
        assert timed(5) > 0
        assert len(samples) == 1 and len(samples[0]) == 5 and min(samples[0]) > 0
    with open_path("mp-queue", _config("pickle")) as path:
        timed = path_loops.path_loop("stream", codec, OBJ, path, len(encoded), 3, [])
        assert timed(2) > 0


@pytest.mark.slow
@pytest.mark.parametrize("transport", ALL)
def test_a_frame_over_the_limit_is_refused_before_it_is_sent(transport: str) -> None:
    codec = get_codec("pickle")
    with open_path(transport, _config("pickle", max_frame=64)) as path, \
            pytest.raises(FrameTooLarge, match="--max-frame"):
        path_loops.path_loop("roundtrip", codec, OBJ, path, 65, None, [])


@pytest.mark.slow
def test_the_pipe_peer_refuses_a_longer_message_unread() -> None:
    with open_path("mp-pipe", _config("null", max_frame=16)) as path:
        path.start("roundtrip", None)
        with pytest.raises(PathFailed, match="mp-pipe"):
            path.roundtrip(b"x" * 1000)  # past the client's check: the peer refuses it


@pytest.mark.slow
@pytest.mark.parametrize("transport", [
    "mp-pipe", "pool", "mp-queue", "zmq-ipc", pytest.param("redis", marks=NEEDS_REDIS)])
def test_a_killed_peer_fails_with_one_line(transport: str) -> None:
    codec = get_codec("pickle")
    with open_path(transport, _config("pickle")) as path:
        path.start("roundtrip", None)
        path.roundtrip(codec.encode(OBJ))
        assert path.pid is not None
        os.kill(path.pid, signal.SIGKILL)
        with pytest.raises(PathFailed) as err:
            for _ in range(3):
                path.roundtrip(codec.encode(OBJ))
    message = str(err.value)
    assert "\n" not in message and transport in message
    # Noticed as the peer's death, not as the I/O timeout running out (the pool's executor
    # reports its broken pool in its own words).
    assert "no reply within" not in message


def _failed_call(error: BaseException) -> Future[Any]:
    failed: Future[Any] = Future()
    failed.set_exception(error)
    return failed


@pytest.mark.slow
def test_a_pool_call_failed_by_the_closing_executor_is_the_peers_death() -> None:
    # After its worker dies the executor closes its call queue, and a call its feeder thread
    # was still writing fails with the pipe's OSError, not BrokenProcessPool (seen once in CI).
    with open_path("pool", _config("pickle")) as path:
        path.start("stream", 4)
        path._pending.append(_failed_call(OSError(9, "Bad file descriptor")))
        with pytest.raises(OSError) as live:  # a live pool: the error is the call's own
            path.read_ack()
        assert not isinstance(live.value, PathFailed)
        assert path.pid is not None
        os.kill(path.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10.0
        while path.ended() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        path._pending.append(_failed_call(OSError(9, "Bad file descriptor")))
        with pytest.raises(PathFailed) as err:
            path.read_ack()
    message = str(err.value)
    assert "\n" not in message and message.startswith("pool:") and "signal 9" in message


def test_redis_gets_small_frames_as_bytes_and_large_ones_as_memoryviews() -> None:
    small, large = b"x" * (UNCOPIED_FROM - 1), b"x" * UNCOPIED_FROM
    assert handed(small) is small
    assert type(handed(memoryview(small))) is bytes and handed(memoryview(small)) == small
    for frame in (large, bytearray(large), memoryview(large)):
        view = handed(frame)
        assert type(view) is memoryview and view.format == "B" and view.nbytes == len(large)
    doubles = memoryview(array("d", bytes(UNCOPIED_FROM)))  # a buffer of 8-byte items
    assert handed(doubles).nbytes == UNCOPIED_FROM and len(handed(doubles)) == UNCOPIED_FROM


@pytest.mark.slow
@NEEDS_REDIS
def test_a_killed_redis_server_fails_the_cell_naming_it() -> None:
    codec = get_codec("pickle")
    with open_path("redis", _config("pickle")) as path:
        path.start("roundtrip", None)
        server = path.server  # type: ignore[attr-defined]
        os.kill(server.pid, signal.SIGKILL)
        time.sleep(0.2)
        with pytest.raises(PathFailed, match=r"redis-server .* died"):
            path.roundtrip(codec.encode(OBJ))


@pytest.mark.slow
@NEEDS_REDIS
def test_the_redis_server_is_started_private_and_stopped_without_a_trace() -> None:
    with RedisServer() as server:
        pid, sock, directory = server.pid, server.socket_path, server.directory
        assert pid is not None and sock is not None and directory is not None
        assert Path(sock).is_socket() and (directory.stat().st_mode & 0o777) == 0o700
        assert server.version and server.version != "unknown"
        import redis

        client = redis.Redis(unix_socket_path=sock)
        assert client.config_get("save") == {"save": ""}
        assert client.config_get("appendonly") == {"appendonly": "no"}
        assert client.config_get("port") == {"port": "0"}  # no TCP port at all
        client.close()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not Path(sock).exists() and not directory.exists()


@pytest.mark.slow
def test_zmq_ipc_uses_an_abstract_socket_and_environment_records_versions() -> None:
    with open_path("zmq-ipc", _config("pickle")) as path:
        assert path.config.described["endpoint"].startswith("ipc://@")
    described = describe_paths(["tcp", *PATH_TRANSPORTS])
    assert set(described) == set(PATH_TRANSPORTS)
    assert "pyzmq" in described["zmq-tcp"] and "region_bytes" in described["shm"]


_CHILD = textwrap.dedent("""
    import sys
    from serbench.codecs import get_codec
    from serbench.transport.paths import PathConfig, open_path
    codec = get_codec("pickle")
    with open_path(sys.argv[1], PathConfig(codec="pickle")) as path:
        path.start("roundtrip", None)
        # A reply proves the peer runs its loop, so it has set SIGINT aside: an shm peer is
        # forked and sent its mode without a wait, and a signal before its first instructions
        # would be the race this test must not lose (the peer's own traceback).
        path.roundtrip(codec.encode({"x": 1}))
        print("READY", path.pid, flush=True)
        while True:
            path.roundtrip(codec.encode({"x": 1}))
""")


@pytest.mark.slow
@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL])
@pytest.mark.parametrize("transport", [
    "shm", "pool", "zmq-ipc", pytest.param("redis", marks=NEEDS_REDIS)])
def test_ctrl_c_or_kill_9_leave_no_process_segment_or_socket(transport: str,
                                                             how: signal.Signals) -> None:
    with subprocess.Popen([sys.executable, "-c", _CHILD, transport], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, start_new_session=True) as child:
        assert child.stdout is not None
        line = child.stdout.readline().split()
        assert line[:1] == [b"READY"], child.communicate(timeout=20)[1][-2000:]
        peer = int(line[1])
        os.killpg(child.pid, how)  # Ctrl-C reaches the whole foreground group
        _, err = child.communicate(timeout=30)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _running(peer):
        time.sleep(0.05)
    assert not _running(peer), "the peer outlived its cell"
    assert not [n for n in _segments() if n.startswith(f"serbench-{child.pid}-")]
    sockets = list(Path(tempfile.gettempdir()).glob(f"serbench-redis-{child.pid}-*/redis.sock"))
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(p.exists() for p in sockets):
        time.sleep(0.05)
    assert not [p for p in sockets if p.exists()], "redis-server left its socket"
    sweep_leftovers()  # what the next redis cell does first: a dead run's directory goes
    assert not list(Path(tempfile.gettempdir()).glob(f"serbench-redis-{child.pid}-*"))
    assert err.count(b"Traceback") <= 1, err[-2000:]  # the cell's own KeyboardInterrupt at most


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.parametrize("transport", ALL)
def test_a_codec_that_hands_out_several_buffers_round_trips_on_every_path(
        transport: str) -> None:
    """pickle-oob's numpy array is a list of buffers, request and reply (a multipart message
    on ZeroMQ, one joined message on a pipe); both ends must carry all of it."""
    import numpy as np

    codec = get_codec("pickle-oob")
    obj = {"a": np.arange(50_000, dtype=np.float64), "b": [1, 2]}
    assert isinstance(codec.encode(obj), list)
    with open_path(transport, _config("pickle-oob")) as path:
        path.start("roundtrip", None)
        for _ in range(2):
            back = codec.decode(memoryview(path.roundtrip(codec.encode(obj))))
            assert np.array_equal(back["a"], obj["a"]) and back["b"] == [1, 2]
