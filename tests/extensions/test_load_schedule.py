"""The open-loop schedule, tested against a fake clock: intended times are fixed in advance,
a backlog after a stall is sent (never skipped or re-based), waiting sleeps until the spin
margin and spins after it, a full window counts overflow, and the generator charges each
reply to its request's intended send time, not to when it was actually sent."""

from __future__ import annotations

import contextlib
import itertools
import socket
import struct

import pytest

from serbench.extensions.load import histograms
from serbench.extensions.load.config import LoadConfig
from serbench.extensions.load.loop import LoadRun
from serbench.extensions.load.schedule import (
    DEFAULT_SPIN_NS,
    SPIN_ALWAYS_NS,
    InFlight,
    Pacer,
    auto_spin_ns,
    gaps_ns,
    is_late,
)
from serbench.extensions.load.wire import PREFIX, Sender


def test_uniform_gaps_do_not_drift() -> None:
    gaps = list(itertools.islice(gaps_ns(3000.0, "uniform", seed=1), 3000))
    assert sum(gaps) == 1_000_000_000  # 3000 gaps of 333 333.3 ns: exactly one second
    assert set(gaps) <= {333_333, 333_334}


def test_poisson_gaps_are_seeded_and_vary() -> None:
    a = list(itertools.islice(gaps_ns(1000.0, "poisson", seed=7), 2000))
    b = list(itertools.islice(gaps_ns(1000.0, "poisson", seed=7), 2000))
    c = list(itertools.islice(gaps_ns(1000.0, "poisson", seed=8), 2000))
    assert a == b and a != c
    assert len(set(a)) > 1000
    assert 0.9e6 < sum(a) / len(a) < 1.1e6  # mean gap 1 ms (2000 draws, fixed seed)


@pytest.mark.parametrize("rate, arrivals", [(0.0, "uniform"), (-1.0, "poisson"),
                                            (10.0, "bursty")])
def test_bad_schedules_are_refused(rate: float, arrivals: str) -> None:
    with pytest.raises(ValueError):
        next(gaps_ns(rate, arrivals, seed=1))


def pacer(start: int = 0, end: int = 10_000_000, spin: int = 100_000) -> Pacer:
    return Pacer(gaps_ns(1000.0, "uniform", seed=1), start_ns=start, end_ns=end, spin_ns=spin)


def test_requests_are_due_at_their_intended_times() -> None:
    p = pacer()
    assert p.due(999_999) is None
    assert p.due(1_000_000) == 1_000_000
    assert p.due(1_500_000) is None
    assert p.due(2_000_001) == 2_000_000


def test_a_stall_leaves_a_backlog_with_the_original_intended_times() -> None:
    p = pacer()
    assert p.due(1_000_000) == 1_000_000
    # The caller was stalled for 5 ms: every request due meanwhile is still sent, each
    # with its own intended time (so its latency includes the stall); none is skipped and
    # the schedule is not re-based on "now".
    backlog = list(iter(lambda: p.due(6_200_000), None))
    assert backlog == [2_000_000, 3_000_000, 4_000_000, 5_000_000, 6_000_000]
    assert p.next_ns == 7_000_000
    assert p.issued == 6


def test_the_schedule_ends_at_its_end() -> None:
    p = pacer(end=3_500_000)
    assert [p.due(10**12) for _ in range(4)] == [1_000_000, 2_000_000, 3_000_000, None]
    assert p.finished


def test_wait_sleeps_until_the_spin_margin_then_spins() -> None:
    p = pacer(spin=100_000)
    assert p.wait_s(0) == pytest.approx(0.0009)  # sleep until 100 us before the send
    assert p.wait_s(899_999) > 0
    assert p.wait_s(900_000) == 0.0  # inside the margin: poll without sleeping
    assert p.wait_s(999_999) == 0.0


def test_a_full_window_counts_overflow_instead_of_blocking() -> None:
    window = InFlight(connections=2, window=2)
    assert window.admit(0, 1, 100) and window.admit(0, 2, 200)
    assert not window.admit(0, 3, 300)  # connection 0 is full: counted, not queued
    assert window.admit(1, 4, 400)  # another connection is not affected
    assert window.overflow == 1
    assert window.complete(0, 1) == 100
    assert window.admit(0, 5, 500)
    assert window.pending() == 3
    assert sorted(window.outstanding()) == [200, 400, 500]
    with pytest.raises(KeyError):
        window.complete(1, 99)


def _read_request(sock: socket.socket) -> tuple[int, bytes]:
    head = sock.recv(PREFIX.size, socket.MSG_WAITALL)
    length, rid = PREFIX.unpack(head)
    return rid, sock.recv(length - 8, socket.MSG_WAITALL)


def test_latency_runs_from_the_intended_time_not_the_actual_send() -> None:
    client, server = socket.socketpair()
    client.setblocking(False)
    config = LoadConfig(address="unused", secret="00", connections=1, rate=1000.0,
                        arrivals="uniform", seed=1, warmup_s=0.0, duration_s=1.0, drain_s=0.0,
                        window=8, frame_path="", result_path="")
    run = LoadRun(config, [client], b"body", start_ns=0, clock=lambda: 0)
    try:
        run._send(0, intended=1_000_000, now=1_500_000)  # sent 0.5 ms late
        rid, body = _read_request(server)
        assert body == b"body"
        server.sendall(struct.pack("<IQ", 8 + 5, rid) + b"reply")
        run._now = 4_000_000  # the reply arrives at 4 ms
        run.readers[0].read(run._on_reply)
        run._finish()
    finally:
        client.close()
        server.close()
    assert run.latency.get_total_count() == 1
    # 4 ms - 1 ms (intended), not 4 ms - 1.5 ms (actual send)
    assert run.latency.values_are_equivalent(run.latency.get_max_value(), 3_000_000)
    assert run.sched.values_are_equivalent(run.sched.get_max_value(), 500_000)
    assert run.counts.replies == 1 and run.inflight.pending() == 0


def test_unanswered_requests_are_recorded_not_dropped() -> None:
    client, server = socket.socketpair()
    client.setblocking(False)
    config = LoadConfig(address="unused", secret="00", connections=1, rate=1000.0,
                        arrivals="uniform", seed=1, warmup_s=0.0, duration_s=1.0, drain_s=0.0,
                        window=8, frame_path="", result_path="")
    run = LoadRun(config, [client], b"x", start_ns=0, clock=lambda: 9_000_000)
    try:
        run._send(0, intended=2_000_000, now=2_000_000)
        run._finish()
    finally:
        client.close()
        server.close()
    assert run.counts.unanswered == 1
    assert histograms.summary(run.latency)["count"] == 1
    assert run.latency.values_are_equivalent(run.latency.get_max_value(), 7_000_000)


def test_a_load_process_busy_waits_only_on_a_cpu_of_its_own() -> None:
    assert auto_spin_ns(client_cpu=0, server_cpu=1, processes=1) == SPIN_ALWAYS_NS
    assert auto_spin_ns(client_cpu=1, server_cpu=1, processes=1) == DEFAULT_SPIN_NS  # shared
    assert auto_spin_ns(client_cpu=0, server_cpu=1, processes=2) == DEFAULT_SPIN_NS
    assert auto_spin_ns(client_cpu=None, server_cpu=None, processes=1) == DEFAULT_SPIN_NS


def test_the_pacing_bound_is_50_microseconds_at_p99() -> None:
    assert not is_late(49e-6) and not is_late(50e-6) and is_late(51e-6)
    assert not is_late(None)


def _config(rate: float = 1000.0, connections: int = 1) -> LoadConfig:
    return LoadConfig(address="unused", secret="00", connections=connections, rate=rate,
                      arrivals="uniform", seed=1, warmup_s=0.0, duration_s=1.0, drain_s=0.0,
                      window=8, frame_path="", result_path="")


def test_a_send_due_while_replies_wait_goes_out_between_connections() -> None:
    pairs = [socket.socketpair() for _ in range(2)]
    clients = [c for c, _ in pairs]
    for c in clients:
        c.setblocking(False)
    run = LoadRun(_config(connections=2), clients, b"x", start_ns=0, clock=lambda: 5_000_000)
    events: list[str] = []
    try:
        for conn in range(2):  # one request in flight on each, both answered already
            run._send(conn, intended=0, now=0)
            rid, _ = _read_request(pairs[conn][1])
            pairs[conn][1].sendall(struct.pack("<IQ", 8 + 1, rid) + b"r")
        for reader in run.readers:
            original = reader.read

            def logged(on_reply: object, original: object = original) -> None:
                events.append("read")
                original(on_reply)  # type: ignore[operator]

            reader.read = logged  # type: ignore[method-assign]
        run._pacer = Pacer(iter([4_000_000] + [10**12] * 4), start_ns=0, end_ns=10**13)

        def send_due() -> None:
            if run._pacer is not None and run._pacer.due(run.clock()) is not None:
                events.append("send")

        run._poll(0.0, send_due)
    finally:
        for a, b in pairs:
            a.close()
            b.close()
    # the request due at 4 ms goes out after the first connection's replies, not after both
    assert events == ["read", "send", "read"]


def test_the_interval_log_is_built_from_the_replies_after_the_point() -> None:
    run = LoadRun(_config(), [socket.socket()], b"x", start_ns=1_000, clock=lambda: 0)
    run.socks[0].close()
    run._replied_at.extend([1_000 + 500_000_000, 1_000 + 1_500_000_000, 1_000 + 1_600_000_000])
    run._latency_ns.extend([10, 20, 30])

    class Log:
        def __init__(self) -> None:
            self.intervals: list[tuple[float, list[int]]] = []
            self.current: list[int] = []

        def record(self, value: int) -> None:
            self.current.append(value)

        def flush(self, now_s: float) -> None:
            self.intervals.append((now_s, self.current))
            self.current = []

    log = Log()
    run._write_intervals(log, end_ns=1_000 + 2_000_000_000)  # type: ignore[arg-type]
    assert log.intervals == [(1.0, [10]), (2.0, [20, 30])]


def test_requests_the_socket_cannot_take_now_wait_in_order() -> None:
    client, server = socket.socketpair()
    client.setblocking(False)
    sender = Sender(client, b"0123456789")
    try:
        sent = 0
        while not sender.out:  # the socket's buffer fills; the rest is queued, none is lost
            sender.send(sent)
            sent += 1
        queued = 0
        while queued < 3:
            sender.send(sent)
            sent += 1
            queued += 1
        stream = bytearray()
        server.setblocking(False)
        for _ in range(100_000):  # read what arrived, let the sender flush the rest
            with contextlib.suppress(BlockingIOError):
                stream += server.recv(1 << 20)
            sender.flush()
            if not sender.out and len(stream) == sent * (PREFIX.size + 10):
                break
        received = []
        for offset in range(0, len(stream), PREFIX.size + 10):
            length, rid = PREFIX.unpack_from(stream, offset)
            received.append((rid, bytes(stream[offset + PREFIX.size:offset + 4 + length])))
    finally:
        client.close()
        server.close()
    assert [rid for rid, _ in received] == list(range(sent))
    assert {body for _, body in received} == {b"0123456789"}
