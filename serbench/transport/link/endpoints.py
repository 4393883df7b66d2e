"""What a process needs to cross a link: the two namespaces and the two addresses.

Passed to a pyperf worker as one option (`--link-endpoints`): the worker moves itself into
the client namespace, and binds its forked server's listening socket in the server namespace
(a socket stays in the namespace it was made in, so the forked child needs no `setns`).
The server listens on a fixed port: its namespace is the run's own and workers run one at a
time, and the relay (when there is one) must know where to forward.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

from serbench.common.errors import UserError
from serbench.transport.link import netns

SERVER_PORT = 40000
#: The relay's second port, forwarding with no hold: its own overhead is measured through it.
RELAY_ZERO_PORT = 40001
#: A ping-pong endpoint in the middle namespace: the one-hop baseline of the relay overhead.
MIDDLE_ECHO_PORT = 40002


@dataclass(frozen=True)
class Endpoints:
    """The client and server namespaces; where the server listens, where the client connects
    (the same address without a relay, the relay's with one)."""

    client_ns: str
    server_ns: str
    listen: tuple[str, int]
    connect: tuple[str, int]
    middle_ns: str | None = None

    def to_arg(self) -> str:
        """`client,server,host:port,host:port[,middle]`: one command-line word."""
        words = [self.client_ns, self.server_ns, f"{self.listen[0]}:{self.listen[1]}",
                 f"{self.connect[0]}:{self.connect[1]}"]
        return ",".join([*words, self.middle_ns] if self.middle_ns else words)

    @classmethod
    def from_arg(cls, text: str) -> Endpoints:
        """The inverse of `to_arg`."""
        words = text.split(",")
        if len(words) not in (4, 5):
            raise UserError(f"--link-endpoints {text!r}: expected client,server,host:port,"
                            "host:port[,middle]")
        return cls(words[0], words[1], _address(words[2]), _address(words[3]),
                   words[4] if len(words) == 5 else None)

    def enter_client(self) -> None:
        """Move this process (single-threaded at this point) into the client namespace."""
        netns.enter(self.client_ns)

    def listen_tcp(self) -> socket.socket:
        """The server's listening socket, made in the server namespace."""
        with netns.entered(self.server_ns):
            return socket.create_server(self.listen, family=socket.AF_INET, backlog=128)


def _address(word: str) -> tuple[str, int]:
    host, _, port = word.rpartition(":")
    if not host or not port.isdigit():
        raise UserError(f"not host:port: {word!r}")
    return host, int(port)
