"""What every non-socket transport (a *path*) offers a cell, and the peer process behind it.

A path is opened as a context manager and hands the cell four calls: `start(scenario, batch)`
naming the scenario to the peer, `roundtrip(frame) -> reply`, `send(frame)` for a stream and
`read_ack()` closing a stream batch. With the `native` codec the same calls carry Python objects
and the path's own pickling moves them (`Queue.put(obj)`, `Pipe.send(obj)`, ...).

The peer is a forked child of the cell's worker, forked before the payload exists (as the
socket server is): it decodes what arrives and answers with the same generic loop
(`serve_frames`) whatever the path. It dies with its parent: `PR_SET_PDEATHSIG` on Linux, so a
`kill -9` of the worker leaves no peer behind; it ignores SIGINT, so a Ctrl-C ends it through
its parent's clean-up, never with a traceback of its own.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from serbench.codecs import Codec, get_codec
from serbench.common.processes import stop_all
from serbench.common.vocabulary import DEFAULT_MAX_FRAME
from serbench.transport import placement
from serbench.transport.errors import FrameTooLarge, TransportError
from serbench.transport.protocol import DEFAULT_TIMEOUT_S
from serbench.transport.server import bind_to_payload

__all__ = ["ACK", "PEER_PROCESS_NAME", "POLL_S", "PathBase", "PathConfig", "PathFailed",
           "PathUnavailable", "check_frame", "die_with_parent", "fork_peer", "frame_size",
           "joined_frame", "mode_message", "parse_mode", "peer_codec", "peer_gone",
           "serve_frames", "stop_peer"]

#: The stream acknowledgement every path sends after each batch.
ACK = b"ack"
#: A peer's process name.
PEER_PROCESS_NAME = "serbench-peer"
#: How long one receive waits before the client asks whether the peer still runs.
POLL_S = 1.0
_PR_SET_PDEATHSIG = 1


class PathFailed(TransportError):
    """The path's peer died or stopped answering; the message says which peer and how."""


class PathUnavailable(Exception):
    """The path cannot run here (a library or a program is missing); the message says why."""


@dataclass
class PathConfig:
    """What a cell's path is opened with: its codec (by name, bound in the peer), the payload a
    shape-derived codec is bound to, and the limits."""

    codec: str
    payload: str | None = None
    payload_cache: str | None = None
    max_frame: int = DEFAULT_MAX_FRAME
    timeout_s: float = DEFAULT_TIMEOUT_S
    cpu: int | None = None
    native: bool = False
    #: Filled in by the path: its own configuration, for the cell's metadata and
    #: environment.json (library versions, addresses, sizes, copies).
    described: dict[str, str] = field(default_factory=dict)


def frame_size(frame: Any) -> int:
    """Bytes in one encoded frame (one buffer or a list of them)."""
    kind = type(frame)
    if kind is bytes:  # the common cases, checked on every reply: no new view
        return len(frame)
    if kind is memoryview:
        return frame.nbytes  # type: ignore[no-any-return]
    if isinstance(frame, list | tuple):
        return sum(memoryview(part).nbytes for part in frame)
    return memoryview(frame).nbytes


def joined_frame(frame: Any) -> Any:
    """One buffer for a path that sends only one (a list is joined: one copy, said per cell)."""
    if isinstance(frame, list | tuple):
        return b"".join(frame)
    return frame


def check_frame(size: int, max_frame: int, where: str) -> None:
    """Refuse a frame over the size limit, on every path, before it is sent."""
    if size > max_frame:
        raise FrameTooLarge(f"{where}: a frame of {size} bytes is over the limit of "
                            f"{max_frame} bytes (--max-frame)")


def mode_message(scenario: str, batch: int | None) -> bytes:
    """The first message a peer reads: `roundtrip`, or `stream <batch>`."""
    return b"roundtrip" if scenario == "roundtrip" else b"stream %d" % (batch or 1)


def parse_mode(message: Any) -> int | None:
    """The stream batch a mode message names, or None for a round trip."""
    text = bytes(message)
    if text == b"roundtrip":
        return None
    word, _, number = text.partition(b" ")
    if word != b"stream" or not number.isdigit() or int(number) < 1:
        raise TransportError(f"unknown mode message {text[:40]!r}")
    return int(number)


def serve_frames(recv: Callable[[], Any], send: Callable[[Any], None], codec: Codec | None,
                 max_frame: int, mode: Any = None) -> None:
    """The peer's loop on every path: read the mode (unless the path read it: `mode`), then
    answer until the channel ends.

    Round trip: decode, re-encode the decoded object, reply; stream: decode each frame and
    acknowledge every batch. `codec` None is the native path: the transport already unpickled
    the object and pickles the reply itself.
    """
    batch = parse_mode(recv() if mode is None else mode)
    if codec is None:
        if batch is None:
            while True:
                send(recv())
        while True:
            for _ in range(batch):
                recv()
            send(ACK)
    decode, encode = codec.decode, codec.encode
    if batch is None:
        while True:
            reply = encode(decode(memoryview(recv())))
            check_frame(frame_size(reply), max_frame, "the peer's reply")
            send(reply)
    while True:
        for _ in range(batch):
            decode(memoryview(recv()))
        send(ACK)


def die_with_parent() -> None:
    """In a child: be SIGKILLed when the parent dies (Linux), leave SIGINT to the parent, and
    be called `serbench-peer` (`ps -o comm`, /proc)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(OSError):
        Path("/proc/self/comm").write_text(PEER_PROCESS_NAME)
    if sys.platform.startswith("linux"):
        import ctypes  # here: a socket cell's worker never pays for it

        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def fork_peer(body: Callable[[], None], log_fd: int | None = None) -> int:
    """Fork a peer running `body`; return its pid. The child never returns: it exits 0 when
    `body` ends (its channel closed), 1 with a traceback on `log_fd` (its stderr) when it
    raised."""
    parent = os.getpid()
    # SIGINT is blocked across the fork: a Ctrl-C in the instant after it would otherwise reach
    # the child before it sets SIGINT aside, and print a traceback of its own. The child
    # unblocks it once it ignores it (a pending SIGINT is then discarded).
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    pid = os.fork()
    if pid:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        return pid
    code = 1
    try:
        die_with_parent()
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        if os.getppid() != parent:  # the parent died before the death signal was set
            os._exit(1)
        if log_fd is not None:
            os.dup2(log_fd, 2)
            sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
        body()
        code = 0
    except (EOFError, BrokenPipeError, ConnectionError):
        code = 0  # the client closed its end: the peer's normal end
    except BaseException:
        with contextlib.suppress(BaseException):
            traceback.print_exc()
    finally:
        os._exit(code)


def stop_peer(pid: int | None) -> None:
    """Stop and reap a forked peer (SIGTERM, then SIGKILL: `common.processes.stop_all`)."""
    if pid is not None:
        stop_all([pid], grace_s=0.0)


def peer_gone(pid: int | None) -> str | None:
    """How a peer ended, if it has (None while it runs): for the one-line failure."""
    if pid is None:
        return "it was never started"
    try:
        done, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return "it is gone"
    if done == 0:
        return None
    if os.WIFSIGNALED(status):
        return f"it was killed by signal {os.WTERMSIG(status)}"
    return f"it exited with status {os.waitstatus_to_exitcode(status)}"


def peer_codec(config: PathConfig) -> Codec | None:
    """In the peer: the cell's codec bound to its payload, or None on the native path."""
    placement.pin_self(config.cpu)
    if config.native:
        return None
    return bind_to_payload(get_codec(config.codec), config.payload, config.payload_cache)


class PathBase:
    """One path: a client end in the cell's worker and a peer process, opened and always closed.

    Subclasses set `name`, start their peer in `_open` and give `roundtrip(frame) -> reply`,
    `send(frame)` and `read_ack()` (with the native codec, frames are Python objects).
    """

    name = "path"

    def __init__(self, config: PathConfig) -> None:
        self.config = config
        self.pid: int | None = None
        self._log: IO[bytes] | None = None
        self._ended: str | None = None

    #: What a cell uses, set by `start`: send one frame and return the peer's reply; send one
    #: stream frame (no reply).
    roundtrip: Callable[[Any], Any]
    send: Callable[[Any], None]

    def read_ack(self) -> None:
        """Wait for the peer's acknowledgement of the batch just sent."""
        raise NotImplementedError

    def start(self, scenario: str, batch: int | None) -> None:
        """Tell the peer what to do: `roundtrip`, or `stream` acknowledging every `batch`."""
        raise NotImplementedError

    # -- life cycle ------------------------------------------------------------------------
    def _open(self) -> None:
        raise NotImplementedError

    def _close(self) -> None:
        """Release the client end (before the peer is stopped)."""

    def log_fd(self) -> int:
        """Where the peer writes a traceback, if it fails: an anonymous file (unlinked from
        the start), so even a `kill -9` leaves no log file behind."""
        if self._log is None:
            self._log = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
        return self._log.fileno()

    def log_tail(self) -> str:
        """The peer's last log line ("" without one)."""
        if self._log is None:
            return ""
        fd = self._log.fileno()
        size = os.fstat(fd).st_size
        text = os.pread(fd, min(size, 2000), max(0, size - 2000)).decode(errors="replace")
        lines = [line for line in text.splitlines() if line.strip()]
        return lines[-1].strip()[:300] if lines else ""

    def ended(self) -> str | None:
        """How the peer ended, once it has (None while it runs); reaped once, remembered."""
        if self._ended is None and self.pid is not None:
            self._ended = peer_gone(self.pid)
        return self._ended

    def keep_waiting(self, again: Callable[[], Any], missed: Any, timeout: float) -> Any:
        """Call `again` (a receive that gives up after `POLL_S`, returning `missed`) until it
        returns something else, the peer has ended, or `timeout` has passed: a channel without
        end-of-file (a queue, ZeroMQ, Redis) notices a dead peer this way, at no cost to a
        receive that succeeds at once."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.ended() is None:
            got = again()
            if got is not missed:
                return got
        raise self.failure(TimeoutError(f"no reply within {timeout:g} s"))

    def failure(self, exc: BaseException | None = None) -> PathFailed:
        """One line on a dead or silent peer: which path, how it ended, its last log line."""
        how = self.ended()
        words = [f"{self.name}: the peer (pid {self.pid}) stopped answering"]
        if how:
            words.append(how)
        elif exc is not None:
            words.append(f"{type(exc).__name__}: {str(exc)[:200] or 'no message'}")
        tail = self.log_tail()
        if tail:
            words.append(tail)
        return PathFailed("; ".join(words))

    def open(self) -> PathBase:
        """Start the peer; on any error, nothing half-started is left."""
        try:
            self._open()
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        """Close the client end, stop and reap the peer, remove the private directory."""
        try:
            with contextlib.suppress(Exception):
                self._close()
        finally:
            pid, self.pid = self.pid, None
            stop_peer(pid)
            if self._log is not None:
                self._log.close()
                self._log = None

    def __enter__(self) -> PathBase:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()
