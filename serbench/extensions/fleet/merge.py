"""`serbench merge DIR... -o OUT`: several machines' runs as one fleet directory.

    OUT/fleet.json            the machines, their source directories and shards
    OUT/<machine>/            one ordinary results directory per machine (summary.csv,
                              environment.json, <codec>.json suites, samples/)

Runs of one machine (its shards) become one results directory: the union of their cells, which
must not overlap (a cell measured twice would have two answers). Every run must be written in
the same results format: figures of different formats are not comparable. OUT is built in a
temporary sibling directory and renamed into place, so it exists whole or not at all.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from serbench.common.errors import UserError
from serbench.extensions.fleet.machine import machine_name
from serbench.results import files as results
from serbench.results.read import RawResults, read_raw

FLEET = "fleet.json"
FLEET_FORMAT = 1


#: One results directory to merge, as written: merge copies rows, it never upgrades them.
Source = RawResults


@dataclass
class Machine:
    """The runs of one machine."""

    name: str
    sources: list[Source] = field(default_factory=list)


def read_source(directory: Path) -> Source:
    """A results directory, checked: exists, is not a fleet, has a readable format."""
    if not directory.is_dir():
        raise UserError(f"{directory}: no such results directory")
    if (directory / FLEET).exists():
        raise UserError(f"{directory} is a merged fleet directory; merge its machine "
                        "subdirectories instead")
    return read_raw(directory)


def plan_merge(directories: Sequence[Path], name: str | None = None) -> list[Machine]:
    """The machines and their runs, refusing mixed formats and cells measured twice."""
    sources = [read_source(Path(d)) for d in directories]
    versions = {s.version for s in sources}
    if len(versions) > 1:
        listing = ", ".join(f"{s.directory} is format {s.version}" for s in sources)
        raise UserError(f"cannot merge runs of different results formats ({listing}); "
                        "re-run them with one serbench version")
    machines: dict[str, Machine] = {}
    for source in sources:
        key = machine_name(source.environment, name)
        machines.setdefault(key, Machine(key)).sources.append(source)
    for machine in machines.values():
        _check_disjoint(machine)
    return list(machines.values())


def _row_key(row: dict[str, str]) -> tuple[str, str, str, str]:
    return (row["codec"], row["scenario"], row.get("transport") or "", row["payload"])


def _check_disjoint(machine: Machine) -> None:
    seen: dict[tuple[str, str, str, str], Path] = {}
    for source in machine.sources:
        for row in source.rows:
            key = _row_key(row)
            if key in seen:
                raise UserError(
                    f"machine {machine.name}: {seen[key]} and {source.directory} both have the "
                    f"cell {'/'.join(k for k in key if k)}; merge runs with disjoint cells "
                    "(the shards of one matrix), or name the machines apart with --name")
            seen[key] = source.directory


def merge(directories: Sequence[Path], out: Path, name: str | None = None) -> list[Machine]:
    """Write the fleet directory `out` (which must not exist) from `directories`."""
    out = Path(out)
    if out.exists():
        raise UserError(f"{out} exists; serbench merge writes a new directory")
    machines = plan_merge(directories, name)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.merge-", dir=out.parent))
    try:
        for machine in machines:
            _write_machine(machine, tmp / machine.name)
        results.atomic_write_text(tmp / FLEET, json.dumps(_fleet_record(machines), indent=2)
                                  + "\n")
        os.chmod(tmp, 0o755 & ~_umask())  # mkdtemp's 0700 would make the fleet private
        os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return machines


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _write_machine(machine: Machine, target: Path) -> None:
    """One machine's results directory: the union of its runs."""
    target.mkdir()
    rows = [row for source in machine.sources for row in source.rows]
    results.write_summary(target, rows)
    results.write_environment(target, _merged_environment(machine))
    codecs = sorted({row["codec"] for row in rows})
    for codec in codecs:
        _merge_suite(machine, codec, target)
    for source in machine.sources:
        samples = source.directory / results.SAMPLES
        if samples.is_dir():
            shutil.copytree(samples, target / results.SAMPLES, dirs_exist_ok=True)


def _merge_suite(machine: Machine, codec: str, target: Path) -> None:
    import io

    import pyperf

    benches = []
    for source in machine.sources:
        path = results.suite_path(source.directory, codec)
        if path.exists():
            benches.extend(results.load_suite(path).get_benchmarks())
    if not benches:
        return
    text = io.StringIO()
    pyperf.BenchmarkSuite(benches).dump(text, compact=False)
    results.atomic_write_text(results.suite_path(target, codec), text.getvalue())


def _merged_environment(machine: Machine) -> dict[str, Any]:
    """The first run's environment, its matrix's payloads the union of every run's, and
    what each run was (directory, shard, start, end, rounds) under `merged_from`."""
    first = machine.sources[0].environment
    env = dict(first)
    payloads: list[str] = []
    for source in machine.sources:
        matrix = source.environment.get("matrix")
        if isinstance(matrix, dict):
            payloads.extend(p for p in matrix.get("payloads", []) if p not in payloads)
    shard = first.get("shard")
    if isinstance(shard, dict) and isinstance(shard.get("matrix_payloads"), list):
        order = shard["matrix_payloads"]
        payloads.sort(key=lambda p: order.index(p) if p in order else len(order))
    if isinstance(env.get("matrix"), dict):
        env["matrix"] = {**env["matrix"], "payloads": payloads}
    env.pop("shard", None)
    env["machine"] = machine.name
    env["merged_from"] = [{
        "directory": str(s.directory.resolve()), "shard": s.environment.get("shard"),
        "start": s.environment.get("start"), "end": s.environment.get("end"),
        "status": s.environment.get("status"), "rounds": s.environment.get("rounds"),
        "hostname": s.environment.get("hostname")} for s in machine.sources]
    env["shards"] = shard_coverage(machine)
    return env


def shard_coverage(machine: Machine) -> dict[str, Any] | None:
    """Which shards of how many the machine's runs are; None when none was a shard."""
    shards = [s.environment.get("shard") for s in machine.sources]
    found = [s for s in shards if isinstance(s, dict)]
    if not found:
        return None
    count = max(int(s.get("count", 0)) for s in found)
    have = sorted({int(s.get("index", 0)) for s in found})
    return {"count": count, "present": have,
            "missing": [i for i in range(1, count + 1) if i not in have]}


def _fleet_record(machines: list[Machine]) -> dict[str, Any]:
    return {"fleet_format": FLEET_FORMAT,
            "results_format": machines[0].sources[0].version if machines else None,
            "machines": {m.name: {
                "hostname": m.sources[0].environment.get("hostname"),
                "cpu_model": m.sources[0].environment.get("cpu_model"),
                "python": m.sources[0].environment.get("python"),
                "sources": [str(s.directory) for s in m.sources],
                "shards": shard_coverage(m)} for m in machines}}


def read_fleet(directory: Path) -> dict[str, Any] | None:
    """fleet.json of a merged directory, or None when `directory` is an ordinary run."""
    path = Path(directory) / FLEET
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise results.ResultsError(f"{path}: corrupt ({exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("machines"), dict):
        raise results.ResultsError(f"{path}: corrupt (no machines)")
    if data.get("fleet_format") != FLEET_FORMAT:
        raise results.ResultsError(f"{path}: fleet format {data.get('fleet_format')!r}; this "
                                   f"serbench reads {FLEET_FORMAT}")
    return data
