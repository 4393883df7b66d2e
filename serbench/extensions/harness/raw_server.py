"""A minimal raw-socket server: the floor serbench's server is compared with.

Plain `socket`, a 4-byte little-endian length prefix, `recv_into` a preallocated buffer; no
codec, no framing class, no handshake. `pingpong` echoes each frame from the buffer it was
received in; `stream <batch>` acknowledges every `batch` frames with 4 bytes.
Prints `READY <port or path>`, serves one connection, exits when it closes or stdin closes.
"""

from __future__ import annotations

import os
import socket
import struct
import sys
import threading


def _recv_exact(sock: socket.socket, view: memoryview, count: int) -> bool:
    got = 0
    while got < count:
        n = sock.recv_into(view[got:count])
        if n == 0:
            return False
        got += n
    return True


def main() -> int:
    """`python -m serbench.extensions.harness.raw_server tcp|uds MODE SIZE [PATH] [CPU]`."""
    transport, mode, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
    path = sys.argv[4] if len(sys.argv) > 4 and sys.argv[4] != "-" else None
    if len(sys.argv) > 5 and sys.argv[5] != "-":
        os.sched_setaffinity(0, {int(sys.argv[5])})
    if transport == "tcp":
        listener = socket.create_server(("127.0.0.1", 0))
        address = str(listener.getsockname()[1])
    else:
        assert path is not None
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(path)
        listener.listen(1)
        address = path
    threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
    print(f"READY {address}", flush=True)
    conn, _ = listener.accept()
    if transport == "tcp":
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buf = bytearray(max(4 + size, 2 * 2**20))  # as serbench's reader (framing.py)
    view = memoryview(buf)
    header = struct.Struct("<I")
    if mode == "pingpong":
        recv_into = conn.recv_into
        while True:
            got = recv_into(view)  # a small frame arrives whole: one syscall
            if got == 0:
                return 0
            while got < 4 or got < 4 + header.unpack_from(buf)[0]:
                more = recv_into(view[got:])
                if more == 0:
                    return 0
                got += more
            conn.sendall(view[:got])
    else:
        batch = int(mode.split()[1])
        ack = header.pack(batch)
        while True:
            for _ in range(batch):
                if not _recv_exact(conn, view, 4):
                    return 0
                (n,) = header.unpack_from(buf)
                if not _recv_exact(conn, view[4:], n):
                    return 0
            conn.sendall(ack)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
