"""The server a load point runs against: the blocking or the asyncio one, in its own process.

`LoadServer` is a `ServerProcess` (same READY line, same secret on stdin, same stop-and-reap)
whose command line names the server kind: `blocking` is `serbench.transport.server`, `asyncio`
and `uvloop` are `serbench.transport.async_server` with that event loop. `stats` asks the
server for its CPU time (`getrusage`, every thread) over a connection of its own, so the point
can charge server CPU per request.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from dataclasses import dataclass
from typing import Any

from serbench.transport.errors import TransportError
from serbench.transport.framing import send_frame
from serbench.transport.protocol import MODE_STATS
from serbench.transport.server_process import ServerFailed, ServerProcess

SERVER_KINDS = ("blocking", "asyncio", "uvloop")


def default_kind() -> str:
    """uvloop when it is installed (what a tuned asyncio service runs), else asyncio."""
    return "uvloop" if importlib.util.find_spec("uvloop") is not None else "asyncio"


def check_kind(kind: str) -> None:
    """`ValueError` naming the problem for an unknown kind or a missing uvloop."""
    if kind not in SERVER_KINDS:
        raise ValueError(f"unknown server kind {kind!r}; expected one of "
                         f"{', '.join(SERVER_KINDS)}")
    if kind == "uvloop" and importlib.util.find_spec("uvloop") is None:
        raise ValueError("server kind uvloop: uvloop is not installed (pip install uvloop)")


@dataclass
class LoadServer(ServerProcess):
    """A scenario server of one kind for one codec, for the load scenario."""

    kind: str = "blocking"
    max_connections: int = 256

    def _command(self) -> list[str]:
        module = ("serbench.transport.server" if self.kind == "blocking"
                  else "serbench.transport.async_server")
        cmd = [sys.executable, "-m", module, "--max-connections", str(self.max_connections)]
        return cmd if self.kind == "blocking" else [*cmd, "--loop", self.kind]

    def start(self) -> LoadServer:
        """Start the server; return once it listens."""
        super().start()
        return self

    def __enter__(self) -> LoadServer:
        return self.start()

    def alive(self) -> bool:
        """Whether the server process still runs."""
        return self._proc is not None and self._proc.poll() is None

    def stats(self) -> dict[str, Any]:
        """The server's kind, pid and CPU seconds so far; `ServerFailed` when it is gone."""
        try:
            with self.connect(timeout_s=10.0) as conn:
                send_frame(conn.sock, MODE_STATS)
                data = json.loads(bytes(conn.reader.read_frame()))
        except (TransportError, OSError, ValueError) as exc:
            raise ServerFailed(f"the {self.kind} {self.codec} server did not answer a stats "
                               f"request ({exc}); its log: {self.log_tail()}") from exc
        if not isinstance(data, dict) or "cpu_s" not in data:
            raise ServerFailed(f"unexpected stats reply from the server: {data!r}")
        return data

    def signal(self, signum: int) -> None:
        """Send a signal to the server process (the coordinated-omission stall)."""
        if self.pid is not None:
            os.kill(self.pid, signum)
