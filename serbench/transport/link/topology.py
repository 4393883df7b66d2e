"""Build one link and always remove it: namespaces, veth pairs, addresses, tbf, the delay.

Without a delay (or with `netem`): client and server namespaces joined by one veth pair,
198.18.0.1/30 (client) and 198.18.0.2/30 (server). With a delay and no `netem`: a middle
namespace between them running the relay, 198.18.0.1/30 (client) - 198.18.0.2/30 (middle)
and 198.18.0.5/30 (middle) - 198.18.0.6/30 (server); the relay ends each TCP connection, so
nothing is routed and IP forwarding stays off. Only 198.18.0.0/15 (RFC 2544's benchmarking
range) is used, and only inside these namespaces: the host's interfaces are never touched.

`tbf` shapes the egress of both ends of the client's veth pair (each direction once). Its
bucket (`burst`) holds 1 ms at the rate, at least two full frames: a small bucket keeps the
serialisation delay of each frame, and the kernel's tbf splits a GSO super-frame larger than
the bucket into segments instead of dropping it. Its queue (`limit`) holds 50 ms at the rate,
at least 256 KiB, so a burst of large frames queues instead of being dropped.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from types import FrameType, TracebackType
from typing import Any

from serbench.common.processes import NotReady, stop, wait_ready
from serbench.transport.link import netns
from serbench.transport.link.endpoints import RELAY_ZERO_PORT, SERVER_PORT, Endpoints
from serbench.transport.link.spec import LinkSpec

NETWORK = "198.18.0.0/15"
RELAY_START_S = 10.0
_FRAME = 1514


def tbf_burst_bytes(rate_bit_s: float) -> int:
    """The bucket: 1 ms at the rate, at least two full frames (see the module's docstring).
    A message no larger than the bucket leaves an idle link at once; the wire model uses it."""
    return max(2 * _FRAME, round(rate_bit_s / 8 * 1e-3))


def tbf_args(rate_bit_s: int) -> list[str]:
    """`tbf rate ... burst ... limit ...` for a rate (see the module's docstring)."""
    limit = max(256 * 1024, round(rate_bit_s / 8 * 0.05))
    return ["tbf", "rate", f"{rate_bit_s}bit", "burst", str(tbf_burst_bytes(rate_bit_s)),
            "limit", str(limit)]


@dataclass
class Link:
    """One link between a client and a server namespace. Use as a context manager; `close`
    removes everything, also after an exception, SIGINT or (while it is held) SIGTERM."""

    spec: LinkSpec
    endpoints: Endpoints | None = None
    #: How the delay is made: "none" (no delay), "netem" or "relay".
    delay_by: str = "none"
    created: list[str] = field(default_factory=list)
    _relay: subprocess.Popen[bytes] | None = None
    _previous_term: Any = None

    def __enter__(self) -> Link:
        netns.remove_leftovers()
        if threading.current_thread() is threading.main_thread() \
                and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
            self._previous_term = signal.signal(signal.SIGTERM, _exit_on_term)
        try:
            self._build()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def _namespace(self, role: str) -> str:
        name = netns.namespace_name(role)
        netns.ip("netns", "add", name)
        self.created.append(name)
        # No IPv6 at all: no link-local addresses, so 198.18.0.0/15 is all the link uses.
        netns.ip("netns", "exec", name, "sysctl", "-q", "-w",
                 "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
        netns.ip("link", "set", "lo", "up", ns=name)
        return name

    def _build(self) -> None:
        client = self._namespace("c")
        server = self._namespace("s")
        delay = self.spec.one_way_delay_s
        if delay > 0:
            self.delay_by = "netem" if _probe_netem(client) else "relay"
        if self.delay_by == "relay":
            middle = self._namespace("m")
            _veth(client, "198.18.0.1/30", middle, "198.18.0.2/30")
            _veth(middle, "198.18.0.5/30", server, "198.18.0.6/30", name="veth1")
            self._shape(client, "veth0", 0.0)
            self._shape(middle, "veth0", 0.0)
            self.endpoints = Endpoints(client, server, ("198.18.0.6", SERVER_PORT),
                                       ("198.18.0.2", SERVER_PORT), middle)
            self._start_relay(middle, delay)
        else:
            _veth(client, "198.18.0.1/30", server, "198.18.0.2/30")
            self._shape(client, "veth0", delay)
            self._shape(server, "veth0", delay)
            self.endpoints = Endpoints(client, server, ("198.18.0.2", SERVER_PORT),
                                       ("198.18.0.2", SERVER_PORT))

    def _shape(self, ns: str, dev: str, netem_delay_s: float) -> None:
        rate = self.spec.rate_bit_s
        if netem_delay_s > 0:
            netns.tc("qdisc", "add", "dev", dev, "root", "handle", "1:", "netem", "delay",
                     f"{round(netem_delay_s * 1e6)}us", "limit", "100000", ns=ns)
            if rate is not None:
                netns.tc("qdisc", "add", "dev", dev, "parent", "1:1", "handle", "10:",
                         *tbf_args(rate), ns=ns)
        elif rate is not None:
            netns.tc("qdisc", "add", "dev", dev, "root", *tbf_args(rate), ns=ns)

    def _start_relay(self, middle: str, hold_s: float) -> None:
        assert self.endpoints is not None
        host, port = self.endpoints.connect
        to = f"{self.endpoints.listen[0]}:{self.endpoints.listen[1]}"
        cmd = ["ip", "netns", "exec", middle, sys.executable, "-m", "serbench.transport.link.relay",
               "--listen", host, "--port", str(port), "--zero-port", str(RELAY_ZERO_PORT),
               "--to", to, "--hold-s", repr(hold_s)]
        self._relay = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, close_fds=True)
        try:
            wait_ready(self._relay, "the delay relay", RELAY_START_S)
        except NotReady as exc:
            raise netns.LinkError(str(exc)) from exc

    @property
    def relay_pid(self) -> int | None:
        """The relay's process id while it runs."""
        return self._relay.pid if self._relay is not None else None

    def addresses(self) -> dict[str, list[str]]:
        """Every IPv4/IPv6 address in each of the link's namespaces (`ip -n NS addr`)."""
        out: dict[str, list[str]] = {}
        for name in self.created:
            words = netns.ip("-o", "addr", "show", ns=name).split()
            out[name] = [words[i + 1] for i, w in enumerate(words) if w in ("inet", "inet6")]
        return out

    def close(self) -> None:
        """Stop the relay, delete the namespaces (their veths go with them). Never raises."""
        relay, self._relay = self._relay, None
        if relay is not None:
            stop(relay)  # it ends when its stdin closes; TERM, then KILL, if it does not
        for name in reversed(self.created):
            netns.remove_namespace(name)
        self.created.clear()
        if self._previous_term is not None:
            with contextlib.suppress(ValueError):
                signal.signal(signal.SIGTERM, self._previous_term)
            self._previous_term = None


def _exit_on_term(signum: int, frame: FrameType | None) -> None:
    """SIGTERM while a link is held unwinds like Ctrl-C, so the link is removed."""
    raise SystemExit(128 + signum)


def _veth(ns_a: str, addr_a: str, ns_b: str, addr_b: str, name: str = "veth0") -> None:
    """A veth pair made inside `ns_a` with its peer in `ns_b` (never in the host's namespace):
    `name` in `ns_a`, `veth0` in `ns_b`; addresses set and both ends up."""
    netns.ip("link", "add", name, "type", "veth", "peer", "name", "veth0", "netns", ns_b,
             ns=ns_a)
    for ns, dev, addr in ((ns_a, name, addr_a), (ns_b, "veth0", addr_b)):
        netns.ip("addr", "add", addr, "dev", dev, ns=ns)
        netns.ip("link", "set", dev, "up", ns=ns)


def _probe_netem(ns: str) -> bool:
    """Whether netem exists, tried on the loopback device of our own namespace `ns`."""
    return netns.netem_available(ns, "lo")


def wait_gone(names: list[str], timeout_s: float = 5.0) -> bool:
    """Whether every namespace in `names` is gone (deletion is asynchronous for a moment)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not set(names) & set(netns.namespaces()):
            return True
        time.sleep(0.05)
    return False


__all__ = ["NETWORK", "Link", "tbf_args", "wait_gone"]
