"""Two hosts: `serbench run --connect` against `serbench serve`, the codec named per connection,
the server's info frame, the same-Python rule, bounded decompression.

The "other host" is a `serbench serve` process on 127.0.0.1 (or a server thread in this process
where a test fakes what the server reports): the protocol is the same on a real network.
"""

from __future__ import annotations

import csv
import json
import socket
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgpack
import pytest
from conftest import assert_one_line_error, run_serbench
from serve_helpers import serve

from serbench.cli.main import main
from serbench.codecs import get_codec, joined
from serbench.codecs.compression import (
    MAX_DECOMPRESSED,
    DecompressionLimit,
    limit_decompression,
)
from serbench.common.errors import UserError
from serbench.extensions.fleet.catalogue import CodecCatalogue
from serbench.extensions.fleet.remote import same_python_refusals, server_info
from serbench.runner.matrix import Matrix
from serbench.transport import hostinfo, listeners, serve_loop
from serbench.transport.auth import load_or_create_secret_file
from serbench.transport.connection import Connection, Refused
from serbench.transport.errors import PeerClosed, TransportError
from serbench.transport.framing import send_frame
from serbench.transport.protocol import PROTOCOL_VERSION, SELECT_OK, parse_address, select_frame

OTHER_PYTHON = {"implementation": "PyPy", "version": "3.9", "pickle_protocol": 5}


@pytest.fixture
def thread_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A server serving every codec in a thread of this process: (HOST:PORT, secret file)."""
    secret_file = tmp_path / "secret"
    secret, _ = load_or_create_secret_file(secret_file)
    listener = listeners.listen_tcp()
    config = serve_loop.ServerConfig(get_codec("null"), secret, timeout_s=5.0,
                                 choose=CodecCatalogue(None))
    stop = threading.Event()
    thread = threading.Thread(target=serve_loop.serve, args=(listener, config, stop), daemon=True)
    thread.start()
    try:
        host, port = listener.getsockname()[:2]
        yield f"{host}:{port}", secret_file
    finally:
        stop.set()
        listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept(); close alone does not
        listener.close()
        thread.join(timeout=5)
        assert not thread.is_alive()


def _free_port() -> int:
    """A port nobody listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- fast: the protocol and the checks, against a server thread ------------------------------

def test_info_frame_reports_protocol_and_host(thread_server: tuple[str, Path]) -> None:
    address, secret_file = thread_server
    info = server_info(address, secret_file)
    assert info["protocol"] == PROTOCOL_VERSION
    host = info["host"]
    assert {"hostname", "cpu_model", "python", "python_implementation", "python_version",
            "python_pickle_protocol", "libraries"} <= set(host)
    assert hostinfo.identity_of(host) == hostinfo.python_identity()


def test_codec_is_named_per_connection(thread_server: tuple[str, Path]) -> None:
    address, secret_file = thread_server
    secret = secret_file.read_text().strip()
    obj = {"a": [1, 2, 3]}
    for name in ("msgpack", "pickle", "msgpack+zlib"):
        codec = get_codec(name)
        with Connection.open(parse_address(address), bytes.fromhex(secret)) as conn:
            conn.select(name)
            conn.start_roundtrip()
            assert codec.decode(memoryview(bytes(conn.request(codec.encode(obj))))) == obj


def test_unknown_or_unlisted_codec_is_refused_with_the_reason(
        thread_server: tuple[str, Path]) -> None:
    address, secret_file = thread_server
    secret = bytes.fromhex(secret_file.read_text().strip())
    with Connection.open(parse_address(address), secret) as conn, \
            pytest.raises(Refused, match="no-such-codec"):
        conn.select("no-such-codec")
    limited = CodecCatalogue(["msgpack"])
    with pytest.raises(Exception, match="serves msgpack, not pickle"):
        limited("pickle", None)


def test_server_refuses_same_python_only_codec_for_another_python(
        thread_server: tuple[str, Path]) -> None:
    """The server checks too: a client announcing another Python gets `error`, not pickles
    it cannot read; a codec without the flag is still served to it."""
    address, secret_file = thread_server
    secret = bytes.fromhex(secret_file.read_text().strip())
    for name, refused in (("cloudpickle", True), ("msgpack", False)):
        with Connection.open(parse_address(address), secret) as conn:
            send_frame(conn.sock, select_frame(name, None, OTHER_PYTHON))
            reply = bytes(conn.reader.read_frame())
        assert (reply != SELECT_OK) is refused, reply
        if refused:
            assert b"same Python" in reply and b"PyPy 3.9" in reply


def test_run_refuses_same_python_only_codec_in_one_line(
        thread_server: tuple[str, Path], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A server reporting another Python (faked): a chosen same_python_only codec is one error
    line, exit 2, before anything runs; others pass the check."""
    address, secret_file = thread_server
    real = hostinfo.host_info
    monkeypatch.setattr(hostinfo, "host_info", lambda: {
        **real(), "python_implementation": "PyPy", "python_version": "3.9"})
    out = tmp_path / "out"
    code = main(["run", "--connect", address, "--secret-file", str(secret_file),
                 "--codecs", "cloudpickle,null", "--payloads", "small",
                 "--debug-single-value", "-o", str(out), "--no-report"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith("serbench: error: codec cloudpickle needs the "
                                               "same Python"), err
    assert "PyPy 3.9 on the other host" in err[0]
    assert not out.exists()
    server_host = {"python_implementation": "PyPy", "python_version": "3.9",
                   "python_pickle_protocol": 5}
    assert same_python_refusals(["pickle", "cloudpickle", "msgpack"], server_host).keys() \
        == {"cloudpickle"}
    assert same_python_refusals(["cloudpickle"], real()) == {}


def test_built_in_matrix_skips_same_python_only_codec_with_a_note(
        thread_server: tuple[str, Path], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from serbench.extensions.fleet.options import remote_matrix

    address, secret_file = thread_server
    real = hostinfo.host_info
    monkeypatch.setattr(hostinfo, "host_info", lambda: {**real(), "python_version": "2.7"})
    matrix = Matrix(codecs=["pickle", "cloudpickle", "null"], payloads=["small"])
    ran, facts = remote_matrix(matrix, address, secret_file, chosen=False)
    assert ran.codecs == ["pickle", "null"] and ran.transports == ["tcp"]
    assert "codec cloudpickle needs the same Python" in capsys.readouterr().out
    assert facts["hosts"]["server"]["python_version"] == "2.7"
    assert set(facts["hosts"]) == {"client", "server"}


def test_other_protocol_version_is_one_clear_error(
        thread_server: tuple[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    address, secret_file = thread_server
    monkeypatch.setattr(serve_loop, "info_reply",
                        lambda version: json.dumps({"protocol": 99, "host": {}}).encode())
    with pytest.raises(UserError, match="protocol version 99, this serbench speaks 1"):
        server_info(address, secret_file)


def test_connect_address_is_checked() -> None:
    assert parse_address("[::1]:8080") == ("::1", 8080)
    assert parse_address("example.org:1") == ("example.org", 1)
    for bad in ("nohost", ":80", "h:0", "h:99999", "h:x"):
        with pytest.raises(UserError, match="expected HOST:PORT"):
            parse_address(bad)


# -- bounded decompression, in process ------------------------------------------------------

def _bombs(size: int) -> dict[str, bytes]:
    """`size` zero bytes compressed by each compressor (streamed: never `size` at once)."""
    import lz4.frame
    import zstandard

    chunk, count = bytes(2**20), size // 2**20
    z = zlib.compressobj(9)
    zs = zstandard.ZstdCompressor(level=3).compressobj()  # no declared content size
    lz = lz4.frame.LZ4FrameCompressor()
    return {
        "zlib": b"".join(z.compress(chunk) for _ in range(count)) + z.flush(),
        "zstd": b"".join(zs.compress(chunk) for _ in range(count)) + zs.flush(),
        "lz4": lz.begin() + b"".join(lz.compress(chunk) for _ in range(count)) + lz.flush(),
        "zstd-declared": zstandard.ZstdCompressor(level=3).compress(bytes(size)),
        "lz4-declared": lz4.frame.compress(bytes(size)),
    }


def test_decompression_stops_at_the_limit() -> None:
    limit_decompression(2**20)
    try:
        for name, bomb in _bombs(8 * 2**20).items():
            codec = get_codec(f"msgpack+{name.split('-')[0]}")
            with pytest.raises(DecompressionLimit, match=r"more than 1048576 bytes|within "
                               r"1048576 bytes"):
                codec.decode(memoryview(bomb))
            legit = {"still": "decoded", "n": list(range(100))}
            assert codec.decode(memoryview(joined(codec.encode(legit)))) == legit
    finally:
        limit_decompression(MAX_DECOMPRESSED)


def test_truncated_compressed_frames_still_fail() -> None:
    for name in ("zlib", "zstd", "lz4"):
        codec = get_codec(f"msgpack+{name}")
        whole = joined(codec.encode({"x": "y" * 1000}))
        with pytest.raises(Exception):  # noqa: B017 (each library raises its own error)
            codec.decode(memoryview(whole[: len(whole) // 2]))


# -- slow: real processes --------------------------------------------------------------------

def _address(served: Any) -> str:
    host, port = served.address
    return f"{host}:{port}"


@pytest.mark.slow
def test_run_against_serve_records_both_hosts(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with serve(tmp_path, "all") as served:
        proc = run_serbench("run", "--connect", _address(served), "--secret-file",
                            str(served.secret_file), "--codecs", "pickle,null",
                            "--payloads", "small", "--scenarios", "roundtrip,stream,encode",
                            "--debug-single-value", "-o", str(out), "--no-report")
        assert proc.returncode == 0, proc.stderr
        log = served.log_text()
    env = json.loads((out / "environment.json").read_text())
    assert set(env["hosts"]) == {"client", "server"}
    assert env["hosts"]["server"]["python"] and env["hosts"]["client"]["hostname"]
    assert env["remote"]["address"] == _address(served)
    assert env["worker_budget"]["connect"] == _address(served)
    assert env["matrix"]["transports"] == ["tcp"]
    rows = (out / "summary.csv").read_text().splitlines()
    cells = {tuple(r.split(",")[:5]) for r in rows[1:]}
    assert {(c, s, "tcp", "small-2", "ok") for c in ("pickle", "null")
            for s in ("roundtrip", "stream")} <= cells  # the null floor went over the link
    assert json.dumps(_address(served)) in (out / "pickle.json").read_text()
    assert log.count("ended by the peer") >= 4  # every socket cell talked to this server


@pytest.mark.slow
def test_dead_server_is_one_line_exit_2(tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    load_or_create_secret_file(secret_file)
    out = tmp_path / "out"
    proc = run_serbench("run", "--connect", f"127.0.0.1:{_free_port()}", "--secret-file",
                        str(secret_file), "--codecs", "pickle,null", "--payloads", "small",
                        "--debug-single-value", "-o", str(out))
    assert_one_line_error(proc, "cannot reach a server there", "serbench serve")
    assert not out.exists()


@pytest.mark.slow
def test_wrong_secret_is_one_line_exit_2_and_server_keeps_serving(tmp_path: Path) -> None:
    wrong = tmp_path / "wrong"
    load_or_create_secret_file(wrong)
    with serve(tmp_path, "msgpack,pickle,null") as served:
        proc = run_serbench("run", "--connect", _address(served), "--secret-file", str(wrong),
                            "--codecs", "pickle,null", "--payloads", "small",
                            "--debug-single-value", "-o", str(tmp_path / "out"))
        assert_one_line_error(proc, "handshake failed", str(wrong))
        served.wait_for_log("handshake failed")
        served.assert_serves()
        refused = run_serbench("run", "--connect", _address(served), "--secret-file",
                               str(served.secret_file), "--codecs", "cbor2,null",
                               "--payloads", "small", "--debug-single-value",
                               "-o", str(tmp_path / "out2"))
        assert_one_line_error(refused, "refused codec cbor2", "--codec all")


@pytest.mark.slow
@pytest.mark.parametrize("name", ["zlib", "zstd", "lz4", "zstd-declared"])
def test_bomb_fails_its_frame_and_server_keeps_serving(tmp_path: Path, name: str) -> None:
    codec_name = f"msgpack+{name.split('-')[0]}"
    bomb = _bombs(64 * 2**20)[name]
    # msgpack first: connections that name no codec (assert_serves) get plain msgpack.
    with serve(tmp_path, f"msgpack,{codec_name}", "--max-frame", str(2**20)) as served:
        assert len(bomb) < 2**20  # the frame itself is within the limit
        with served.connect() as conn:
            conn.select(codec_name)
            conn.start_roundtrip()
            with pytest.raises((PeerClosed, TransportError, OSError)):
                conn.request(bomb)
        line = served.wait_for_log("DecompressionLimit")[0]
        assert f"{name.split('-')[0]} frame" in line
        assert "refused" in line or "within 1048576 bytes" in line
        assert served.status("VmHWM") < 400_000  # kB: the 64 MiB never materialised
        codec = get_codec(codec_name)
        with served.connect() as conn:  # the next connection works
            conn.select(codec_name)
            conn.start_roundtrip()
            reply = conn.request(codec.encode({"ok": True}))
            assert codec.decode(memoryview(bytes(reply))) == {"ok": True}
        served.assert_serves({"plain": msgpack.unpackb(msgpack.packb([1, 2]))})


@pytest.mark.slow
def test_refusal_mid_run_fails_that_cell_with_the_reason_and_keeps_the_rest(
        tmp_path: Path) -> None:
    """A shape-derived codec is asked for by its cells (the server binds it to the payload),
    so a server that does not serve it fails those cells, with its reason, mid-run."""
    out = tmp_path / "out"
    with serve(tmp_path, "pickle,null") as served:
        proc = run_serbench("run", "--connect", _address(served), "--secret-file",
                            str(served.secret_file), "--codecs", "pickle,null,msgspec-struct",
                            "--payloads", "records:10", "--scenarios", "roundtrip,encode",
                            "--debug-single-value", "-o", str(out), "--no-report")
    assert proc.returncode == 0, proc.stderr
    with open(out / "summary.csv", newline="") as handle:
        rows = {(r["codec"], r["scenario"]): r for r in csv.DictReader(handle)}
    failed = rows[("msgspec-struct", "roundtrip")]
    assert failed["status"] == "failed"
    assert "this server serves null, pickle, not msgspec-struct" in failed["detail"]
    assert {k for k, r in rows.items() if r["status"] == "ok"} == {
        ("pickle", "roundtrip"), ("pickle", "encode"), ("null", "roundtrip"), ("null", "encode"),
        ("msgspec-struct", "encode")}
