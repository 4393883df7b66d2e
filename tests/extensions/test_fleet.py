"""Fleets: `serbench run --shard i/N` and `serbench merge`, and the report of a merged directory
(machines side by side, never ranked against each other)."""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import run_serbench

from serbench.common.cell import group_key
from serbench.common.errors import UserError
from serbench.extensions.fleet.machine import machine_name, slug
from serbench.extensions.fleet.merge import FLEET, merge, read_fleet
from serbench.extensions.fleet.shard import Shard, parse_shard, shard_matrix
from serbench.results import files as results
from serbench.runner.matrix import Matrix, expand
from serbench.runner.plan import groups

PAYLOADS = ["small", "records:10", "nested:10", "numpy:100", "records:20"]


def _matrix() -> Matrix:
    return Matrix(codecs=["pickle", "msgpack", "null"], payloads=list(PAYLOADS))


# -- shards ---------------------------------------------------------------------------------

@pytest.mark.parametrize("count", [1, 2, 3, 5])
def test_shards_are_disjoint_cover_everything_and_keep_groups_whole(count: int) -> None:
    full = expand(_matrix())
    parts = [expand(shard_matrix(_matrix(), Shard(i, count))[0]) for i in range(1, count + 1)]
    seen = [cell for part in parts for cell in part]
    assert len(seen) == len(set(seen)) == len(full)  # disjoint
    assert set(seen) == set(full)  # covers
    for key, members in groups(full).items():
        holders = [i for i, part in enumerate(parts) if set(members) & set(part)]
        assert len(holders) == 1, key  # a group (with its pickle and null) on one shard
        assert set(members) <= set(parts[holders[0]])
        assert {c.codec for c in members} >= {"pickle", "null"}
    assert all(group_key(c)[0] in PAYLOADS for c in seen)


def test_shards_are_deterministic_and_recorded() -> None:
    first = shard_matrix(_matrix(), Shard(2, 3))
    again = shard_matrix(_matrix(), Shard(2, 3))
    assert first == again
    matrix, facts = first
    assert matrix.payloads == ["records:10", "records:20"]
    assert facts["shard"] == {"index": 2, "count": 3, "payloads": matrix.payloads,
                              "matrix_payloads": PAYLOADS}


@pytest.mark.parametrize("text", ["0/2", "3/2", "1", "a/b", "1/0", ""])
def test_bad_shard_is_refused(text: str) -> None:
    with pytest.raises(UserError, match="--shard"):
        parse_shard(text)


def test_more_shards_than_payloads_is_refused() -> None:
    with pytest.raises(UserError, match="at most 5 shards"):
        shard_matrix(_matrix(), Shard(1, 6))


def test_machine_names_are_safe_directory_names() -> None:
    env = {"hostname": "node-1", "cpu_model": "Intel(R) Xeon(R) @ 2.0GHz"}
    assert machine_name(env) == "node-1-Intel-R-Xeon-R-2.0GHz"
    assert machine_name(env, "c6i.large") == "c6i.large"
    assert machine_name({**env, "machine": "ci/ubuntu arm"}) == "ci-ubuntu-arm"
    assert slug("../../etc") == "etc" and slug("///") == "machine"


# -- merge on small fake runs ---------------------------------------------------------------

def _fake_run(directory: Path, host: str, cells: list[tuple[str, str]], version: int = 2,
              shard: dict[str, Any] | None = None) -> Path:
    """A results directory with skipped cells (codec, payload): enough for merge's checks."""
    env: dict[str, Any] = {"hostname": host, "cpu_model": "cpu", "format_version": version,
                           "matrix": {"payloads": sorted({p for _, p in cells})}}
    if shard:
        env["shard"] = shard
    directory.mkdir(parents=True)
    results.write_environment(directory, env)
    results.write_summary(directory, [
        {"codec": c, "scenario": "encode", "transport": "", "payload": p, "status": "skipped",
         "detail": "unsupported: test"} for c, p in cells])
    return directory


def test_merge_refuses_different_results_formats(tmp_path: Path) -> None:
    a = _fake_run(tmp_path / "a", "h", [("pickle", "small")], version=1)
    b = _fake_run(tmp_path / "b", "h", [("pickle", "big")], version=2)
    with pytest.raises(UserError, match="different results formats"):
        merge([a, b], tmp_path / "out")
    assert not (tmp_path / "out").exists()
    newer = _fake_run(tmp_path / "c", "h", [("pickle", "x")], version=results.FORMAT_VERSION + 1)
    with pytest.raises(UserError, match="newer serbench"):
        merge([newer], tmp_path / "out")


def test_merge_refuses_overlapping_cells_of_one_machine(tmp_path: Path) -> None:
    a = _fake_run(tmp_path / "a", "h", [("pickle", "small"), ("msgpack", "small")])
    b = _fake_run(tmp_path / "b", "h", [("pickle", "small")])
    with pytest.raises(UserError, match="both have the cell pickle/encode/small"):
        merge([a, b], tmp_path / "out")
    leftovers = [p.name for p in tmp_path.iterdir() if p.name not in ("a", "b")]
    assert leftovers == []  # no half-written OUT, no temporary directory
    # The same cells from two machines are two machines, not an overlap.
    other = _fake_run(tmp_path / "c", "other", [("pickle", "small")])
    machines = merge([a, other], tmp_path / "out")
    assert sorted(m.name for m in machines) == ["h-cpu", "other-cpu"]
    fleet = read_fleet(tmp_path / "out")
    assert fleet is not None and set(fleet["machines"]) == {"h-cpu", "other-cpu"}
    assert (tmp_path / "out" / "h-cpu" / "summary.csv").exists()


def test_merge_never_writes_into_an_existing_directory(tmp_path: Path) -> None:
    a = _fake_run(tmp_path / "a", "h", [("pickle", "small")])
    (tmp_path / "out").mkdir()
    with pytest.raises(UserError, match="exists"):
        merge([a], tmp_path / "out")


def test_merged_shards_record_their_coverage(tmp_path: Path) -> None:
    shard = {"count": 3, "matrix_payloads": ["small", "big", "huge"]}
    a = _fake_run(tmp_path / "a", "h", [("pickle", "big")], shard={**shard, "index": 2})
    b = _fake_run(tmp_path / "b", "h", [("pickle", "small")], shard={**shard, "index": 1})
    merge([a, b], tmp_path / "out")
    env = results.read_environment(tmp_path / "out" / "h-cpu")
    assert env["shards"] == {"count": 3, "present": [1, 2], "missing": [3]}
    assert env["matrix"]["payloads"] == ["small", "big"]  # the matrix's order, not the runs'
    assert [s["shard"]["index"] for s in env["merged_from"]] == [2, 1]
    assert "shard" not in env


# -- end to end -----------------------------------------------------------------------------

RUN = ("--codecs", "pickle,msgpack,null", "--payloads", "small,records:10",
       "--scenarios", "roundtrip,encode", "--transports", "tcp", "--debug-single-value",
       "--no-report")


def _cells(directory: Path) -> set[tuple[str, str, str, str]]:
    with open(directory / "summary.csv", newline="") as handle:
        return {(r["codec"], r["scenario"], r["transport"], r["payload"])
                for r in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Two shards and one unsharded run of the same tiny matrix."""
    root = tmp_path_factory.mktemp("fleet")
    for name, extra in (("s1", ["--shard", "1/2"]), ("s2", ["--shard", "2/2"]), ("full", [])):
        proc = run_serbench("run", *RUN, *extra, "-o", str(root / name))
        assert proc.returncode == 0, proc.stderr
    yield root


@pytest.mark.slow
def test_merge_of_two_shards_equals_one_unsharded_run(runs: Path, tmp_path: Path) -> None:
    s1, s2, full = runs / "s1", runs / "s2", runs / "full"
    assert results.read_environment(s1)["shard"]["index"] == 1
    assert _cells(s1) and _cells(s2) and not _cells(s1) & _cells(s2)
    out = tmp_path / "merged"
    proc = run_serbench("merge", str(s1), str(s2), "-o", str(out), "--no-report")
    assert proc.returncode == 0, proc.stderr
    fleet = json.loads((out / FLEET).read_text())
    (machine,) = fleet["machines"]
    assert fleet["machines"][machine]["shards"] == {"count": 2, "present": [1, 2],
                                                     "missing": []}
    assert _cells(out / machine) == _cells(full)
    names = {b.get_name() for b in results.load_suite(out / machine / "pickle.json")
             .get_benchmarks()}
    full_names = {b.get_name() for b in results.load_suite(full / "pickle.json")
                  .get_benchmarks()}
    assert names == full_names
    assert sorted(p.name for p in (out / machine / "samples" / "pickle").iterdir()) == \
        sorted(p.name for p in (full / "samples" / "pickle").iterdir())


@pytest.mark.slow
def test_report_of_a_fleet_has_one_section_per_machine(runs: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    shutil.copytree(runs / "full", other)
    env = results.read_environment(other)
    results.write_environment(other, {**env, "hostname": "second-host"})
    out = tmp_path / "fleet"
    proc = run_serbench("merge", str(runs / "s1"), str(runs / "s2"), str(other), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    machines = list(json.loads((out / FLEET).read_text())["machines"])
    assert len(machines) == 2 and any(m.startswith("second-host-") for m in machines)
    text = (out / "report.md").read_text()
    for name in machines:
        assert text.count(f"## Machine {name}\n") == 1
        assert (out / name / "report.html").exists()  # each machine's own full report
    assert "no figure compares one machine's codec with another's" in text
    side = text.split("## Side by side")[1].split("## Machine")[0]
    tables = [t for t in side.split("\n\n") if t.startswith("|")]
    assert tables
    for table in tables:
        header = table.splitlines()[0]
        assert [m in header for m in machines] == [True, True]
        assert "rank" not in table.lower() and "fastest" not in table.lower()
    html = (out / "report.html").read_text()
    assert html.count("<h2>Machine ") == 2
    again = run_serbench("report", str(out))
    assert again.returncode == 0, again.stderr
    assert (out / "report.md").read_text() == text  # a report from files alone: same bytes
