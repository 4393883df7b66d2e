"""`serbench run`'s matrix options: payloads named on the command line replace the matrix's
("run my payload"), unless the user asks for both."""

from __future__ import annotations

import json
from pathlib import Path

from serbench.cli.main import build_parser
from serbench.cli.run import _matrix_from_args, default_output
from serbench.runner.matrix import builtin_matrix_path, load_matrix

DEFAULT = load_matrix(builtin_matrix_path()).payloads


def _matrix(*argv: str):  # type: ignore[no-untyped-def]
    return _matrix_from_args(build_parser().parse_args(["run", *argv]))[0]


def test_a_payload_file_replaces_the_matrix_payloads(tmp_path: Path) -> None:
    mine = tmp_path / "my.json"
    mine.write_text(json.dumps({"a": 1}))
    assert _matrix("--payload-file", str(mine)).payloads == [f"file:{mine.resolve()}"]
    assert _matrix("--payloads", "small:5").payloads == ["small:5"]
    both = _matrix("--payloads", "small:5", "--payload-file", str(mine)).payloads
    assert both == ["small:5", f"file:{mine.resolve()}"]


def test_with_matrix_payloads_runs_both(tmp_path: Path) -> None:
    mine = tmp_path / "my.json"
    mine.write_text("[1, 2]")
    got = _matrix("--payload-file", str(mine), "--with-matrix-payloads").payloads
    assert got == [*DEFAULT, f"file:{mine.resolve()}"]
    assert _matrix().payloads == DEFAULT


def test_default_run_ids_differ_between_runs_started_in_one_second() -> None:
    # the pid is part of the id: two processes never share one
    assert default_output().name.endswith(f"-{__import__('os').getpid()}")
