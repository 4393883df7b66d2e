"""`shm`: frames in a `multiprocessing.shared_memory` segment, a pipe as the control channel.

The segment holds two regions, requests and replies, each as large as `--max-frame` allows
(and a quarter of what /dev/shm has free): its pages are touched only as frames use them. A
frame is written into its region once, buffer by buffer (the out-of-band buffers of pickle-oob,
a numpy array's memory: scattered in, never joined), and the peer decodes a `memoryview` of the
region in place: one copy in and none out, where a socket makes two (into the kernel and out of
it). The control channel (`multiprocessing.Pipe`) carries only the offset and length of each
frame, and the stream's acknowledgement; a stream batch is laid end to end in the region and
the acknowledgement frees it.

No segment is ever left in /dev/shm: the segment is created before the peer is forked (which
inherits the mapping), and its name is unlinked as soon as the peer runs, so from then on only
the two mappings keep it alive; a `kill -9` during those few instructions is left to
multiprocessing's resource tracker, which unlinks what its process leaked.
There is no pickling of the path's own, so the native codec has no `shm` cell.
"""

from __future__ import annotations

import multiprocessing
import os
import secrets
import struct
from typing import TYPE_CHECKING, Any

from serbench.transport.errors import FrameTooLarge
from serbench.transport.paths.base import (
    ACK,
    PathBase,
    fork_peer,
    frame_size,
    mode_message,
    peer_codec,
    serve_frames,
)

if TYPE_CHECKING:
    from multiprocessing import shared_memory

__all__ = ["ShmPath", "region_bytes"]

_FORK = multiprocessing.get_context("fork")
_SLOT = struct.Struct("<QQ")  # offset, length of one frame in its region
_MIN_REGION = 64 * 1024
#: Segments a caller still holds views of (already unlinked): kept mapped until the process
#: ends, rather than closed under the views.
_STILL_VIEWED: list[shared_memory.SharedMemory] = []


def region_bytes(max_frame: int, shm_dir: str = "/dev/shm") -> int:
    """Each region's size: `max_frame`, at most a quarter of the free space of /dev/shm."""
    try:
        stat = os.statvfs(shm_dir)
        free = stat.f_bavail * stat.f_frsize
    except OSError:
        return max(_MIN_REGION, max_frame)
    return max(_MIN_REGION, min(max_frame, free // 4))


def _write(region: memoryview, offset: int, frame: Any) -> int:
    """Copy a frame (one buffer or a list of them) into `region` at `offset`; its length."""
    kind = type(frame)
    if kind is bytes or (kind is memoryview and frame.format == "B" and frame.ndim == 1):
        end = offset + len(frame)  # the common cases: without a new view or a loop
        region[offset:end] = frame
        return end - offset
    parts = frame if isinstance(frame, list | tuple) else (frame,)
    at = offset
    for part in parts:
        view = memoryview(part).cast("B")
        region[at:at + view.nbytes] = view
        at += view.nbytes
    return at - offset


class ShmPath(PathBase):
    """A shared-memory segment and a control pipe to a forked peer."""

    name = "shm"

    def _open(self) -> None:
        self.region = region_bytes(self.config.max_frame)
        name = f"serbench-{os.getpid()}-{secrets.token_hex(4)}"
        from multiprocessing import shared_memory  # here: only a shm cell pays for it

        self._shm = shared_memory.SharedMemory(name=name, create=True, size=2 * self.region)
        buf = self._shm.buf
        assert buf is not None
        cap = self.region
        requests, replies = buf[:cap], buf[cap:2 * cap]
        self._requests, self._replies = requests, replies
        mine, theirs = _FORK.Pipe(duplex=True)
        self._conn = mine
        config = self.config

        def body() -> None:
            mine.close()
            codec = peer_codec(config)
            recv_bytes, send_bytes = theirs.recv_bytes, theirs.send_bytes

            def recv() -> Any:
                offset, length = _SLOT.unpack(recv_bytes(_SLOT.size))
                return requests[offset:offset + length]

            def send(reply: Any) -> None:
                # serve_frames has checked the reply against the region's size (its limit).
                if reply is ACK:
                    send_bytes(ACK)
                    return
                send_bytes(_SLOT.pack(0, _write(replies, 0, reply)))

            first = theirs.recv_bytes(64)  # the mode message travels on the control pipe
            serve_frames(recv, send, codec, min(cap, config.max_frame), mode=first)

        try:
            self.pid = fork_peer(body, self.log_fd())
        finally:
            theirs.close()
            self._shm.unlink()  # from now on only the mappings hold it: nothing in /dev/shm
        self.config.described.update(
            channel="multiprocessing.shared_memory (requests and replies regions of "
                    f"{cap} bytes) + a multiprocessing.Pipe for offsets, fork",
            calls="frame written into the region; the peer decodes a memoryview of it",
            copies="zero-copy out: decoded in place from the segment; one copy in, "
                   "buffer by buffer (out-of-band buffers and arrays are not joined)")

    def start(self, scenario: str, batch: int | None) -> None:
        """Send the mode message; build the calls."""
        conn, requests, replies, cap = self._conn, self._requests, self._replies, self.region
        conn.send_bytes(mode_message(scenario, batch))
        send_bytes, recv_bytes = conn.send_bytes, conn.recv_bytes
        pack, unpack = _SLOT.pack, _SLOT.unpack
        self._at = 0

        def roundtrip(frame: Any) -> Any:
            try:
                send_bytes(pack(0, _write(requests, 0, frame)))
                offset, length = unpack(recv_bytes(_SLOT.size))
            except (EOFError, OSError) as exc:
                raise self.failure(exc) from exc
            return replies[offset:offset + length]

        def send(frame: Any) -> None:
            at = self._at
            size = frame_size(frame)
            if at + size > cap:
                raise FrameTooLarge(f"shm: a stream batch of more than {cap} bytes does not "
                                    "fit the shared-memory region (raise --max-frame)")
            try:
                send_bytes(pack(at, _write(requests, at, frame)))
            except OSError as exc:  # the peer is gone
                raise self.failure(exc) from exc
            self._at = at + size

        self.roundtrip, self.send = roundtrip, send

    def read_ack(self) -> None:
        """The peer's acknowledgement: the region is free again."""
        try:
            reply = self._conn.recv_bytes(_SLOT.size)
        except (EOFError, OSError) as exc:
            raise self.failure(exc) from exc
        if reply != ACK:
            raise self.failure()
        self._at = 0

    def _close(self) -> None:
        self._conn.close()
        for view in (self._requests, self._replies):
            view.release()
        try:
            self._shm.close()
        except BufferError:  # a decoded reply still views the segment: unmapped at exit
            _STILL_VIEWED.append(self._shm)
