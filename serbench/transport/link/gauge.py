"""The link's own figures, measured at the start of a run: RTT and throughput.

`python -m serbench.transport.link.gauge ENDPOINTS` (run as a child, so its `setns` calls never
touch
the runner) binds a small echo/sink server in the server namespace (and, with a relay, an echo
in the middle namespace), moves into the client namespace and prints one JSON object:

- `rtt_s`: median of N 64-byte ping-pongs over the link (TCP, Nagle off);
- `throughput_bit_s`: a raw TCP stream for about a second, bytes the sink counted over the time
  until its count came back;
- with a relay, `relay_zero_rtt_s` (the same ping-pong through the relay's no-hold port),
  `one_hop_rtt_s` (to the middle namespace, no relay) and `relay_overhead_s`, their difference:
  what the relay's own hop adds besides the delay it is asked for.
"""

from __future__ import annotations

import json
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time
from typing import Any

from serbench.transport.link import netns
from serbench.transport.link.endpoints import MIDDLE_ECHO_PORT, RELAY_ZERO_PORT, Endpoints

PING = 64
STREAM_CHUNK = 64 * 1024
STREAM_S = 1.0
MEASURE_TIMEOUT_S = 60.0


def _recv_exactly(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("the peer closed")
        buf += chunk
    return bytes(buf)


def _handle(conn: socket.socket) -> None:
    """`P`: echo 64-byte pings until EOF; `S`: count bytes until EOF, answer the count."""
    with conn:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        mode = conn.recv(1)
        if mode == b"P":
            while True:
                try:
                    conn.sendall(_recv_exactly(conn, PING))
                except ConnectionError:
                    return
        elif mode == b"S":
            total = 0
            while chunk := conn.recv(STREAM_CHUNK * 4):
                total += len(chunk)
            conn.sendall(struct.pack("!Q", total))


def _serve(listener: socket.socket) -> None:
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=_handle, args=(conn,), daemon=True).start()


def _connect(address: tuple[str, int], mode: bytes) -> socket.socket:
    sock = socket.create_connection(address, timeout=MEASURE_TIMEOUT_S)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.sendall(mode)
    return sock


def ping_rtt(address: tuple[str, int], count: int) -> float:
    """Median round trip of `count` 64-byte ping-pongs (after 5 not counted)."""
    times = []
    payload = bytes(PING)
    with _connect(address, b"P") as sock:
        for i in range(count + 5):
            t0 = time.perf_counter()
            sock.sendall(payload)
            _recv_exactly(sock, PING)
            if i >= 5:
                times.append(time.perf_counter() - t0)
    return float(statistics.median(times))


def stream_rate(address: tuple[str, int], seconds: float = STREAM_S) -> float:
    """Bit/s of a raw stream: bytes the far end counted over the time until it said so."""
    chunk = bytes(STREAM_CHUNK)
    with _connect(address, b"S") as sock:
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            sock.sendall(chunk)
        sock.shutdown(socket.SHUT_WR)
        (total,) = struct.unpack("!Q", _recv_exactly(sock, 8))
        elapsed = time.perf_counter() - t0
    return float(total) * 8 / elapsed


def gauge_here(ep: Endpoints, rtt_count: int, stream_s: float) -> dict[str, Any]:
    """Serve in the server (and middle) namespace, measure from the client namespace."""
    listeners = [ep.listen_tcp()]
    if ep.middle_ns:
        with netns.entered(ep.middle_ns):
            listeners.append(socket.create_server((ep.connect[0], MIDDLE_ECHO_PORT)))
    for listener in listeners:
        threading.Thread(target=_serve, args=(listener,), daemon=True).start()
    ep.enter_client()
    out: dict[str, Any] = {"rtt_s": ping_rtt(ep.connect, rtt_count), "rtt_pings": rtt_count,
                           "throughput_bit_s": stream_rate(ep.connect, stream_s)}
    if ep.middle_ns:
        zero = ping_rtt((ep.connect[0], RELAY_ZERO_PORT), rtt_count)
        hop = ping_rtt((ep.connect[0], MIDDLE_ECHO_PORT), rtt_count)
        out.update(relay_zero_rtt_s=zero, one_hop_rtt_s=hop, relay_overhead_s=zero - hop)
    for listener in listeners:
        listener.close()
    return out


def rtt_count_for(delay_s: float) -> int:
    """Pings: 200, fewer on a slow link so the pings take about 2 s at most (at least 20)."""
    return max(20, min(200, int(2.0 / max(delay_s, 1e-4))))


def gauge_link(ep: Endpoints, delay_s: float, stream_s: float = STREAM_S) -> dict[str, Any]:
    """Run the measurement in a child process; its figures, or a `LinkError`."""
    cmd = [sys.executable, "-m", "serbench.transport.link.gauge", ep.to_arg(),
           str(rtt_count_for(delay_s)), repr(stream_s)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=MEASURE_TIMEOUT_S)
    except subprocess.TimeoutExpired as exc:
        raise netns.LinkError(f"measuring the link took over {MEASURE_TIMEOUT_S:g} s") from exc
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or [str(done.returncode)]
        raise netns.LinkError(f"measuring the link failed: {tail[0]}")
    figures: dict[str, Any] = json.loads(done.stdout)
    return figures


def main() -> None:
    """`python -m serbench.transport.link.gauge ENDPOINTS RTT_COUNT STREAM_S`: print the
    figures."""
    ep = Endpoints.from_arg(sys.argv[1])
    print(json.dumps(gauge_here(ep, int(sys.argv[2]), float(sys.argv[3]))))


if __name__ == "__main__":
    main()
