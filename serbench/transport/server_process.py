"""Start a scenario server in another process, and always stop it.

`ServerProcess` owns the child and always reaps it: on exit, on errors and on Ctrl-C; if this
process dies, the child sees its stdin close and exits. Two ways to start it, same server code:

- `exec` (default): `python -m serbench.transport.server` via `subprocess`, secret on stdin,
  address from its READY line. A fresh interpreter: ~70 ms of start-up and imports.
- `fork`: `os.fork()` of this (already set-up) process, which binds the listening socket first;
  the child closes every inherited descriptor but the listener (so pyperf's result pipe does not
  stay open and make pyperf's manager wait), takes a pipe as its stdin and the log file as its
  stderr, and runs the same `server.run`. ~2 ms; the scenario cells use it, once per pyperf
  worker, since a default run starts hundreds of servers. Call it before starting threads.

The `fork` path runs `serbench.transport.server` in the child (the module is imported with this
one, ~8 ms, so the import graph reads from the top of the file). Talking to the server is
`connection.Connection`'s job (`ServerProcess.connect` opens one).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from serbench.codecs import get_codec
from serbench.common.leftovers import owned_dir, sweep_owned_dirs
from serbench.common.processes import Child, NotReady, file_tail, stop_all, wait_ready
from serbench.common.vocabulary import DEFAULT_MAX_FRAME, TRANSPORTS
from serbench.transport import listeners, placement, serve_loop, server
from serbench.transport.auth import new_secret
from serbench.transport.connection import Connection
from serbench.transport.errors import TransportError
from serbench.transport.protocol import (
    DEFAULT_TIMEOUT_S,
    READY,
    SERVER_PROCESS_NAME,
    STARTUP_TIMEOUT_S,
    UNIX_PATH_MAX,
)

__all__ = ["ServerFailed", "ServerProcess"]

#: The private directory under /tmp of a Unix socket whose path would be too long elsewhere.
SHORT_DIR_PREFIX = "serbench-uds-"


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
    start_method: str = "exec"
    address: tuple[str, int] | str | None = None
    #: The payload (spec, and the run's pickled copy) a shape-derived codec is bound to.
    payload: str | None = None
    payload_cache: str | None = None
    #: Across a link (`serbench.transport.link.endpoints.Endpoints`, fork only): listen in its
    #: server
    #: namespace, and the client connects to its connect address.
    link: Any = None
    _proc: subprocess.Popen[bytes] | None = None
    _forked: tuple[int, int] | None = None  # (pid, write end of the child's stdin pipe)
    _tmpdir: Path | None = None
    _short_dir: Path | None = None

    def start(self) -> ServerProcess:
        """Start the child; return once it listens."""
        if self.transport not in TRANSPORTS:
            raise ValueError(f"unknown transport {self.transport!r}")
        # A private directory (mode 0700) for the Unix socket and the server's log.
        self._tmpdir = Path(tempfile.mkdtemp(prefix="serbench-"))
        try:
            return self._fork() if self.start_method == "fork" else self._exec()
        except BaseException:
            self.stop()  # nothing half-started is left: directory, descriptors, child
            raise

    def _command(self) -> list[str]:
        """The server program and its own options (a subclass names another server)."""
        return [sys.executable, "-m", "serbench.transport.server"]

    def _exec(self) -> ServerProcess:
        assert self._tmpdir is not None
        cmd = [*self._command(), "--codec", self.codec,
               "--transport", self.transport, "--max-frame", str(self.max_frame),
               "--timeout", str(self.timeout_s), "--gc", self.gc_policy]
        if self.cpu is not None:
            cmd += ["--cpu", str(self.cpu)]
        if self.payload is not None:
            cmd += ["--payload", self.payload]
        if self.payload_cache is not None:
            cmd += ["--payload-cache", self.payload_cache]
        if self.transport == "uds":
            cmd += ["--path", self._socket_path()]
        with open(self._tmpdir / "server.log", "wb") as log:
            self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                          stderr=log, close_fds=True)
        assert self._proc.stdin is not None
        self._proc.stdin.write(self.secret.hex().encode() + b"\n")
        self._proc.stdin.flush()
        self.address = self._wait_ready()
        return self

    def _fork(self) -> ServerProcess:

        assert self._tmpdir is not None
        codec = get_codec(self.codec)
        address: tuple[str, int] | str
        if self.transport == "tcp" and self.link is not None:
            listener, address = self.link.listen_tcp(), self.link.connect
        elif self.transport == "tcp":
            listener = listeners.listen_tcp()
            host, port = listener.getsockname()[:2]
            address = (host, port)
        else:
            address = self._socket_path()
            listener = listeners.listen_unix(address)
        log_fd = os.open(self._tmpdir / "server.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND,
                         0o600)
        stdin_r, stdin_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            code = 1
            try:
                _become_server_child(listener.fileno(), stdin_r, log_fd)
                server.configure_logging()
                placement.pin_self(self.cpu)
                # Bound in the child: the client's payload pages stay unshared.
                codec = server.bind_to_payload(codec, self.payload, self.payload_cache)
                config = serve_loop.ServerConfig(codec, self.secret, self.max_frame, self.timeout_s)
                server.run(listener, config, watch_stdin=True, gc_policy=self.gc_policy)
                code = 0
            except BaseException:
                with contextlib.suppress(BaseException):
                    import traceback

                    traceback.print_exc()
            finally:
                os._exit(code)
        os.close(stdin_r)
        os.close(log_fd)
        listener.close()
        self._forked = (pid, stdin_w)
        self.address = address
        return self

    def _socket_path(self) -> str:
        """The Unix socket's path: in the private directory, or, when that path would pass
        the 107-byte limit (a long TMPDIR), in a private directory under /tmp."""
        assert self._tmpdir is not None
        path = str(self._tmpdir / "s")
        if len(os.fsencode(path)) <= UNIX_PATH_MAX:
            return path
        sweep_owned_dirs(SHORT_DIR_PREFIX, "/tmp")  # what a killed worker left here
        self._short_dir = owned_dir(SHORT_DIR_PREFIX, "/tmp")
        return str(self._short_dir / "s")

    def _wait_ready(self) -> tuple[str, int] | str:
        assert self._proc is not None and self._tmpdir is not None
        try:
            words = wait_ready(self._proc, f"the {self.codec} server", STARTUP_TIMEOUT_S,
                               word=READY, log=self._tmpdir / "server.log")
        except NotReady as exc:
            raise ServerFailed(str(exc)) from exc
        if words[:1] == ["tcp"] and len(words) == 3 and words[2].isdigit():
            return words[1], int(words[2])
        if words[:1] == ["uds"] and len(words) >= 2:
            return " ".join(words[1:])
        raise ServerFailed(f"unexpected line from the {self.codec} server: "
                           f"{' '.join([READY, *words])!r}")

    def log_tail(self, lines: int = 3) -> str:
        """The last lines the server logged, for error messages."""
        if self._tmpdir is None:
            return ""
        return file_tail(self._tmpdir / "server.log", lines)

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs."""
        if self._forked is not None:
            return self._forked[0]
        return self._proc.pid if self._proc is not None else None

    def connect(self, timeout_s: float | None = None) -> Connection:
        """A new authenticated connection to this server."""
        if self.address is None:
            raise ServerFailed("the server is not started")
        return Connection.open(self.address, self.secret, self.max_frame,
                               self.timeout_s if timeout_s is None else timeout_s)

    def stop(self) -> None:
        """Close the child's stdin, give it a moment, then terminate or kill it (always
        reaped: `serbench.common.processes.stop_all`); clean up."""
        forked, self._forked = self._forked, None
        proc, self._proc = self._proc, None
        children: list[Child] = []
        if forked is not None:
            children.append(forked[0])
        if proc is not None:
            children.append(proc)
        stop_all(children, close_fds=[forked[1]] if forked is not None else [])
        for directory in (self._tmpdir, self._short_dir):
            if directory is not None:
                shutil.rmtree(directory, ignore_errors=True)
        self._tmpdir = self._short_dir = None

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def _become_server_child(listener_fd: int, stdin_fd: int, log_fd: int) -> None:
    """In a forked child: stdin from the pipe, stderr to the log, nothing else inherited.

    `sys.stdin/stdout/stderr` are rebound to descriptors 0-2: the parent's may have been
    replaced by objects on other descriptors (pytest's capture), which are closed here.
    """
    os.dup2(stdin_fd, 0)
    os.dup2(log_fd, 2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    keep = sorted({0, 1, 2, listener_fd})
    for low, high in zip(keep, [*keep[1:], os.sysconf("SC_OPEN_MAX")], strict=True):
        os.closerange(low + 1, high)
    with contextlib.suppress(OSError):  # `ps -o comm` and /proc tell the server apart
        Path("/proc/self/comm").write_text(SERVER_PROCESS_NAME)
    sys.stdin = open(0, closefd=False)  # noqa: SIM115 (lives as long as the process)
    sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
