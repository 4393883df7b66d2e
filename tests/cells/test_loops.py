"""The timed loops under a fake clock, the samples a worker keeps, and pyperf's call count.

No real time is measured here: `time.perf_counter` and `time.perf_counter_ns` are replaced by a
clock that moves only when the fake codec, socket reader or acknowledgement says so, so every
elapsed time and every per-request latency is known exactly in advance.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from array import array
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyperf
import pytest

from serbench.cells import cell, loops
from serbench.transport.framing import HEADER

#: The worker subprocess below must finish at all; this is a hang guard, not a budget.
HANG_GUARD_S = 120


class FakeClock:
    """A clock in integer nanoseconds that only moves when `advance` is called.

    `perf_counter` reports the same instant in seconds; the float-clock tests advance it by
    multiples of 1/8 s, which float64 holds exactly, so their differences are exact too.
    """

    def __init__(self, start_ns: int = 5_000_000_000) -> None:
        self.now_ns = start_ns
        self.reads = 0

    def advance(self, ns: int) -> None:
        self.now_ns += ns

    def perf_counter_ns(self) -> int:
        self.reads += 1
        return self.now_ns

    def perf_counter(self) -> float:
        self.reads += 1
        return self.now_ns / 1e9


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """The fake clock, installed where the loops read it (before any loop factory runs: the
    factories bind `time.perf_counter[_ns]` when they are called)."""
    fake = FakeClock()
    monkeypatch.setattr(time, "perf_counter_ns", fake.perf_counter_ns)
    monkeypatch.setattr(time, "perf_counter", fake.perf_counter)
    return fake


class FakeCodec:
    """`encode` and `decode` that record their arguments and move the clock."""

    def __init__(self, clock: FakeClock, encode_ns: Callable[[int], int] = lambda i: 0,
                 decode_ns: Callable[[int], int] = lambda i: 0) -> None:
        self.clock = clock
        self.encode_ns, self.decode_ns = encode_ns, decode_ns
        self.encoded: list[Any] = []
        self.decoded: list[Any] = []

    def encode(self, obj: Any) -> bytes:
        self.clock.advance(self.encode_ns(len(self.encoded)))
        self.encoded.append(obj)
        return b"enc:" + repr(obj).encode()

    def decode(self, view: Any) -> Any:
        self.clock.advance(self.decode_ns(len(self.decoded)))
        self.decoded.append(view)
        return ("decoded", bytes(view))


class FakeSocket:
    """Collects what `send_frame` sends."""

    def __init__(self) -> None:
        self.sent = bytearray()

    def sendall(self, data: bytes) -> None:
        self.sent += data

    def frames(self) -> list[bytes]:
        out, at = [], 0
        while at < len(self.sent):
            (length,) = HEADER.unpack_from(self.sent, at)
            out.append(bytes(self.sent[at + HEADER.size : at + HEADER.size + length]))
            at += HEADER.size + length
        return out


class FakeReader:
    """A reply per `read_frame`, after the server's (fake) time for that request."""

    def __init__(self, clock: FakeClock, server_ns: Callable[[int], int]) -> None:
        self.clock, self.server_ns = clock, server_ns
        self.reads = 0

    def read_frame(self) -> memoryview:
        self.clock.advance(self.server_ns(self.reads))
        self.reads += 1
        return memoryview(b"reply %d" % self.reads)


class FakeConnection:
    def __init__(self, clock: FakeClock, server_ns: Callable[[int], int] = lambda i: 0,
                 ack_ns: int = 0) -> None:
        self.sock = FakeSocket()
        self.reader = FakeReader(clock, server_ns)
        self.clock, self.ack_ns = clock, ack_ns
        self.acks = 0

    def read_ack(self) -> int:
        self.clock.advance(self.ack_ns)
        self.acks += 1
        return self.acks


# --- in-process loops -------------------------------------------------------------------------


def test_call_loop_elapsed_is_the_clock_difference(clock: FakeClock) -> None:
    calls: list[Any] = []

    def call(arg: Any) -> None:
        calls.append(arg)
        clock.advance(375_000_000)  # 0.375 s: exact in float64

    timed = loops.call_loop(call, "arg")
    assert timed(8) == 3.0  # 8 x 0.375 s, exactly
    assert calls == ["arg"] * 8
    assert clock.reads == 2  # one read before the loop, one after
    assert timed(1) == 0.375
    assert timed(0) == 0.0


def test_encode_loop_times_encode_of_the_object(clock: FakeClock) -> None:
    codec = FakeCodec(clock, encode_ns=lambda i: 125_000_000 * (i + 1))  # 1/8 s, 2/8 s, ...
    obj = {"payload": [1, 2]}
    timed = loops.encode_loop(codec, obj)  # type: ignore[arg-type]
    assert timed(4) == (1 + 2 + 3 + 4) / 8
    assert codec.encoded == [obj] * 4 and all(o is obj for o in codec.encoded)
    assert codec.decoded == []


def test_decode_loop_times_decode_of_the_view(clock: FakeClock) -> None:
    codec = FakeCodec(clock, decode_ns=lambda i: 250_000_000)
    view = memoryview(b"encoded")
    timed = loops.decode_loop(codec, view)  # type: ignore[arg-type]
    assert timed(3) == 0.75
    assert len(codec.decoded) == 3 and all(v is view for v in codec.decoded)
    assert codec.encoded == []


# --- round trips --------------------------------------------------------------------------------


def _request_ns(i: int) -> tuple[int, int, int]:
    """The fake time of request i: encode, the server's answer, decode (distinct odd values)."""
    return 1_000 + 17 * i, 20_000 + 1_009 * i * i, 301 + 3 * i


def test_roundtrip_loop_latencies_are_the_fake_increments(clock: FakeClock) -> None:
    codec = FakeCodec(clock, encode_ns=lambda i: _request_ns(i)[0],
                      decode_ns=lambda i: _request_ns(i)[2])
    conn = FakeConnection(clock, server_ns=lambda i: _request_ns(i)[1])
    samples: list[array[int]] = []
    timed = loops.roundtrip_loop(codec, "obj", conn, samples)  # type: ignore[arg-type]
    reads_before = clock.reads

    elapsed = timed(6)

    expected = [sum(_request_ns(i)) for i in range(6)]
    assert len(samples) == 1
    assert samples[0].typecode == "q"
    assert samples[0].tolist() == expected
    assert elapsed == sum(expected) / 1e9
    # One chained clock read per request, plus the one before the first.
    assert clock.reads - reads_before == 6 + 1
    # Each request: one frame out (the encoding), one reply read and decoded.
    assert conn.sock.frames() == [b"enc:'obj'"] * 6
    assert conn.reader.reads == 6
    assert [bytes(v) for v in codec.decoded] == [b"reply %d" % n for n in range(1, 7)]


def test_roundtrip_loop_appends_one_array_per_call(clock: FakeClock) -> None:
    codec = FakeCodec(clock)
    conn = FakeConnection(clock, server_ns=lambda i: 1_000 * (i + 1))  # request i: (i+1) us
    samples: list[array[int]] = []
    timed = loops.roundtrip_loop(codec, "obj", conn, samples)  # type: ignore[arg-type]

    results = [timed(n) for n in (3, 1, 4)]

    assert [len(s) for s in samples] == [3, 1, 4]
    assert [s.tolist() for s in samples] == [[1_000, 2_000, 3_000], [4_000],
                                             [5_000, 6_000, 7_000, 8_000]]
    assert results == [6_000 / 1e9, 4_000 / 1e9, 26_000 / 1e9]
    assert samples[0] is not samples[2]  # a fresh array each call, never reused


# --- streaming ----------------------------------------------------------------------------------


def test_stream_loop_sends_batches_and_times_them(clock: FakeClock) -> None:
    codec = FakeCodec(clock, encode_ns=lambda i: 125_000_000)  # 1/8 s per frame
    conn = FakeConnection(clock, ack_ns=500_000_000)  # 1/2 s per acknowledgement
    timed = loops.stream_loop(codec, [1, 2], conn, batch=4)  # type: ignore[arg-type]
    reads_before = clock.reads

    elapsed = timed(3)

    assert elapsed == 3 * (4 / 8 + 1 / 2)  # 3.0 s, exactly
    assert conn.acks == 3
    assert conn.sock.frames() == [b"enc:[1, 2]"] * 12
    assert codec.decoded == []  # the client never decodes in a stream
    assert clock.reads - reads_before == 2


# --- the samples a worker keeps -----------------------------------------------------------------


def _args(directory: Path | None, warmups: int | None, **calibration: bool) -> argparse.Namespace:
    flags = {k: calibration.get(k, False) for k in (
        "calibrate_loops", "recalibrate_loops", "calibrate_warmups", "recalibrate_warmups")}
    return argparse.Namespace(samples_dir=None if directory is None else str(directory),
                              warmups=warmups, **flags)


def _arrays(count: int, loops_per_call: int, base: int) -> list[array[int]]:
    return [array("q", [base + 100 * c + i for i in range(loops_per_call)])
            for c in range(count)]


def _kept(directory: Path) -> list[np.ndarray[Any, Any]]:
    return [np.fromfile(p, dtype=np.int64) for p in sorted(directory.glob("*.ns"))]


@pytest.mark.parametrize(("warmups", "values"), [(1, 3), (2, 5), (0, 2)])
def test_keep_samples_keeps_exactly_the_value_arrays(tmp_path: Path, warmups: int,
                                                     values: int) -> None:
    warm = _arrays(warmups, 4, base=900_000)
    measured = _arrays(values, 4, base=1_000)
    directory = tmp_path / "d"
    cell.keep_samples(_args(directory, warmups), warm + measured)
    # One file per worker, named by its pid, and no temporary file left behind.
    (path,) = directory.iterdir()
    pid, _, stamp = path.name.removesuffix(".ns").partition("-")
    assert path.suffix == ".ns" and int(pid) == os.getpid() and int(stamp) > 0
    assert np.fromfile(path, dtype=np.int64).tolist() == [x for a in measured for x in a]


@pytest.mark.parametrize("flag", ["calibrate_loops", "recalibrate_loops", "calibrate_warmups",
                                  "recalibrate_warmups"])
def test_keep_samples_keeps_nothing_when_calibrating(tmp_path: Path, flag: str) -> None:
    cell.keep_samples(_args(tmp_path / "d", 1, **{flag: True}), _arrays(4, 3, base=1))
    assert not (tmp_path / "d").exists()


def test_keep_samples_needs_a_directory_and_samples(tmp_path: Path) -> None:
    cell.keep_samples(_args(None, 1), _arrays(3, 3, base=1))  # no --samples-dir: nothing to do
    cell.keep_samples(_args(tmp_path / "d", 1), [])  # the in-process scenarios keep none
    assert not (tmp_path / "d").exists()


def test_save_samples_writes_atomically(tmp_path: Path) -> None:
    """A worker killed mid-write leaves no `.ns` file, so a reader never pools half a file."""

    class Breaks:
        def tofile(self, out: Any) -> None:
            out.write(b"\x01" * 12)  # part of the data is out...
            raise OSError("disk full")  # ...when the write fails

    directory = tmp_path / "d"
    with pytest.raises(OSError, match="disk full"):
        cell._save_samples(directory, [array("q", [1, 2]), Breaks()])  # type: ignore[list-item]
    assert list(directory.glob("*.ns")) == []
    # A write that completes is renamed into place whole, leaving no temporary file of its own.
    temporary = set(directory.glob(".*.tmp"))
    cell._save_samples(directory, [array("q", [5, 6]), array("q", [7])])
    assert [x.tolist() for x in _kept(directory)] == [[5, 6, 7]]
    assert set(directory.glob(".*.tmp")) == temporary


# --- pyperf calls the time function warmups + values times ------------------------------------


@pytest.mark.slow
def test_a_worker_keeps_loops_times_values_samples(tmp_path: Path) -> None:
    """One real pyperf worker of a round-trip cell (a forked server, a Unix socket): serbench
    warms it up to its steady state in place of pyperf's warm-up values, pyperf calls the time
    function once per value, and the samples directory gets exactly the value calls'
    latencies, values x loops of them (no warm-up round trip among them)."""
    samples_dir, out = tmp_path / "samples", tmp_path / "out.json"
    loops_n, values, warmups = 5, 3, 1
    proc = subprocess.run(
        [sys.executable, "-m", "serbench.cells.cell", "--worker", "--worker-task=0",
         "--codec", "pickle", "--payload", "small", "--scenario", "roundtrip",
         "--transport", "uds", "--bench-name", "x", "--loops", str(loops_n),
         "--values", str(values), "--warmups", str(warmups), "--samples-dir", str(samples_dir),
         "-o", str(out), "--quiet"],
        capture_output=True, text=True, cwd=tmp_path, timeout=HANG_GUARD_S, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (run,) = json.loads(out.read_text())["benchmarks"][0]["runs"]
    assert len(run["values"]) == values
    assert "warmups" not in run  # the settled warm-up replaced pyperf's
    (pyperf_run,) = pyperf.BenchmarkSuite.load(str(out)).get_benchmarks()[0].get_runs()
    assert pyperf_run.get_metadata()["serbench_warmup_chunks"] >= 3
    (kept,) = _kept(samples_dir)
    assert kept.size == values * loops_n
    assert (kept > 0).all()
    # Bookkeeping, not timing: each value is its own call's latencies summed over its loops,
    # so the kept arrays are the value calls, in order, and not the warm-up.
    per_call = kept.reshape(values, loops_n).sum(axis=1)
    assert run["values"] == pytest.approx((per_call / 1e9 / loops_n).tolist(), rel=1e-9)
    assert list(tmp_path.glob("samples/.*")) == []
