"""Start a scenario server in another process and talk to it.

`ServerProcess` owns the child: it is started with `subprocess` (never a bare `fork()`, which
would inherit pyperf's result pipe), gets the secret on stdin, and is always reaped: on exit,
on errors and on Ctrl-C; if this process dies, the child sees its stdin close and exits.
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from serbench.codecs.base import Encoded
from serbench.transport.auth import client_handshake, new_secret
from serbench.transport.errors import TransportError
from serbench.transport.framing import (
    DEFAULT_MAX_FRAME,
    HEADER,
    FrameReader,
    send_frame,
    set_timeouts,
)
from serbench.transport.server import DEFAULT_TIMEOUT_S, MODE_ROUNDTRIP, MODE_STREAM

TRANSPORTS = ("tcp", "uds")
STARTUP_TIMEOUT_S = 30.0


class ServerFailed(TransportError):
    """The server process did not start, or died; the message carries its last log lines."""


@dataclass
class ServerProcess:
    """A scenario server for one codec in a child process. Use as a context manager."""

    codec: str
    transport: str
    cpu: int | None = None
    gc_policy: str = "on"
    max_frame: int = DEFAULT_MAX_FRAME
    timeout_s: float = DEFAULT_TIMEOUT_S
    secret: bytes = field(default_factory=new_secret)
    address: tuple[str, int] | str | None = None
    _proc: subprocess.Popen[bytes] | None = None
    _tmpdir: Path | None = None

    def start(self) -> ServerProcess:
        """Start the child and wait for its READY line."""
        if self.transport not in TRANSPORTS:
            raise ValueError(f"unknown transport {self.transport!r}")
        # A private directory (mode 0700) for the Unix socket and the server's log.
        self._tmpdir = Path(tempfile.mkdtemp(prefix="serbench-"))
        cmd = [sys.executable, "-m", "serbench.transport.server", "--codec", self.codec,
               "--transport", self.transport, "--max-frame", str(self.max_frame),
               "--timeout", str(self.timeout_s), "--gc", self.gc_policy]
        if self.cpu is not None:
            cmd += ["--cpu", str(self.cpu)]
        if self.transport == "uds":
            cmd += ["--path", str(self._tmpdir / "s")]
        with open(self._tmpdir / "server.log", "wb") as log:
            self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                          stderr=log, close_fds=True)
        assert self._proc.stdin is not None
        self._proc.stdin.write(self.secret.hex().encode() + b"\n")
        self._proc.stdin.flush()
        self.address = self._wait_ready()
        return self

    def _wait_ready(self) -> tuple[str, int] | str:
        assert self._proc is not None and self._proc.stdout is not None
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        line = b""
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._proc.stdout], [], [], max(0.0, left))
            if not ready:
                self.stop()
                raise ServerFailed(f"the {self.codec} server did not start within "
                                   f"{STARTUP_TIMEOUT_S:g} s")
            chunk = os.read(self._proc.stdout.fileno(), 4096)
            if not chunk:
                tail = self.log_tail()
                self.stop()
                raise ServerFailed(f"the {self.codec} server exited before it was ready: {tail}")
            line += chunk
        words = line.decode().split()
        if words[:2] == ["READY", "tcp"]:
            return words[2], int(words[3])
        if words[:2] == ["READY", "uds"]:
            return words[2]
        self.stop()
        raise ServerFailed(f"unexpected line from the server: {line!r}")

    def log_tail(self, lines: int = 3) -> str:
        """The last lines the server logged, for error messages."""
        if self._tmpdir is None:
            return ""
        try:
            text = (self._tmpdir / "server.log").read_text(errors="replace")
        except OSError:
            return ""
        return " | ".join(text.strip().splitlines()[-lines:])

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs."""
        return self._proc.pid if self._proc is not None else None

    def connect(self, timeout_s: float | None = None) -> Connection:
        """A new authenticated connection to this server."""
        if self.address is None:
            raise ServerFailed("the server is not started")
        return Connection.open(self.address, self.secret, self.max_frame,
                               self.timeout_s if timeout_s is None else timeout_s)

    def stop(self) -> None:
        """Close the child's stdin, give it a moment, then terminate or kill it; clean up."""
        proc, self._proc = self._proc, None
        if proc is not None:
            for stream in (proc.stdin, proc.stdout):
                with contextlib.suppress(OSError):
                    if stream is not None:
                        stream.close()
            try:
                proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                proc.terminate()
                try:
                    proc.wait(timeout=2)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


class Connection:
    """One authenticated client connection: requests (round trip) or batches (stream)."""

    def __init__(self, sock: socket.socket, reader: FrameReader) -> None:
        self.sock = sock
        self.reader = reader

    @classmethod
    def open(cls, address: tuple[str, int] | str, secret: bytes,
             max_frame: int = DEFAULT_MAX_FRAME, timeout_s: float = DEFAULT_TIMEOUT_S
             ) -> Connection:
        """Connect, set TCP_NODELAY (TCP only), kernel timeouts, and do the handshake."""
        if isinstance(address, str):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        else:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            sock.settimeout(timeout_s)
            sock.connect(address)
            sock.settimeout(None)
            set_timeouts(sock, timeout_s)
            reader = FrameReader(sock, max_frame, timeout_s)
            client_handshake(sock, reader, secret)
        except BaseException:
            sock.close()
            raise
        return cls(sock, reader)

    def start_roundtrip(self) -> None:
        """Put the connection in round-trip mode."""
        send_frame(self.sock, MODE_ROUNDTRIP)

    def start_stream(self, batch: int) -> None:
        """Put the connection in stream mode: the server acknowledges every `batch` frames."""
        send_frame(self.sock, MODE_STREAM + b" " + str(batch).encode())

    def request(self, body: Encoded) -> memoryview:
        """Send one frame and return the reply (valid until the next read)."""
        send_frame(self.sock, body)
        return self.reader.read_frame()

    def read_ack(self) -> int:
        """Wait for a stream acknowledgement; returns the frame count it confirms."""
        (count,) = HEADER.unpack(self.reader.read_exact(HEADER.size))
        return int(count)

    def close(self) -> None:
        """Close the socket (the server ends that connection)."""
        self.sock.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
