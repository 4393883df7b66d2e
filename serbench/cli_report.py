"""`serbench report` and `serbench compare` (being written: registers nothing yet)."""

from __future__ import annotations

from typing import Any


def add_report_commands(sub: Any) -> None:
    """Register `report` and `compare` on the CLI's subparsers."""
