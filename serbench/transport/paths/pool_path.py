"""`pool`: a `ProcessPoolExecutor(max_workers=1)` whose worker decodes and re-encodes.

The round trip is `pool.submit(echo, frame).result()`: the executor pickles the call and its
bytes argument, its queue-management thread and call queue carry it to the worker, which
decodes, re-encodes and returns bytes that come back pickled the same way. That whole
machinery is the path's cost, as in any program that offloads work to a pool. With the native
codec the object itself is the argument (`submit(echo, obj)`), and the pool's own pickling
is the serializer. A stream is `batch` submits of a decoding call, acknowledged by the last
result. The worker is forked (the `fork` context) before the payload exists and binds the
codec in its initializer; a killed worker breaks the pool, which fails the cell.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from serbench.codecs import Codec
from serbench.transport.paths.base import (
    PathBase,
    PathConfig,
    check_frame,
    die_with_parent,
    frame_size,
    joined_frame,
    peer_codec,
)

if TYPE_CHECKING:
    from concurrent.futures import Future

__all__ = ["PoolPath"]

_CODEC: Codec | None = None
_MAX_FRAME = 0


def _init_worker(config: PathConfig) -> None:
    """In the pool's worker: die with the client, bind the codec once."""
    global _CODEC, _MAX_FRAME
    die_with_parent()
    _CODEC, _MAX_FRAME = peer_codec(config), config.max_frame


def _ping() -> int:
    import os

    return os.getpid()


def _echo(frame: Any) -> Any:
    """Decode and re-encode (native: the object comes back as it arrived)."""
    if _CODEC is None:
        return frame
    reply = joined_frame(_CODEC.encode(_CODEC.decode(memoryview(frame))))
    check_frame(frame_size(reply), _MAX_FRAME, "the pool worker's reply")
    return bytes(reply) if type(reply) is not bytes else reply


def _sink(frame: Any) -> None:
    """Decode only (a stream frame)."""
    if _CODEC is not None:
        _CODEC.decode(memoryview(frame))


class PoolPath(PathBase):
    """A one-worker `ProcessPoolExecutor` (fork context)."""

    name = "pool"

    def _open(self) -> None:
        # concurrent.futures is imported here, so a socket cell's worker never pays for it.
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context(
            "fork"), initializer=_init_worker, initargs=(self.config,))
        self._pending: list[Future[Any]] = []
        try:  # the first submit forks the worker: now, before the payload exists
            self.pid = self._pool.submit(_ping).result(self.config.timeout_s)
        except BrokenProcessPool as exc:
            raise self.failure(exc) from exc
        self.config.described.update(
            channel="concurrent.futures.ProcessPoolExecutor(max_workers=1), fork",
            calls=("submit(echo, obj).result()" if self.config.native
                   else "submit(echo, frame bytes).result(): the worker decodes and re-encodes"),
            copies="the executor pickles the call, its argument and its result; a list of "
                   "buffers (out-of-band) is joined first")

    def start(self, scenario: str, batch: int | None) -> None:
        """Build the calls (a pool needs no mode message: each call names its function)."""
        from concurrent.futures import TimeoutError as FutureTimeout
        from concurrent.futures.process import BrokenProcessPool

        submit, timeout, native = self._pool.submit, self.config.timeout_s, self.config.native
        pending = self._pending

        def result(future: Future[Any]) -> Any:
            try:
                return future.result(timeout)
            except (BrokenProcessPool, FutureTimeout) as exc:
                raise self.failure(exc) from exc
            except OSError as exc:
                # When a worker dies the executor closes its call queue; a call its feeder
                # thread was still writing fails with the pipe's error (EBADF), not
                # BrokenProcessPool. That is the peer's death too.
                if self._broken():
                    raise self.failure(exc) from exc
                raise

        def roundtrip(frame: Any) -> Any:
            try:
                future = submit(_echo, frame if native else joined_frame(frame))
            except BrokenProcessPool as exc:
                raise self.failure(exc) from exc
            return result(future)

        def send(frame: Any) -> None:
            try:
                pending.append(submit(_sink, frame if native else joined_frame(frame)))
            except BrokenProcessPool as exc:
                raise self.failure(exc) from exc

        self.roundtrip, self.send, self._result = roundtrip, send, result

    def read_ack(self) -> None:
        """Every call of the batch has returned."""
        result: Callable[[Future[Any]], Any] = self._result
        for future in self._pending:
            result(future)
        self._pending.clear()

    def _broken(self) -> bool:
        """The executor has marked itself broken, or its worker has ended."""
        return bool(getattr(self._pool, "_broken", False)) or self.ended() is not None

    def ended(self) -> str | None:
        """How the worker ended, asked of its `Process` (multiprocessing reaps it: a
        `waitpid` of ours would leave the executor waiting forever for a pid it cannot see)."""
        proc = self._worker()
        if proc is None or proc.exitcode is None:
            return None
        code = proc.exitcode
        return (f"it was killed by signal {-code}" if code < 0
                else f"it exited with status {code}")

    def _worker(self) -> Any:
        processes = getattr(getattr(self, "_pool", None), "_processes", None) or {}
        return processes.get(self.pid)

    def close(self) -> None:
        """Stop the worker through multiprocessing (never by pid), then the executor."""
        pool = getattr(self, "_pool", None)
        proc = self._worker()
        self.pid = None  # the base class's stop by pid is not for a pool's worker
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        if proc is not None and proc.exitcode is None:
            proc.kill()
            proc.join(5.0)
        super().close()
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
