"""How a ZeroMQ path end receives a message's body: copied after a small message, zero-copy
after a large one, several buffers joined after the empty first part, and RCVMORE asked
only after an empty part (a fake socket records every call)."""

from __future__ import annotations

from collections import deque
from types import SimpleNamespace
from typing import Any

import pytest

from serbench.transport.paths.zmq_path import _SEVERAL, ZERO_COPY_FROM, _receiver

zmq = pytest.importorskip("zmq")


class FakeSocket:
    """Queued messages, each a list of parts; `recv(flags, copy)` hands out the next part."""

    def __init__(self, *messages: list[bytes]) -> None:
        self.parts: deque[tuple[bytes, bool]] = deque(
            (part, i < len(message) - 1) for message in messages for i, part in enumerate(message))
        self.more = False
        self.calls: list[str] = []

    def recv(self, flags: int, copy: bool) -> Any:
        part, self.more = self.parts.popleft()
        self.calls.append("copy" if copy else "zero-copy")
        return part if copy else SimpleNamespace(buffer=memoryview(part))

    def getsockopt(self, option: int) -> bool:
        assert option == zmq.RCVMORE
        self.calls.append("rcvmore")
        return self.more


def test_a_body_is_copied_after_a_small_message_and_zero_copy_after_a_large_one() -> None:
    large = b"x" * ZERO_COPY_FROM
    sock = FakeSocket([b"small"], [large], [b"tiny"], [b"again"])
    receive = _receiver(sock, zmq)
    assert receive() == b"small"
    assert receive() == large
    assert bytes(receive()) == b"tiny"  # the guess after a large one: zero-copy
    assert receive() == b"again"
    assert sock.calls == ["copy", "copy", "zero-copy", "copy"]  # never asked for RCVMORE


def test_several_buffers_follow_an_empty_part_and_are_joined() -> None:
    sock = FakeSocket([_SEVERAL, b"ab", b"cd"], [b""])
    receive = _receiver(sock, zmq)
    assert receive() == b"abcd"
    assert receive() == b""  # an empty body alone is still a body
    assert sock.calls == ["copy", "rcvmore", "copy", "rcvmore", "copy", "rcvmore",
                          "copy", "rcvmore"]
