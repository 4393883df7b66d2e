"""Transport failures, each with a message that says what happened and where."""


class TransportError(Exception):
    """Base class: the connection is unusable after any of these."""


class FrameTooLarge(TransportError):
    """A length prefix above the configured maximum: refused before anything is allocated."""


class PeerClosed(TransportError):
    """The peer closed the connection (cleanly between frames, or mid-frame: `truncated`)."""

    def __init__(self, message: str, truncated: bool = False) -> None:
        super().__init__(message)
        self.truncated = truncated


class PeerTimeout(TransportError, TimeoutError):
    """No byte arrived (or could be sent) within the socket timeout: a dead or stalled peer."""


class HandshakeFailed(TransportError):
    """The peer did not prove it holds this run's secret."""
