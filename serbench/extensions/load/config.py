"""What one load process is told: its server, connections, schedule, window and files. It
travels as one line of JSON on the process's stdin (never argv: it holds the run's secret).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from serbench.extensions.load.schedule import DEFAULT_SPIN_NS

__all__ = ["LoadConfig"]


@dataclass
class LoadConfig:
    """What one load process needs; travels as JSON on its stdin."""

    address: list[Any] | str
    secret: str
    connections: int
    rate: float  # requests per second from this process; 0: closed loop
    arrivals: str
    seed: int
    warmup_s: float
    duration_s: float
    drain_s: float
    window: int
    frame_path: str
    result_path: str
    interval_log_path: str | None = None
    interval_s: float = 1.0
    cpu: int | None = None
    spin_ns: int = DEFAULT_SPIN_NS
    index: int = 0

    def to_json(self) -> str:
        """One line of JSON."""
        return json.dumps(asdict(self))

