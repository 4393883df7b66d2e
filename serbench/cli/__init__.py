"""The `serbench` command, one module per subcommand.

`main` is re-exported here so the `serbench = "serbench.cli:main"` entry point and
`python -m serbench` keep working; the parser itself lives in `serbench.cli.main`.
"""

from __future__ import annotations

from serbench.cli.main import main

__all__ = ["main"]
