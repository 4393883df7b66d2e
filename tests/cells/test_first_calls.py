"""A real worker process: its first call is measured cold, before the warm-up, and its
allocator policy is applied and recorded (each worker is `python -m serbench.cells.cell`)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pyperf
import pytest

pytestmark = pytest.mark.slow

#: A codec whose first call sleeps: a cold phase whose length the test knows.
SLOW_FIRST = textwrap.dedent('''
    import pickle, time
    from serbench.plugin import Codec

    CALLS = []

    def _encode(obj):
        CALLS.append("encode")
        if CALLS.count("encode") == 1:
            time.sleep(0.05)
        return pickle.dumps(obj)

    def _decode(view):
        CALLS.append("decode")
        if CALLS.count("decode") == 1:
            time.sleep(0.05)
        return pickle.loads(view)

    def codec():
        return Codec(name="slowfirst", encode=_encode, decode=_decode)
''')


def _worker(tmp_path: Path, scenario: str, malloc: str = "steady",
            warmups: int = 1) -> dict[str, Any]:
    (tmp_path / "slowfirst_plugin.py").write_text(SLOW_FIRST)
    out = tmp_path / f"{scenario}-{malloc}-{warmups}.json"
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    cmd = [sys.executable, "-m", "serbench.cells.cell", "--worker", "--worker-task=0",
           "--codec", "slowfirst", "--codec-target", "slowfirst_plugin:codec",
           "--payload", "small", "--scenario", scenario, "--bench-name", scenario,
           "--pin", "none", "--malloc", malloc, "--output", str(out), "--quiet",
           "--loops", "50", "--values", "1", "--warmups", str(warmups)]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    bench = pyperf.BenchmarkSuite.load(str(out)).get_benchmarks()[0]
    return {"meta": bench.get_runs()[-1].get_metadata(), "mean": bench.mean()}


@pytest.mark.parametrize("scenario", ["encode", "decode"])
def test_the_first_call_is_measured_cold_and_kept_out_of_the_steady_figure(
        tmp_path: Path, scenario: str) -> None:
    got = _worker(tmp_path, scenario)
    meta = got["meta"]
    assert meta["serbench_cold_first_s"] >= 0.05       # the sleeping call
    assert got["mean"] < 0.01                          # never mixed into the steady figure
    assert meta["serbench_cold_import_s"] > 0
    assert meta["serbench_warmup_settled"] == 1
    assert meta["serbench_warmup_calls"] >= 3
    assert meta["serbench_retained_bytes"] > 0         # the memory pass ran
    assert meta["serbench_alloc_peak_bytes"] >= meta["serbench_retained_bytes"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_the_allocator_policy_is_applied_in_the_worker_and_recorded(tmp_path: Path) -> None:
    steady = _worker(tmp_path, "encode", "steady")["meta"]
    default = _worker(tmp_path, "encode", "default")["meta"]
    assert steady["serbench_malloc"] == "steady"
    assert steady["serbench_malloc_applied"] == "mallopt"
    assert default["serbench_malloc"] == "default"
    assert default["serbench_malloc_applied"] == "glibc defaults"


def test_no_warm_up_means_no_settling(tmp_path: Path) -> None:
    meta = _worker(tmp_path, "encode", warmups=0)["meta"]
    assert meta["serbench_warmup_calls"] == 0
    assert meta["serbench_warmup_settled"] == 0
