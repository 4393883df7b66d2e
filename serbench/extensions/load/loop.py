"""The I/O loop of one load process's point: requests sent on an open-loop schedule (or one
per reply, closed loop) over connected sockets, latency charged from each request's intended
send time, and the histograms, counts and interval log built once the point is over.
"""

from __future__ import annotations

import bisect
import gc
import select
import socket
import time
from array import array
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from serbench.extensions.load import histograms
from serbench.extensions.load.config import LoadConfig
from serbench.extensions.load.schedule import InFlight, Pacer, gaps_ns
from serbench.extensions.load.wire import ReplyReader, Sender
from serbench.transport.errors import PeerClosed

__all__ = ["Clock", "Counts", "LoadRun"]

#: The longest single wait in `select` while draining (the loop re-checks its deadline).
_DRAIN_POLL_S = 0.05
#: At most this many due requests are sent before replies are read again.
_BATCH = 32

Clock = Callable[[], int]


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
