"""`serbench serve`: the scenario server alone, as a user, a fuzzer or a second machine uses it."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
from pathlib import Path

import msgpack
import pytest
from conftest import assert_one_line_error, run_serbench
from serve_helpers import parse_ready, processes_in, serve, stop_process

from serbench.transport.auth import MIN_SECRET_BYTES, read_secret_file
from serbench.transport.connection import Connection
from serbench.transport.errors import TransportError

# Every test here starts `serbench serve` (or the scenario server) in a subprocess.
pytestmark = pytest.mark.slow

#: A stopping server must exit at all within this long; a hang guard, not a performance claim.
HANG_GUARD_S = 30


def _one_line_error(proc: subprocess.CompletedProcess[str]) -> str:
    line = assert_one_line_error(proc)
    assert "READY" not in proc.stdout
    return line


def test_serve_is_registered() -> None:
    proc = run_serbench("serve", "--help")
    assert proc.returncode == 0, proc.stderr
    for option in ("--codec", "--listen", "--unix", "--secret-file", "--max-frame", "--timeout",
                   "--allow-remote", "--max-connections", "--exit-on-stdin-eof"):
        assert option in proc.stdout


def test_serve_prints_its_address_and_answers_round_trips(tmp_path: Path) -> None:
    with serve(tmp_path, "msgpack") as server:
        host, port = server.address  # type: ignore[misc]
        assert host == "127.0.0.1" and port > 0
        obj = {"ids": list(range(100)), "name": "serve"}
        with server.connect() as conn:
            conn.start_roundtrip()
            for _ in range(3):
                assert msgpack.unpackb(conn.request(msgpack.packb(obj))) == obj
        # The same server in stream mode: acknowledgements count the frames.
        with server.connect() as conn:
            conn.start_stream(5)
            for _ in range(5):
                from serbench.transport.framing import send_frame

                send_frame(conn.sock, msgpack.packb(obj))
            assert conn.read_ack() == 5
        server.wait_for_log("ended by the peer", count=2)


def test_secret_file_is_created_private_and_reused(tmp_path: Path) -> None:
    with serve(tmp_path, "json") as first:
        info = first.secret_file.stat()
        assert stat.S_IMODE(info.st_mode) == 0o600
        text = first.secret_file.read_text()
        assert len(bytes.fromhex(text.strip())) >= MIN_SECRET_BYTES
        secret = first.secret
    with serve(tmp_path, "json") as second:  # same --secret-file: same secret
        assert second.secret == secret
        with second.connect():
            pass


def test_default_secret_is_temporary_and_removed(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "serbench", "serve", "--codec", "json",
                             "--exit-on-stdin-eof"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdout is not None and proc.stderr is not None
        address = parse_ready(proc.stdout.readline().decode())
        note = proc.stderr.readline().decode()
        path = Path(note.split("secret in ")[1].split(" (removed on exit)")[0])
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        with Connection.open(address, read_secret_file(path)):
            pass
    finally:
        assert stop_process(proc, signal.SIGINT) == 0
    assert not path.exists() and not path.parent.exists()


def test_a_client_without_the_secret_is_refused(tmp_path: Path) -> None:
    with serve(tmp_path, "pickle") as server:
        with pytest.raises(TransportError):
            Connection.open(server.address, os.urandom(32), timeout_s=5)
        server.wait_for_log("handshake failed")
        with server.connect():
            pass


def test_loopback_only_by_default(tmp_path: Path) -> None:
    line = _one_line_error(run_serbench("serve", "--codec", "msgpack", "--listen", "0.0.0.0:0",
                                        "--secret-file", str(tmp_path / "s")))
    assert "0.0.0.0 is not a loopback address" in line and "--allow-remote" in line
    line = _one_line_error(run_serbench("serve", "--codec", "msgpack", "--listen", ":0",
                                        "--secret-file", str(tmp_path / "s")))
    assert "--allow-remote" in line


@pytest.mark.parametrize(("codec", "unsafe"), [("pickle", True), ("msgpack", False)])
def test_allow_remote_warns(tmp_path: Path, codec: str, unsafe: bool) -> None:
    with serve(tmp_path, codec, "--listen", "0.0.0.0:0", "--allow-remote") as server:
        assert server.address[0] == "0.0.0.0"
        log = server.wait_for_log("server on 0.0.0.0:")
        text = server.log_text()
    assert log
    assert "warning: listening on 0.0.0.0:" in text
    assert "neither encrypted nor integrity-protected" in text
    assert ("not safe for untrusted input" in text) is unsafe
    if unsafe:
        assert "can run code as user id" in text


def test_loopback_names_need_no_flag(tmp_path: Path) -> None:
    with serve(tmp_path, "json", "--listen", "localhost:0") as server:
        assert server.address[0] in ("127.0.0.1", "::1")
        assert "warning" not in server.log_text()


def test_unix_socket_in_a_private_directory(tmp_path: Path) -> None:
    path = tmp_path / "private" / "serbench.sock"
    with serve(tmp_path, "pickle", "--unix", str(path)) as server:
        assert server.address == str(path)
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_ISSOCK(path.stat().st_mode)
        with server.connect() as conn:
            conn.start_roundtrip()
            import pickle

            assert pickle.loads(conn.request(pickle.dumps({"x": 1}, protocol=5))) == {"x": 1}
    assert not path.exists()
    assert not path.parent.exists()  # serve made the directory, serve removed it


def test_unix_socket_refuses_a_directory_others_can_open(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o755)
    line = _one_line_error(run_serbench("serve", "--codec", "pickle", "--unix",
                                        str(shared / "s"), "--secret-file",
                                        str(tmp_path / "secret")))
    assert "other users can open the directory" in line and "0755" in line
    assert not (shared / "s").exists()


def test_unix_socket_stale_file_is_replaced_and_live_one_refused(tmp_path: Path) -> None:
    directory = tmp_path / "d"
    directory.mkdir(mode=0o700)
    path = directory / "s"
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(str(path))
    stale.close()  # the file stays; nobody listens
    with serve(tmp_path, "json", "--unix", str(path)) as server:
        line = _one_line_error(run_serbench("serve", "--codec", "json", "--unix", str(path),
                                            "--secret-file", str(server.secret_file)))
        assert "another server is listening there" in line
        with server.connect():
            pass
    assert directory.exists()  # not made by serve: left in place


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_secret_file_others_can_read_is_refused(tmp_path: Path, mode: int) -> None:
    secret = tmp_path / "secret"
    secret.write_text(os.urandom(32).hex())
    secret.chmod(mode)
    line = _one_line_error(run_serbench("serve", "--codec", "json", "--secret-file",
                                        str(secret)))
    assert f"other users can access it (mode {mode:04o})" in line and "chmod 600" in line


@pytest.mark.parametrize("content", ["", "not hex", "abcd", "00" * (MIN_SECRET_BYTES - 1)])
def test_secret_file_that_is_not_a_secret_is_refused(tmp_path: Path, content: str) -> None:
    secret = tmp_path / "secret"
    secret.write_text(content)
    secret.chmod(0o600)
    line = _one_line_error(run_serbench("serve", "--codec", "json", "--secret-file",
                                        str(secret)))
    assert "expected one line of at least 32 hex digits" in line


@pytest.mark.parametrize(("args", "expected"), [
    (["--codec", "nope"], "unknown codec 'nope'"),
    (["--codec", "json", "--listen", "localhost"], "expected HOST:PORT"),
    (["--codec", "json", "--listen", "127.0.0.1:99999"], "expected HOST:PORT"),
    (["--codec", "json", "--listen", "::1:80"], "IPv6 address in brackets"),
    (["--codec", "json", "--max-frame", "0"], "--max-frame must be between"),
    (["--codec", "json", "--timeout", "0"], "--timeout: a duration must be positive"),
    (["--codec", "json", "--max-connections", "0"], "--max-connections must be at least 1"),
    (["--codec", "json", "--unix", "/tmp/" + "x" * 120 + "/s"], "longer than the 107 bytes"),
])
def test_serve_bad_input(tmp_path: Path, args: list[str], expected: str) -> None:
    line = _one_line_error(run_serbench("serve", *args, "--secret-file",
                                        str(tmp_path / "secret")))
    assert expected in line


def test_port_in_use(tmp_path: Path) -> None:
    with serve(tmp_path, "json") as server:
        port = server.address[1]  # type: ignore[misc]
        line = _one_line_error(run_serbench("serve", "--codec", "json", "--listen",
                                            f"127.0.0.1:{port}", "--secret-file",
                                            str(server.secret_file)))
        assert "cannot listen on 127.0.0.1 port" in line and "in use" in line


@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM", "SIGHUP", "stdin-eof"])
def test_serve_stops_cleanly(tmp_path: Path, how: str) -> None:
    sock_path = tmp_path / "run" / "s"
    with serve(tmp_path, "json", "--unix", str(sock_path)) as server:
        with server.connect():  # an open connection does not keep it alive
            if how == "stdin-eof":
                assert server.proc.stdin is not None
                server.proc.stdin.close()
            else:
                server.proc.send_signal(getattr(signal, how))
            code = server.proc.wait(timeout=HANG_GUARD_S)
        text = server.log_text()
    # A daemon thread blocked in a buffered stdin read would make interpreter shutdown abort
    # ("Fatal Python error: could not acquire lock for <stdin>"), with a non-zero exit code.
    assert code == 0, text
    assert "Fatal Python error" not in text
    assert "serbench serve: stopped" in text
    assert not sock_path.exists() and not sock_path.parent.exists()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_scenario_server_stops_cleanly_on_signals(tmp_path: Path, sig: int) -> None:
    """`python -m serbench.transport.server`, as the cells start it, exits 0 on a signal."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "serbench.transport.server", "--codec", "pickle", "--transport",
         "uds", "--path", str(tmp_path / "s")], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, cwd=tmp_path)
    try:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(os.urandom(32).hex().encode() + b"\n")
        proc.stdin.flush()
        assert proc.stdout.readline().startswith(b"READY uds ")
        proc.send_signal(sig)
        code = proc.wait(timeout=HANG_GUARD_S)
        assert proc.stderr is not None
        assert b"Fatal Python error" not in proc.stderr.read()
        assert code == 0
        assert not (tmp_path / "s").exists()
    finally:
        stop_process(proc, signal.SIGKILL)
    assert processes_in(tmp_path) == []
