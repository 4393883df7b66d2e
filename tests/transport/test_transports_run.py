"""`serbench run` over every path (serbench.transport.paths) at minimal pyperf settings: every
cell measured or skipped with its reason, the path's configuration in environment.json and in
each cell's metadata, and a peer killed mid-cell failing that cell alone with one line."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pyperf
import pytest
from conftest import make_distribution

from serbench.common.vocabulary import PATH_TRANSPORTS
from serbench.transport.paths.redis_server import redis_missing

pytestmark = pytest.mark.slow
CODECS = ("pickle", "native", "null", "pickle-oob")


def _run(out: Path, codecs: str, transports: str, cwd: Path,
         env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    full = dict(os.environ) | (env or {})
    return subprocess.run(
        [sys.executable, "-m", "serbench", "run", "--codecs", codecs, "--payloads", "small",
         "--transports", transports, "--scenarios", "roundtrip,stream", "--debug-single-value",
         "--no-report", "-o", str(out)],
        capture_output=True, text=True, timeout=900, cwd=cwd, env=full)


def _rows(out: Path) -> list[dict[str, str]]:
    with open(out / "summary.csv", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def paths_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("paths") / "results"
    proc = _run(out, ",".join(CODECS), ",".join(PATH_TRANSPORTS),
                tmp_path_factory.mktemp("cwd"))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out


def test_every_path_cell_is_measured_or_skipped_with_its_reason(paths_run: Path) -> None:
    rows = _rows(paths_run)
    assert len(rows) == len(CODECS) * len(PATH_TRANSPORTS) * 2
    for row in rows:
        if row["codec"] == "native" and row["transport"] == "shm":
            assert row["status"] == "skipped" and "no pickling" in row["detail"]
        elif row["transport"] == "redis" and redis_missing():
            assert row["status"] == "skipped" and "redis-server" in row["detail"]
        else:
            assert row["status"] == "ok", row
            assert float(row["mean_s"]) > 0


def test_the_paths_configuration_is_recorded(paths_run: Path) -> None:
    env = json.loads((paths_run / "environment.json").read_text())
    assert set(env["transports"]) == set(PATH_TRANSPORTS)
    suite = pyperf.BenchmarkSuite.load(str(paths_run / "pickle-oob.json"))
    bench = suite.get_benchmark("roundtrip/shm/small-2")
    meta = bench.get_metadata()
    assert meta["serbench_transport"] == "shm"
    assert "zero-copy" in meta["serbench_path_copies"]


KILLER = textwrap.dedent("""
    import os, pickle, signal
    from pathlib import Path
    from serbench.plugin import Codec

    def _decode(view):
        # A path's peer (never the runner's fidelity probe) dies on its first frame.
        if Path("/proc/self/comm").read_text().strip() == "serbench-peer":
            os.kill(os.getpid(), signal.SIGKILL)
        return pickle.loads(view)

    def codec():
        return Codec(encode=pickle.dumps, decode=_decode, library="tests", version="0",
                     options="kills its peer")
""")


def test_a_peer_killed_mid_cell_fails_that_cell_and_the_run_goes_on(tmp_path: Path) -> None:
    plugin = make_distribution(tmp_path / "plugin", "peerkiller", {"peerkiller": KILLER},
                               {"serbench.codecs": {"peer-killer": "peerkiller:codec"}})
    out = tmp_path / "results"
    proc = _run(out, "pickle,peer-killer", "mp-pipe,pool", tmp_path,
                env={"PYTHONPATH": str(plugin)})
    rows = {(r["codec"], r["scenario"], r["transport"]): r for r in _rows(out)}
    assert len(rows) == 8, proc.stdout[-2000:] + proc.stderr[-2000:]
    for (codec, _, transport), row in rows.items():
        if codec == "pickle":
            assert row["status"] == "ok", row
        else:
            assert row["status"] == "failed", row
            assert "\n" not in row["detail"]
            assert transport in row["detail"] or "BrokenProcessPool" in row["detail"], row
