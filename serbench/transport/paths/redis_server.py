"""A real `redis-server` that serbench starts itself, and always stops.

It listens only on a Unix socket in a private temporary directory (`--port 0`: no TCP port),
keeps nothing on disk (`--save ''`, `--appendonly no`), and dies with the process that
started it (`PR_SET_PDEATHSIG`: SIGTERM, on which Redis removes its socket and exits, so even a
`kill -9` of serbench leaves no server running); `stop` sends SIGTERM, waits, SIGKILLs if it
must, and removes the directory. A directory a killed run left behind (its owner's pid gone)
is removed by the next start. Where `redis-server` is not installed, `redis_missing` says so in
one line naming the Debian package.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from serbench.common.leftovers import owned_dir, sweep_owned_dirs
from serbench.common.processes import exit_status, file_tail, stop
from serbench.transport.paths.base import PathUnavailable

__all__ = ["DEBIAN_PACKAGE", "RedisServer", "redis_missing", "redis_server_program",
           "sweep_leftovers"]

DEBIAN_PACKAGE = "redis-server"
_PREFIX = "serbench-redis-"
_START_TIMEOUT_S = 10.0
_PR_SET_PDEATHSIG = 1


def redis_server_program() -> str | None:
    """The `redis-server` program on PATH (or in /usr/bin, /usr/sbin), if any."""
    return (shutil.which("redis-server")
            or shutil.which("redis-server", path="/usr/bin:/usr/sbin:/usr/local/bin"))


def redis_missing() -> str | None:
    """Why the redis path cannot run here (None: it can)."""
    if redis_server_program() is None:
        return (f"redis-server is not installed (Debian/Ubuntu: apt-get install "
                f"{DEBIAN_PACKAGE})")
    try:
        import redis  # noqa: F401
    except ImportError:
        return "redis-py is not installed (pip install 'serbench[transports]')"
    return None


def _die_with_parent() -> None:  # runs in the child between fork and exec
    import ctypes

    os.setpgid(0, 0)  # its own group: a Ctrl-C reaches serbench, which stops it in order
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def sweep_leftovers(tmp: str | None = None) -> list[Path]:
    """Remove the directories of servers whose serbench process is gone; those removed."""
    return sweep_owned_dirs(_PREFIX, tmp)


class RedisServer:
    """One private redis-server; use as a context manager. `socket_path` while it runs."""

    def __init__(self, max_frame: int | None = None) -> None:
        #: Redis refuses a longer value itself (`proto-max-bulk-len`, at least 1 MiB).
        self.max_bulk = max(2**20, max_frame) if max_frame else None
        self.directory: Path | None = None
        self.socket_path: str | None = None
        self.version = ""
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs."""
        return self._proc.pid if self._proc is not None else None

    def exit_status(self) -> str | None:
        """How the server ended, if it has (None while it runs or before it starts)."""
        if self._proc is None or self._proc.poll() is None:
            return None
        return exit_status(self._proc.returncode)

    def start(self) -> RedisServer:
        """Start the server and wait until it answers PING on its socket."""
        program = redis_server_program()
        if program is None:
            raise PathUnavailable(redis_missing() or "redis-server is not installed")
        sweep_leftovers()
        self.directory = owned_dir(_PREFIX)
        self.socket_path = str(self.directory / "redis.sock")
        log = self.directory / "redis.log"
        cmd = [program, "--port", "0", "--unixsocket", self.socket_path, "--unixsocketperm",
               "700", "--save", "", "--appendonly", "no", "--daemonize", "no",
               "--dir", str(self.directory), "--logfile", str(log), "--databases", "1"]
        if self.max_bulk is not None:
            cmd += ["--proto-max-bulk-len", str(self.max_bulk)]
        try:
            self._proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                          preexec_fn=_die_with_parent, close_fds=True)
            self._wait_until_answering(log)
            self.version = _version(program)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_answering(self, log: Path) -> None:
        assert self._proc is not None and self.socket_path is not None
        deadline = time.monotonic() + _START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise PathUnavailable(f"redis-server exited with status {self._proc.returncode}"
                                      f": {file_tail(log, 1) or 'no log'}")
            if _answers(self.socket_path):
                return
            time.sleep(0.005)
        raise PathUnavailable(f"redis-server did not answer within {_START_TIMEOUT_S:.0f} s: "
                              f"{file_tail(log, 1) or 'no log'}")

    def stop(self) -> None:
        """SIGTERM (Redis removes its socket), SIGKILL if it must; remove the directory."""
        proc, self._proc = self._proc, None
        if proc is not None:
            stop(proc, group=True, grace_s=0.0, term_s=5.0)
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
        self.directory = self.socket_path = None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _answers(path: str) -> bool:
    with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(1.0)
        sock.connect(path)
        sock.sendall(b"PING\r\n")
        return sock.recv(16).startswith(b"+PONG")
    return False


def _version(program: str) -> str:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        out = subprocess.run([program, "--version"], capture_output=True, timeout=5,
                             check=False).stdout.decode(errors="replace")
        for word in out.split():
            if word.startswith("v="):
                return word[2:]
    return "unknown"
