"""Helpers for the robustness tests: a `serbench serve` process, raw clients, /proc probes.

Everything started here is stopped in a `finally` (SIGTERM, then SIGKILL), and each server runs
with `--exit-on-stdin-eof`, so even a test process killed outright leaves no server behind.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from serbench.transport.auth import client_handshake, read_secret_file
from serbench.transport.connection import Connection
from serbench.transport.framing import HEADER, FrameReader

Address = tuple[str, int] | str


@dataclass
class Served:
    """A running `serbench serve` and what a client needs to reach it."""

    proc: subprocess.Popen[bytes]
    address: Address
    secret: bytes
    log_path: Path
    secret_file: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, pattern: str, timeout_s: float = 10.0, count: int = 1) -> list[str]:
        """Lines of the server's log matching `pattern` (a regex), once there are `count`."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout_s
        while True:
            lines = [line for line in self.log_text().splitlines() if regex.search(line)]
            if len(lines) >= count:
                return lines
            if time.monotonic() > deadline:
                raise AssertionError(f"{count} log line(s) matching {pattern!r} expected within "
                                     f"{timeout_s} s, found {len(lines)}; log:\n"
                                     + self.log_text()[-3000:])
            time.sleep(0.02)

    def connect(self, timeout_s: float = 5.0) -> Connection:
        """An authenticated client connection."""
        return Connection.open(self.address, self.secret, timeout_s=timeout_s)

    def raw(self, timeout_s: float = 5.0) -> socket.socket:
        """A plain connected socket, no handshake (Python timeouts: this is not a hot path)."""
        return raw_connect(self.address, timeout_s)

    def assert_serves(self, payload: object = None) -> None:
        """A good client still gets its round trip answered."""
        from serbench.codecs import joined

        assert self.proc.poll() is None, f"the server exited:\n{self.log_text()[-2000:]}"
        obj = {"ok": [1, 2, 3], "text": "still serving"} if payload is None else payload
        with self.connect() as conn:
            conn.start_roundtrip()
            reply = bytes(conn.request(_encode_msgpack(obj)))
        import msgpack

        assert msgpack.unpackb(reply) == obj, joined(reply)

    def status(self, field: str) -> int:
        """A numeric field of /proc/<pid>/status (VmRSS and VmHWM in kB, Threads)."""
        return proc_status(self.pid, field)


def _encode_msgpack(obj: object) -> bytes:
    import msgpack

    data = msgpack.packb(obj)
    assert isinstance(data, bytes)
    return data


def proc_status(pid: int, field: str) -> int:
    text = Path(f"/proc/{pid}/status").read_text()
    match = re.search(rf"^{field}:\s+(\d+)", text, re.MULTILINE)
    assert match, f"no {field} in /proc/{pid}/status"
    return int(match.group(1))


def raw_connect(address: Address, timeout_s: float = 5.0) -> socket.socket:
    family = socket.AF_UNIX if isinstance(address, str) else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.connect(address)  # blocking: a connect with a Python timeout costs ~2 ms here
        sock.settimeout(timeout_s)
    except BaseException:
        sock.close()
        raise
    return sock


def authenticate(sock: socket.socket, secret: bytes) -> None:
    """The client side of the handshake on a raw socket (it then sends raw bytes)."""
    client_handshake(sock, FrameReader(sock, 1024, 5.0), secret)


def frame(body: bytes) -> bytes:
    return HEADER.pack(len(body)) + body


def closed_by_peer(sock: socket.socket, within_s: float) -> float:
    """Seconds until the peer closed `sock` (EOF or reset); fails if it stays open longer.
    Bytes the server sent first (e.g. its challenge) are read and ignored."""
    start = time.monotonic()
    deadline = start + within_s
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"the server kept the connection open for {within_s} s")
        sock.settimeout(left)
        try:
            data = sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            return time.monotonic() - start
        except TimeoutError as exc:
            raise AssertionError(f"the server kept the connection open for {within_s} s"
                                 ) from exc
        if not data:
            return time.monotonic() - start


def _read_ready(proc: subprocess.Popen[bytes], timeout_s: float) -> str:
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout_s
    line = b""
    while not line.endswith(b"\n"):
        left = deadline - time.monotonic()
        ready, _, _ = select.select([proc.stdout], [], [], max(0.0, left))
        if not ready:
            raise AssertionError("serbench serve printed no READY line in time")
        chunk = os.read(proc.stdout.fileno(), 4096)
        if not chunk:
            raise AssertionError(f"serbench serve exited before it was ready (code "
                                 f"{proc.wait(5)})")
        line += chunk
    return line.decode()


def parse_ready(line: str) -> Address:
    words = line.split()
    assert words[:2] in (["READY", "tcp"], ["READY", "uds"]), line
    if words[1] == "tcp":
        return words[2], int(words[3])
    return words[2]


def stop_process(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> int:
    """Signal, wait, then kill: the process is gone when this returns; its exit code."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(sig)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
    return int(proc.returncode)


@contextlib.contextmanager
def serve(tmp_path: Path, codec: str = "msgpack", *extra: str,
          name: str = "serve") -> Iterator[Served]:
    """`serbench serve --codec CODEC ...` with a secret file in `tmp_path`, stopped at exit."""
    secret_file = tmp_path / f"{name}.secret"
    log_path = tmp_path / f"{name}.log"
    cmd = [sys.executable, "-m", "serbench", "serve", "--codec", codec,
           "--secret-file", str(secret_file), "--exit-on-stdin-eof", *extra]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                                close_fds=True)
    try:
        address = parse_ready(_read_ready(proc, 30.0))
        yield Served(proc, address, read_secret_file(secret_file), log_path, secret_file)
    finally:
        stop_process(proc)


def processes_in(cwd: Path) -> list[tuple[int, str]]:
    """Processes (pid, command line) whose working directory is `cwd`: everything a run
    started there, however deep, since no serbench process changes directory."""
    found = []
    target = str(cwd.resolve())
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            if os.readlink(f"/proc/{entry}/cwd") != target:
                continue
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ")
            state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":  # a zombie is already dead; its parent reaps it
            found.append((int(entry), cmdline.decode(errors="replace").strip()))
    return found


def wait_until(predicate: Callable[[], bool], timeout_s: float, what: str,
               interval_s: float = 0.02) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(interval_s)


def pack_len(n: int) -> bytes:
    return struct.pack("<I", n)
