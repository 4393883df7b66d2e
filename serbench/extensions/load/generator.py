"""One load process: C connections to the server, driven open-loop (or closed-loop), its
histograms written to a file. This module is the process (`main`); what it runs is
`loop.LoadRun`, over connections from `wire`, configured by `config.LoadConfig`.

Run as `python -m serbench.extensions.load.generator` by `point.run_point`: the configuration
(JSON, with the run's secret) is the first line of stdin, never argv; the process connects and
authenticates every connection, prints `CONNECTED`, waits for `GO <start_ns>` (a
`time.monotonic_ns` value, which every process on the machine shares), runs, writes its result
(JSON: encoded histograms and counts) atomically, and exits 0. Any failure is one line on stderr
and exit code 1; stdin closing before `GO` (the parent is gone) ends it too. Nothing it imports
imports it back (it would load a second time under its package name).

The client never decodes a reply and sends one pre-encoded request body: what varies between
codecs is the server's work, the generator's stays the same, so its ceiling (measured against
the `null` codec) bounds every codec alike. One thread, non-blocking sockets, `select` with a
microsecond timeout: it sleeps until `spin_ns` before the next intended send and polls after.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from pathlib import Path

from serbench.extensions.load import histograms
from serbench.extensions.load.config import LoadConfig
from serbench.extensions.load.loop import LoadRun
from serbench.results.files import atomic_write_text
from serbench.transport.connection import Connection
from serbench.transport.framing import send_frame
from serbench.transport.placement import pin_self
from serbench.transport.protocol import MODE_LOAD

__all__ = ["connect", "main"]


def connect(config: LoadConfig) -> list[socket.socket]:
    """Open and authenticate every connection, put each in load mode, make it non-blocking."""
    address: tuple[str, int] | str = (
        config.address if isinstance(config.address, str)
        else (str(config.address[0]), int(config.address[1])))
    secret = bytes.fromhex(config.secret)
    socks: list[socket.socket] = []
    try:
        for _ in range(config.connections):
            conn = Connection.open(address, secret)
            send_frame(conn.sock, MODE_LOAD)
            conn.sock.setblocking(False)
            socks.append(conn.sock)
    except BaseException:
        for sock in socks:
            sock.close()
        raise
    return socks


def main() -> int:
    """Load process entry point (see the module docstring)."""

    try:
        config = LoadConfig(**json.loads(sys.stdin.readline()))
        pin_self(config.cpu)
        body = Path(config.frame_path).read_bytes()
        socks = connect(config)
        print("CONNECTED", flush=True)
        words = sys.stdin.readline().split()
        if words[:1] != ["GO"]:
            print("serbench-load: the parent went away before GO", file=sys.stderr)
            return 1
        log_file = (open(config.interval_log_path, "w", encoding="ascii")  # noqa: SIM115
                    if config.interval_log_path else None)
        try:
            log = histograms.IntervalLog(
                log_file, f"serbench load process {config.index}: latency from intended "
                          "send time, ns") if log_file else None
            run = LoadRun(config, socks, body, int(words[1]), interval_log=log)
            run.run()
        finally:
            if log_file is not None:
                log_file.close()
        atomic_write_text(Path(config.result_path), json.dumps(run.result()))
        for sock in socks:
            sock.close()
        return 0
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        print(f"serbench-load[{os.getpid()}]: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
