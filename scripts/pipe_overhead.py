"""serbench's mp-pipe round trip against a bare pipe loop, in one process.

Interleaved blocks of 3 000 round trips of a 64-byte frame, both peers forked from here and
pinned to CPU 0 (as `--pin same`), so both sides see the same phases of the machine, which
separate processes do not. `path-only` is serbench's path without the codec's calls.
Run: `.venv/bin/python scripts/pipe_overhead.py` (docs/transports.md, "The harness").
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import statistics
import time
from collections.abc import Callable
from typing import Any

from serbench.cells.allocator import apply_malloc_policy
from serbench.codecs import get_codec
from serbench.extensions.harness.frames import bytes_with_pickle_size
from serbench.transport import placement
from serbench.transport.paths import PathConfig, open_path

BLOCK = 3000
PAIRS = 8


def _block(call: Callable[[bytes], Any], frame: bytes, n: int = BLOCK) -> float:
    """Microseconds per round trip over `n` calls."""
    t0 = time.perf_counter_ns()
    for _ in range(n):
        call(frame)
    return (time.perf_counter_ns() - t0) / n / 1000


def main() -> None:
    apply_malloc_policy("steady")
    placement.pin_self(0)
    frame = pickle.dumps(bytes_with_pickle_size(64), protocol=5)
    mine, theirs = multiprocessing.get_context("fork").Pipe()
    pid = os.fork()
    if pid == 0:  # the bare peer: echo until end-of-file
        mine.close()
        placement.pin_self(0)
        try:
            while True:
                theirs.send_bytes(theirs.recv_bytes())
        except EOFError:
            os._exit(0)
    theirs.close()
    send_bytes, recv_bytes = mine.send_bytes, mine.recv_bytes

    def bare(f: bytes) -> Any:
        send_bytes(f)
        return recv_bytes()

    codec = get_codec("null")
    config = PathConfig(codec="null", payload="serbench.extensions.harness.frames:frame_64",
                        cpu=0)
    with open_path("mp-pipe", config) as path:
        path.start("roundtrip", None)
        roundtrip, encode, decode = path.roundtrip, codec.encode, codec.decode

        def serbench(f: bytes) -> Any:
            return decode(memoryview(roundtrip(encode(f))))

        sides: dict[str, Callable[[bytes], Any]] = {
            "bare loop": bare, "serbench": serbench, "path-only": roundtrip}
        for call in sides.values():
            _block(call, frame, 500)  # warm
        times: dict[str, list[float]] = {name: [] for name in sides}
        for _ in range(PAIRS):
            for name, call in sides.items():
                times[name].append(_block(call, frame))
    mine.close()
    os.waitpid(pid, 0)
    base = times["bare loop"]
    for name, values in times.items():
        ratios = [v / b for v, b in zip(values, base, strict=True)]
        print(f"{name:10} median {statistics.median(values):6.2f} us; "
              f"per block pair / bare loop: median {statistics.median(ratios):.2f} "
              f"({min(ratios):.2f}-{max(ratios):.2f})")


if __name__ == "__main__":
    main()
