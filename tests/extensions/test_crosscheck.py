"""`serbench crosscheck`'s parts: the filesystem document and both peer methods' plumbing (the
paired rounds are in test_crosscheck_rounds.py); the real pytest-benchmark run is in the slow
set."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from serbench.common.errors import UserError
from serbench.extensions.crosscheck import pytest_method
from serbench.extensions.crosscheck.cases import Case, prepared_call
from serbench.extensions.crosscheck.documents import (
    count_nodes,
    filesystem_tree,
    payload_specs,
    write_filesystem,
)


def test_the_filesystem_tree_has_the_nodes_asked_for_and_is_seeded() -> None:
    tree = filesystem_tree(1000)
    assert count_nodes(tree) == 1000
    assert tree == filesystem_tree(1000)
    assert tree != filesystem_tree(1000, seed=7)
    assert count_nodes(filesystem_tree(1)) == 1
    assert tree["type"] == "directory"
    files = [n for n in tree["contents"] if n["type"] == "file"]
    assert files and set(files[0]) >= {"name", "created_by", "created_at", "nbytes",
                                        "permissions"}


def test_the_document_is_written_as_a_payload_file(tmp_path: Path) -> None:
    path = write_filesystem(tmp_path)
    assert count_nodes(json.loads(path.read_text())) == 1000
    specs = payload_specs(path, ("canada",))
    assert specs == {"canada": "corpus:canada", "filesystem": f"file:{path}"}


def test_a_case_times_the_codec_call_of_a_worker() -> None:
    call, arg = prepared_call(Case("json", "small", "decode"))
    assert isinstance(arg, memoryview)
    encode, obj = prepared_call(Case("json", "small", "encode"))
    assert call(memoryview(encode(obj))) == call(arg)
    assert Case.parse("json|small|decode") == Case("json", "small", "decode")


@pytest.mark.slow  # times json.dumps with msgspec's method: a small benchmark run
def test_msgspecs_method_prints_seconds_per_call() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "serbench.extensions.crosscheck.timeit_method",
         "json|small|encode"], capture_output=True, text=True, timeout=60, check=True)
    row = json.loads(done.stdout)
    assert row["case"] == "json|small|encode"
    assert row["seconds"] > 0


def test_msgspecs_method_keeps_the_last_batchs_time_per_call(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """autorange's (calls, seconds) of its last batch becomes seconds per call."""
    from serbench.extensions.crosscheck import timeit_method

    monkeypatch.setattr(timeit_method.timeit.Timer, "autorange", lambda self: (2000, 0.25))
    assert timeit_method.time_case(Case("json", "small", "encode")) == 0.25 / 2000


def test_pytest_benchmarks_report_is_read_by_case() -> None:
    report = {"benchmarks": [
        {"params": {"ident": "orjson|corpus:canada|decode"}, "stats": {"median": 0.0044}},
        {"params": {"ident": "json|corpus:canada|decode"}, "stats": {"median": 0.019}}]}
    assert pytest_method.medians(report) == {"orjson|corpus:canada|decode": 0.0044,
                                             "json|corpus:canada|decode": 0.019}
    assert pytest_method.medians({}) == {}


def test_orjsons_command_line_is_orjsons(tmp_path: Path) -> None:
    cmd = pytest_method.command(tmp_path, pytest_method.PytestBudget())
    assert {"--benchmark-min-time=1", "--benchmark-max-time=5", "--benchmark-disable-gc",
            "--random-order"} <= set(cmd)


def test_a_missing_plugin_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(pytest_method, "missing_plugins", lambda: ["pytest-random-order"])
    with pytest.raises(UserError, match=r"pytest-random-order.*serbench\[crosscheck\]"):
        pytest_method.run_cases([Case("json", "small", "encode")], tmp_path)


@pytest.mark.slow
def test_orjsons_method_runs_pytest_benchmark_for_real(tmp_path: Path) -> None:
    if pytest_method.missing_plugins():
        pytest.skip("the crosscheck extra is not installed")
    cases = [Case("json", "small", "encode"), Case("json", "small", "decode")]
    medians = pytest_method.run_cases(cases, tmp_path, pytest_method.PytestBudget(0.01, 0.05))
    assert set(medians) == {c.ident for c in cases}
    assert all(0 < s < 0.01 for s in medians.values())
