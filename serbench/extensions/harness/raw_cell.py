"""The raw baselines as a pyperf program: `python -m serbench.extensions.harness.raw_cell --mode
...`.

The client is as plain as the server (see `raw_server`): a frame built once before timing,
`sendall`, and `recv_into` a preallocated buffer. Timing, pinning, GC policy and sample
pooling are exactly serbench's, so only the transport code differs between a pair.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time
from array import array
from collections.abc import Callable
from pathlib import Path

import pyperf

from serbench.cells.allocator import apply_malloc_policy
from serbench.cells.cell import keep_samples, stream_batch
from serbench.cells.program import run_program
from serbench.common.processes import stop, wait_ready
from serbench.common.vocabulary import MALLOC_POLICIES, MALLOC_STEADY
from serbench.transport import placement

HEADER = struct.Struct("<I")
RECEIVE_BUFFER = 2 * 2**20
_START_TIMEOUT_S = 30.0


def _options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("raw baseline")
    group.add_argument("--mode", choices=["pingpong", "stream"], required=True)
    group.add_argument("--transport", choices=["tcp", "uds"], required=True)
    group.add_argument("--size", type=int, required=True, help="frame body size in bytes")
    group.add_argument("--bench-name", required=True)
    group.add_argument("--pin", choices=placement.PIN_MODES, default="same")
    group.add_argument("--gc", choices=placement.GC_POLICIES, default="on")
    group.add_argument("--malloc", choices=MALLOC_POLICIES, default=MALLOC_STEADY)
    group.add_argument("--samples-dir", default=None)


def main() -> None:
    """Manager or worker, as pyperf decides."""
    run_program("serbench.extensions.harness.raw_cell", _options,
                ("mode", "transport", "size", "bench_name", "pin", "gc", "malloc",
                 "samples_dir"), _worker)


def _start_server(args: argparse.Namespace, cpu: int | None, cleanup: contextlib.ExitStack,
                  mode: str) -> socket.socket:
    tmp = cleanup.enter_context(tempfile.TemporaryDirectory(prefix="serbench-raw-"))
    path = str(Path(tmp) / "s") if args.transport == "uds" else "-"
    proc = subprocess.Popen(
        [sys.executable, "-m", "serbench.extensions.harness.raw_server", args.transport, mode,
         str(args.size), path, "-" if cpu is None else str(cpu)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True)
    cleanup.callback(stop, proc)
    # Its stderr is this worker's, so a failure's traceback is in the same log, just above.
    words = wait_ready(proc, f"the raw {args.transport} server", _START_TIMEOUT_S)
    if not words:
        raise RuntimeError("the raw server printed READY without its address")
    if args.transport == "tcp":
        sock = socket.create_connection(("127.0.0.1", int(words[0])))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    else:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(words[0])
    cleanup.callback(sock.close)
    return sock


def _worker(runner: pyperf.Runner, args: argparse.Namespace,
            cleanup: contextlib.ExitStack) -> None:
    malloc_applied = apply_malloc_policy(args.malloc)  # first, as a cell does
    client_cpu, server_cpu = placement.cpus_for(args.pin)
    placement.pin_self(client_cpu)
    frame = HEADER.pack(args.size) + os.urandom(args.size)
    batch = stream_batch(args.size) if args.mode == "stream" else None
    mode = "pingpong" if batch is None else f"stream {batch}"
    sock = _start_server(args, server_cpu, cleanup, mode)
    runner.metadata.update({"serbench_baseline": f"raw {args.mode}", "serbench_pin": args.pin,
                            "serbench_gc": args.gc, "serbench_malloc": args.malloc,
                            "serbench_malloc_applied": malloc_applied,
                            "serbench_encoded_bytes": args.size,
                            "serbench_transport": args.transport})
    samples: list[array[int]] = []
    if batch is None:
        timed = _pingpong(sock, frame, args.size, samples)
    else:
        runner.metadata["serbench_stream_batch"] = batch
        timed = _stream(sock, frame, batch)
    placement.apply_gc_policy(args.gc)
    runner.bench_time_func(args.bench_name, timed, inner_loops=batch)
    keep_samples(args, samples)


def _pingpong(sock: socket.socket, frame: bytes, size: int, samples: list[array[int]]
              ) -> Callable[[int], float]:
    buf = bytearray(max(4 + size, RECEIVE_BUFFER))  # as serbench's reader (framing.py)
    view = memoryview(buf)
    sendall, recv_into, unpack_from = sock.sendall, sock.recv_into, HEADER.unpack_from
    clock = time.perf_counter_ns

    def timed(loops: int) -> float:
        lat = array("q", bytes(8 * loops))
        t0 = prev = clock()
        for i in range(loops):
            sendall(frame)
            got = recv_into(view)
            while got < 4 or got < 4 + unpack_from(buf)[0]:
                got += recv_into(view[got:])
            now = clock()
            lat[i] = now - prev
            prev = now
        samples.append(lat)
        return (prev - t0) / 1e9

    return timed


def _stream(sock: socket.socket, frame: bytes, batch: int) -> Callable[[int], float]:
    sendall, recv_into = sock.sendall, sock.recv_into
    ack = bytearray(4)
    clock = time.perf_counter

    def timed(loops: int) -> float:
        t0 = clock()
        for _ in range(loops):
            for _ in range(batch):
                sendall(frame)
            got = 0
            while got < 4:
                got += recv_into(memoryview(ack)[got:])
        return clock() - t0

    return timed


if __name__ == "__main__":
    main()
