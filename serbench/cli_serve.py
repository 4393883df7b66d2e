"""`serbench serve` (being written: registers nothing yet)."""

from __future__ import annotations

from typing import Any


def add_serve_command(sub: Any) -> None:
    """Register `serve` on the CLI's subparsers."""
