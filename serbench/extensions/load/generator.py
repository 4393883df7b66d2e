"""One load process: C connections to the server, driven open-loop (or closed-loop), its
histograms written to a file.

Run as `python -m serbench.extensions.load.generator` by `point.run_point`: the configuration
(JSON, with
the run's secret) is the first line of stdin, never argv; the process connects and
authenticates every connection, prints `CONNECTED`, waits for `GO <start_ns>` (a
`time.monotonic_ns` value, which every process on the machine shares), runs, writes its result
(JSON: encoded histograms and counts) atomically, and exits 0. Any failure is one line on stderr
and exit code 1; stdin closing before `GO` (the parent is gone) ends it too.

The client never decodes a reply and sends one pre-encoded request body: what varies between
codecs is the server's work, the generator's stays the same, so its ceiling (measured against
the `null` codec) bounds every codec alike. One thread, non-blocking sockets, `select` with a
microsecond timeout: it sleeps until `spin_ns` before the next intended send and polls after.
"""

from __future__ import annotations

import bisect
import gc
import json
import os
import select
import socket
import struct
import sys
import time
from array import array
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from serbench.extensions.load import histograms
from serbench.extensions.load.schedule import DEFAULT_SPIN_NS, InFlight, Pacer, gaps_ns
from serbench.results.files import atomic_write_text
from serbench.transport.connection import Connection
from serbench.transport.errors import PeerClosed
from serbench.transport.framing import SMALL_FRAME, send_frame
from serbench.transport.placement import pin_self
from serbench.transport.protocol import MODE_LOAD

#: A request's frame header and id: 4-byte length (id + body), 8-byte id.
PREFIX = struct.Struct("<IQ")
_RECV_BYTES = 256 * 1024
#: The longest single wait in `select` while draining (the loop re-checks its deadline).
_DRAIN_POLL_S = 0.05
#: At most this many due requests are sent before replies are read again.
_BATCH = 32

Clock = Callable[[], int]


@dataclass
class LoadConfig:
    """What one load process needs; travels as JSON on its stdin."""

    address: list[Any] | str
    secret: str
    connections: int
    rate: float  # requests per second from this process; 0: closed loop
    arrivals: str
    seed: int
    warmup_s: float
    duration_s: float
    drain_s: float
    window: int
    frame_path: str
    result_path: str
    interval_log_path: str | None = None
    interval_s: float = 1.0
    cpu: int | None = None
    spin_ns: int = DEFAULT_SPIN_NS
    index: int = 0

    def to_json(self) -> str:
        """One line of JSON."""
        return json.dumps(asdict(self))


@dataclass
class Counts:
    """What a load process counted, besides its histograms."""

    intended: int = 0  # intended send times inside the measured window
    #: Intended send times inside the window moved back by the median latency: the requests
    #: whose replies a server keeping up delivers inside the window (no edge bias).
    intended_shifted: int = 0
    sent: int = 0  # requests sent (all)
    sent_in_window: int = 0
    replies: int = 0  # replies received (all)
    replies_in_window: int = 0  # replies received inside the measured window
    overflow: int = 0
    unanswered: int = 0


class ReplyReader:
    """Parses replies off one connection without copying their bodies: only the length and
    the request id matter to the client."""

    def __init__(self, sock: socket.socket, index: int) -> None:
        self.sock, self.index = sock, index
        self._buf = bytearray(_RECV_BYTES)
        self._view = memoryview(self._buf)
        self._head = bytearray()
        self._skip = 0
        self._id = 0

    def read(self, on_reply: Callable[[int, int], None]) -> None:
        """Receive what is there; call `on_reply(connection, id)` for every whole reply."""
        try:
            n = self.sock.recv_into(self._view)
        except BlockingIOError:
            return
        except ConnectionResetError as exc:
            raise PeerClosed(f"the server reset connection {self.index}") from exc
        if n == 0:
            raise PeerClosed(f"the server closed connection {self.index}")
        buf, pos, size = self._buf, 0, PREFIX.size
        while pos < n:
            if self._skip:
                take = min(self._skip, n - pos)
                self._skip -= take
                pos += take
                if not self._skip:
                    on_reply(self.index, self._id)
                continue
            if not self._head and n - pos >= size:
                length, rid = PREFIX.unpack_from(buf, pos)
                pos += size
            else:
                take = min(size - len(self._head), n - pos)
                self._head += self._view[pos:pos + take]
                pos += take
                if len(self._head) < size:
                    break
                length, rid = PREFIX.unpack_from(self._head)
                self._head.clear()
            self._id, self._skip = rid, length - 8
            if self._skip <= 0:
                self._skip = 0
                on_reply(self.index, rid)


class Sender:
    """Non-blocking sends on one connection: what the socket does not take now waits in
    order and goes out when it is writable; the schedule never blocks on it."""

    def __init__(self, sock: socket.socket, body: bytes) -> None:
        self.sock, self.body = sock, body
        self.out: deque[memoryview] = deque()
        self._small = len(body) <= SMALL_FRAME

    def send(self, rid: int) -> None:
        """Send one request, or queue what the socket does not take now. With nothing queued,
        a small request goes out in one `send` (the common case, and the cheapest)."""
        prefix = PREFIX.pack(8 + len(self.body), rid)
        if self._small:
            data = prefix + self.body
            if not self.out:
                try:
                    sent = self.sock.send(data)
                except BlockingIOError:
                    sent = 0
                except (BrokenPipeError, ConnectionResetError) as exc:
                    raise PeerClosed(f"the server closed the connection while we sent "
                                     f"({exc})") from exc
                if sent < len(data):
                    self.out.append(memoryview(data)[sent:])
                return
            self.out.append(memoryview(data))
        else:
            self.out.extend((memoryview(prefix), memoryview(self.body)))
        self.flush()

    def flush(self) -> None:
        """Send queued bytes until the socket would block."""
        out = self.out
        try:
            while out:
                sent = self.sock.sendmsg(list(out)[:64])
                while sent and sent >= out[0].nbytes:
                    sent -= out.popleft().nbytes
                if sent:
                    out[0] = out[0][sent:]
                    return
        except BlockingIOError:
            return
        except (BrokenPipeError, ConnectionResetError) as exc:
            raise PeerClosed(f"the server closed the connection while we sent ({exc})") \
                from exc


class LoadRun:
    """The I/O loop of one point, open- or closed-loop, over connected sockets."""

    def __init__(self, config: LoadConfig, socks: list[socket.socket], body: bytes,
                 start_ns: int, clock: Clock = time.monotonic_ns,
                 interval_log: histograms.IntervalLog | None = None) -> None:
        self.config, self.clock, self.log = config, clock, interval_log
        self.socks = socks
        self.readers = [ReplyReader(s, i) for i, s in enumerate(socks)]
        self.senders = [Sender(s, body) for s in socks]
        self.start_ns = start_ns
        self.measure_from = start_ns + int(config.warmup_s * 1e9)
        self.measure_to = self.measure_from + int(config.duration_s * 1e9)
        # Filled by `_finish`: recording into an HdrHistogram costs about a microsecond, so the
        # loop only appends to arrays (reply time, latency; scheduling error) and the
        # histograms and interval log are built once the point is over.
        self.latency = histograms.new_histogram()
        self.sched = histograms.new_histogram()
        self._replied_at = array("q")
        self._latency_ns = array("q")
        self._sched_ns = array("q")
        self._window_replies_at = array("q")  # every reply inside the measured window
        self.counts = Counts()
        closed = config.rate <= 0
        self.inflight = InFlight(len(socks), 1 if closed else config.window)
        self._next_id = 0
        self._intended = array("q")  # every intended time, in order (the schedule's)
        self._sent_at: dict[int, int] = {}
        self._now = start_ns
        self._fds = [s.fileno() for s in socks]
        self._reader_of = {s.fileno(): r for s, r in zip(socks, self.readers, strict=True)}
        self._sender_of = {s.fileno(): w for s, w in zip(socks, self.senders, strict=True)}
        self._pacer: Pacer | None = None
        self._turn = 0

    # -- sending ----------------------------------------------------------------------------
    def _send(self, conn: int, intended: int, now: int) -> None:
        rid = self._next_id
        self._next_id += 1
        in_window = self.measure_from <= intended < self.measure_to
        if not self.inflight.admit(conn, rid, intended):
            return
        self.senders[conn].send(rid)
        self.counts.sent += 1
        if in_window:
            self.counts.sent_in_window += 1
            self._sched_ns.append(now - intended)

    # -- replies ----------------------------------------------------------------------------
    def _on_reply(self, conn: int, rid: int) -> None:
        try:
            intended = self.inflight.complete(conn, rid)
        except KeyError:
            raise PeerClosed(f"a reply on connection {conn} carries an unknown request id "
                             f"{rid}") from None
        now = self._now
        self.counts.replies += 1
        if self.measure_from <= now < self.measure_to:
            self.counts.replies_in_window += 1
            self._window_replies_at.append(now)
        if self.measure_from <= intended < self.measure_to:
            self._replied_at.append(now)
            self._latency_ns.append(now - intended)
        if self.config.rate <= 0 and now < self.measure_to:  # closed loop: the next one now
            self._send(conn, now, now)

    def _poll(self, timeout: float, between: Callable[[], object] | None = None) -> None:
        """Wait up to `timeout` for replies and writable sockets. `between` runs after each
        connection's read: a send that falls due while many connections have replies waiting
        goes out then, not after all of them (that wait would be scheduling error)."""
        writers = [fd for fd, s in self._sender_of.items() if s.out]
        ready, writable, _ = select.select(self._fds, writers, [], timeout)
        if ready:
            self._now = self.clock()
            for fd in ready:
                self._reader_of[fd].read(self._on_reply)
                if between is not None:
                    between()
                    self._now = self.clock()
        for fd in writable:
            self._sender_of[fd].flush()

    # -- the loops --------------------------------------------------------------------------
    def run(self) -> Counts:
        """Run the point to its end (and the drain); return the counts.

        The collector is off meanwhile: the loop makes no cycles worth collecting, and a full
        collection (milliseconds with everything imported) would land on some send."""
        collecting = gc.isenabled()
        gc.disable()
        try:
            if self.config.rate > 0:
                self._open_loop()
            else:
                self._closed_loop()
        finally:
            if collecting:
                gc.enable()
        self._finish()
        return self.counts

    def _open_loop(self) -> None:
        cfg = self.config
        pacer = Pacer(gaps_ns(cfg.rate, cfg.arrivals, cfg.seed), self.start_ns,
                      self.measure_to, cfg.spin_ns)
        self._pacer = pacer
        while not pacer.finished:
            now = self._send_due()
            self._poll(pacer.wait_s(now), self._send_due)
        self._drain()

    def _send_due(self) -> int:
        """Send what is due (at most `_BATCH`), round-robin over the connections; the clock
        after. A backlog (after a stall) goes out at once, but replies are read between
        batches: they would otherwise wait, and be charged, for the whole backlog."""
        pacer, count = self._pacer, len(self.socks)
        assert pacer is not None, "only the open loop sends on a schedule"
        now = self.clock()
        for _ in range(_BATCH):
            intended = pacer.due(now)
            if intended is None:
                break
            if self.measure_from <= intended < self.measure_to:
                self.counts.intended += 1
            self._intended.append(intended)
            self._send(self._turn, intended, now)
            self._turn = (self._turn + 1) % count
            now = self.clock()
        return now

    def _closed_loop(self) -> None:
        now = self.clock()
        while now < self.start_ns:  # the common start, as the open loop has
            time.sleep(max(0.0, (self.start_ns - now) / 1e9))
            now = self.clock()
        for conn in range(len(self.socks)):
            self._send(conn, now, now)
        while now < self.measure_to:
            self._poll(min(_DRAIN_POLL_S, (self.measure_to - now) / 1e9))
            now = self.clock()
        self._drain()

    def _drain(self) -> None:
        deadline = self.measure_to + int(self.config.drain_s * 1e9)
        now = self.clock()
        while self.inflight.pending() and now < deadline:
            self._poll(min(_DRAIN_POLL_S, (deadline - now) / 1e9))
            now = self.clock()

    def _finish(self) -> None:
        """Unanswered requests are counted, and recorded with the time they had waited: a
        lower bound on their latency, never left out of the histogram."""
        now = self.clock()
        self.counts.overflow = self.inflight.overflow
        self.counts.unanswered = self.inflight.pending()
        for intended in self.inflight.outstanding():
            if self.measure_from <= intended < self.measure_to:
                self._replied_at.append(now)
                self._latency_ns.append(now - intended)
        for value in self._latency_ns:
            histograms.record(self.latency, value)
        for value in self._sched_ns:
            histograms.record(self.sched, value)
        if self.log is not None:
            self._write_intervals(self.log, now)
        shift = (int(self.latency.get_value_at_percentile(50))
                 if self.latency.get_total_count() else 0)
        times = self._intended
        self.counts.intended_shifted = (bisect.bisect_left(times, self.measure_to - shift)
                                        - bisect.bisect_left(times, self.measure_from - shift))

    @property
    def _interval_ns(self) -> int:
        """The interval of the interval log and of the per-interval reply counts."""
        return max(1, int(self.config.interval_s * 1e9))

    def _write_intervals(self, log: histograms.IntervalLog, end_ns: int) -> None:
        """The interval log, from the recorded replies: one histogram per `interval_s` since
        the start, times relative to it (replies are appended in the order they came)."""
        step = self._interval_ns
        edge = self.start_ns + step
        for at, value in zip(self._replied_at, self._latency_ns, strict=True):
            while at >= edge:
                log.flush((edge - self.start_ns) / 1e9)
                edge += step
            log.record(value)
        log.flush((end_ns - self.start_ns) / 1e9)

    def interval_replies(self) -> list[int]:
        """Replies received in each `interval_s` of the measured window (a last, shorter
        interval is left out): the achieved rate's spread over the point."""
        step = self._interval_ns
        counts = [0] * int((self.measure_to - self.measure_from) // step)
        for at in self._window_replies_at:
            index = (at - self.measure_from) // step
            if index < len(counts):
                counts[index] += 1
        return counts

    def result(self) -> dict[str, Any]:
        """What the parent merges: encoded histograms, counts and replies per interval."""
        return {"latency": histograms.encode(self.latency),
                "sched": histograms.encode(self.sched), "counts": asdict(self.counts),
                "interval_replies": self.interval_replies(),
                "window_s": self.config.duration_s, "index": self.config.index}


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
