"""A killed process's private directories are swept; a live one's are kept."""

from __future__ import annotations

import os
from pathlib import Path

from serbench.common.leftovers import owned_dir, sweep_owned_dirs


def _dead_pid() -> int:
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return pid


def test_the_sweep_removes_only_directories_whose_owner_is_gone(tmp_path: Path) -> None:
    mine = owned_dir("serbench-test-", str(tmp_path))
    (mine / "s").write_bytes(b"")
    assert mine.name.startswith(f"serbench-test-{os.getpid()}-")
    dead = tmp_path / f"serbench-test-{_dead_pid()}-abc"
    (dead / "inner").mkdir(parents=True)
    (dead / "inner" / "s").write_bytes(b"")
    foreign = tmp_path / "serbench-test-notapid"
    foreign.mkdir()
    other_prefix = tmp_path / f"serbench-other-{_dead_pid()}-x"
    other_prefix.mkdir()

    assert sweep_owned_dirs("serbench-test-", str(tmp_path)) == [dead]
    assert not dead.exists()
    assert mine.exists() and foreign.exists() and other_prefix.exists()
