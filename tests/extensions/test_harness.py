"""`serbench harness`: the floor table, the pairs, the ratio arithmetic, and (slow) a quick run
of a narrowed harness: the files and tables it writes (the figures themselves are the
benchmark's business, not a unit test's)."""

from __future__ import annotations

import csv
import dataclasses
import math
import pickle
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyperf
import pytest

from serbench.codecs import CodecUnavailable, codec_entries, get_codec, joined
from serbench.common.errors import UserError
from serbench.common.vocabulary import PATH_TRANSPORTS, SOCKET_TRANSPORTS
from serbench.extensions.harness.floors import FLOORS, check_floor, floor_encoding, shape_once
from serbench.extensions.harness.frames import bytes_with_pickle_size, frame_1m, frame_64
from serbench.extensions.harness.run import (
    _memory_row,
    build_pairs,
    floor_codecs,
    judge,
    load_config,
)
from serbench.extensions.harness.wallclock import split
from serbench.fidelity.roundtrip import check_bound
from serbench.payloads import make_payload
from serbench.runner.matrix import builtin_matrix_path
from serbench.transport.paths import skip_reason as path_skip_reason

BUILTIN = sorted(n for n, e in codec_entries().items() if e.distribution == "serbench")


def test_frames_pickle_to_the_exact_sizes() -> None:
    assert len(pickle.dumps(frame_64(), protocol=5)) == 64
    assert len(pickle.dumps(frame_1m(), protocol=5)) == 2**20
    with pytest.raises(ValueError):
        bytes_with_pickle_size(3)


def test_the_floor_table_has_a_row_for_every_builtin_codec_but_null() -> None:
    assert set(FLOORS) == set(BUILTIN) - {"null"}
    cfg = load_config(builtin_matrix_path("harness"))
    assert cfg.codecs is None
    assert set(floor_codecs(cfg)) == set(FLOORS)
    assert cfg.codec_floor_payloads == ["small", "records:1000"]


def _run_statement(namespace: dict[str, Any], statement: str) -> Any:
    """Run a floor statement the way its timed loop would, keeping its last expression's value."""
    *before, last = statement.split("; ")
    exec("\n".join([*before, f"_result = {last}"]), namespace)
    return namespace["_result"]


#: Rows whose timed statements do not end in the value (a `with` block, a validation call, a
#: flag reset after the encode): tests/codecs/test_schema_codecs.py runs them under pyperf timeit.
_NO_VALUE_STATEMENTS = {"arrow-prepared", "capnp", "capnp-prepared"}


#: The harness's two floor payloads; the large one only in the full suite (the fast path
#: keeps under a minute).
FLOOR_PAYLOADS = ["small", pytest.param("records:1000", marks=pytest.mark.slow)]


@pytest.mark.parametrize("spec", FLOOR_PAYLOADS)
@pytest.mark.parametrize("name", sorted(FLOORS))
def test_each_floor_row_makes_and_reads_what_its_codec_does(name: str, spec: str) -> None:
    try:
        codec = get_codec(name)
    except CodecUnavailable as exc:  # pragma: no cover - extras are installed in CI
        pytest.skip(str(exc))
    row = FLOORS[name]
    made = make_payload(spec)
    obj = made.obj
    verdict, codec = check_bound(codec, made)  # schema and typed codecs bind to the shape
    if not verdict.timed:  # no pair: bson refuses a top-level list, arrow an int|str union
        pytest.skip(f"{name} does not round-trip {spec}: the harness leaves the pair out")
    shape = shape_once(spec)  # what the harness's set-up binds beside `obj`
    prepared = codec.prepared(obj)
    data = floor_encoding(row, obj, shape)
    assert check_floor(row, codec, obj, spec, shape) == len(joined(codec.encode(prepared)))
    namespace: dict[str, Any] = {"obj": obj, "shape": shape}
    if name in _NO_VALUE_STATEMENTS:  # they run; their bytes are checked by check_floor above
        exec("\n".join(row.setup_lines("decode")), namespace)
        for scenario in ("encode", "decode"):
            exec(row.statement(scenario).replace("; ", "\n"), namespace)
        return
    # The timed encode statement yields the very bytes decode is timed on ...
    exec("\n".join(row.setup_lines("encode")), namespace)
    assert _run_statement(namespace, row.statement("encode")) == data
    # ... and the timed decode statement reads them back as serbench's decoder does.
    namespace = {"obj": obj, "shape": shape}
    exec("\n".join(row.setup_lines("decode")), namespace)
    decoded = _run_statement(namespace, row.statement("decode"))
    if codec.prepare is None:  # a schema-less or populating codec decodes to the payload
        assert decoded == obj == codec.decode(memoryview(joined(codec.encode(obj))))
    # Messages and models of the row's own classes: what it decoded re-encodes to the bytes.
    namespace["obj"] = decoded
    assert _run_statement(namespace, row.statement("encode")) == data


def test_check_floor_refuses_a_row_that_drifted_from_its_codec() -> None:
    obj = make_payload("small").obj
    drifted = dataclasses.replace(FLOORS["json"],
                                  decode_setup=("data = json.dumps(obj, indent=1).encode()",))
    match = re.escape("update serbench/extensions/harness/floors.py")
    with pytest.raises(RuntimeError, match=match):
        check_floor(drifted, get_codec("json"), obj, "small")
    # pickle-oob's frame wraps the library's bytes; plain pickle's must equal them.
    with pytest.raises(RuntimeError, match="does not produce the bytes"):
        check_floor(FLOORS["pickle"], get_codec("pickle-oob"), obj, "small")


@pytest.mark.parametrize(("scenario", "floor", "mine", "ratio", "met"), [
    ("encode", 100e-9, 104e-9, 1.04, True),
    ("encode", 100e-9, 106e-9, 1.06, False),
    ("decode", 100e-9, 96e-9, 0.96, True),
    ("decode", 100e-9, 94e-9, 0.94, False),  # faster than the library call is a miss too
    ("roundtrip", 10e-6, 10.4e-6, 1.04, True),
    ("roundtrip", 10e-6, 12e-6, 1.2, False),
    ("stream", 1e-3, 1.05e-3, 1 / 1.05, True),  # seconds per frame: throughput ratio 0.952
    ("stream", 1e-3, 1.2e-3, 1 / 1.2, False),
])
def test_judge_computes_ratio_and_target_from_fixed_figures(
        scenario: str, floor: float, mine: float, ratio: float, met: bool) -> None:
    got_ratio, got_met = judge(scenario, floor, mine)
    assert got_ratio == pytest.approx(ratio, rel=1e-12)
    assert got_met is met


def test_a_paths_round_trip_is_judged_against_its_own_target() -> None:
    assert judge("roundtrip", 10e-6, 11.5e-6, "roundtrip-path") == (pytest.approx(1.15), True)
    assert judge("roundtrip", 10e-6, 12.5e-6, "roundtrip-path") == (pytest.approx(1.25), False)
    assert judge("roundtrip", 10e-6, 11.5e-6) == (pytest.approx(1.15), False)


@pytest.mark.slow
def test_every_pair_compares_the_same_benchmark_name_and_settings() -> None:
    cfg = load_config(builtin_matrix_path("harness"))
    pairs = build_pairs(cfg, quick=False)
    names = [p.name for p in pairs]
    assert len(names) == len(set(names))
    expected = {f"roundtrip/{t}/{s}B" for t in cfg.transports for s in cfg.roundtrip_frames
                if path_skip_reason(t, "null") is None}
    # The paths are held to their hand-written loop on the round trip only.
    expected |= {f"stream/{t}/{s}B" for t in cfg.transports for s in cfg.stream_frames
                 if t in SOCKET_TRANSPORTS}
    assert set(PATH_TRANSPORTS) <= set(cfg.transports)
    labels = [make_payload(spec).label for spec in cfg.codec_floor_payloads]
    assert labels == ["small-2", "records-1000"]
    made = [make_payload(spec) for spec in cfg.codec_floor_payloads]
    expected |= {f"{scenario}/{codec}/{m.label}" for codec in FLOORS for m in made
                 if check_bound(get_codec(codec), m)[0].timed
                 for scenario in ("encode", "decode")}
    assert "encode/bson/records-1000" not in expected  # bson refuses a top-level list
    assert set(names) == expected
    for pair in pairs:
        transport = pair.name.split("/")[1]
        if transport in PATH_TRANSPORTS:  # both sides in one process, interleaved
            assert pair.floor == pair.serbench == []
            both = pair.interleaved
            assert both[2] == "serbench.extensions.harness.interleaved_paths"
            assert both[both.index("--transport") + 1] == transport
            assert both[both.index("--malloc") + 1] == cfg.malloc
            assert pair.target == "roundtrip-path"
            continue
        assert pair.name in pair.floor and pair.name in pair.serbench
        # Same pyperf budget on both sides of every pair.
        for flag in ("-p", "-n", "-w", "--min-time"):
            assert pair.floor[pair.floor.index(flag) + 1] == pair.serbench[
                pair.serbench.index(flag) + 1]
        assert pair.serbench[pair.serbench.index("--codec") + 1] == pair.codec
        if pair.scenario in ("encode", "decode"):
            # Checked in one process too, on the same codec, payload and direction.
            both = pair.interleaved
            assert both[2] == "serbench.extensions.harness.interleaved_codecs"
            assert [both[both.index(f) + 1] for f in ("--codec", "--scenario", "--malloc")] == [
                pair.codec, pair.scenario, cfg.malloc]
            # The floor times the table's statement, never serbench's codec object.
            row = FLOORS[pair.codec]
            assert pair.floor[2:4] == ["pyperf", "timeit"]
            assert pair.floor[-1] == pair.floor_call == row.statement(pair.scenario)
            setup = [pair.floor[i + 1] for i, arg in enumerate(pair.floor) if arg == "-s"]
            assert setup[-len(row.setup_lines(pair.scenario)) - 1 : -1] == row.setup_lines(
                pair.scenario)
            registry = ("from serbench.codecs import", "get_codec")
            assert not any(word in line for line in setup for word in registry)


def test_config_errors_name_the_problem(tmp_path: Path) -> None:
    base = builtin_matrix_path("harness").read_text(encoding="utf-8")
    cases = {
        "codecs = [\"pickle\", \"nope\"]\n": "codec 'nope' has no floor row",
        "codec_floor_payload = \"records:1000\"\n": "unknown key(s) codec_floor_payload",
    }
    for extra, message in cases.items():
        path = tmp_path / "h.toml"
        path.write_text(extra + base, encoding="utf-8")
        with pytest.raises(UserError, match=re.escape(message)):
            load_config(path)
    path.write_text(base.replace("processes = 2", "process = 2"), encoding="utf-8")
    with pytest.raises(UserError, match=r"unknown key\(s\) in \[budget\]: process"):
        load_config(path)


#: A narrowed harness: one codec (a floor row with set-up lines), a socket and a path, one
#: frame size per scenario. Every floor row's statements are checked above, without a run.
NARROW = """
rounds = 3
roundtrip_frames = [64]
stream_frames = [1048576]
transports = ["uds", "mp-pipe"]
codec_floor_payloads = ["small", "records:1000"]
codecs = ["msgpack"]
memory_blob_bytes = 10000000
[budget]
processes = 1
values = 2
warmups = 1
min_time = 0.01
"""
#: uds roundtrip + stream; mp-pipe roundtrip; 1 codec x 2 payloads x encode/decode
NARROW_PAIRS = 2 + 1 + 1 * 2 * 2
#: The pairs whose sides are separate pyperf programs (a path's run in one process).
NARROW_PYPERF_PAIRS = NARROW_PAIRS - 1


@pytest.fixture(scope="module")
def harness_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("harness")
    config = root / "narrow.toml"
    config.write_text(NARROW, encoding="utf-8")
    out = root / "h"
    proc = subprocess.run([sys.executable, "-m", "serbench", "harness", str(config), "--quick",
                           "-o", str(out)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return out, proc.stdout


@pytest.mark.slow
def test_harness_lists_every_codec_pair_and_its_verdict(harness_run: tuple[Path, str]) -> None:
    _, stdout = harness_run
    assert "| roundtrip/uds/64B |" in stdout
    assert "| roundtrip/mp-pipe/64B |" in stdout
    for codec in ("msgpack",):
        for scenario in ("encode", "decode"):
            for label in ("small-2", "records-1000"):
                line = next(x for x in stdout.splitlines()
                            if x.startswith(f"| {scenario}/{codec}/{label} |"))
                # ... | met | in one process (range) | faults/call |: the interleaved check's
                # median and range, serbench's steady minor faults per call
                assert re.search(r"\| (yes|NO) \| [0-9.]+ \([0-9.]+-[0-9.]+\) \| [0-9.e+-]+ \|$",
                                 line), line
    assert "encode/decode pairs within 5% of `pyperf timeit`" in stdout
    assert "In one process, interleaved with the floor's statement: " in stdout
    assert "- msgpack encode: `packer.pack(obj)`" in stdout


@pytest.mark.slow
def test_harness_writes_both_sides_and_a_consistent_table(
        harness_run: tuple[Path, str]) -> None:
    harness_dir, _ = harness_run
    raw = pyperf.BenchmarkSuite.load(str(harness_dir / "raw.json"))
    mine = pyperf.BenchmarkSuite.load(str(harness_dir / "serbench.json"))
    assert set(raw.get_benchmark_names()) == set(mine.get_benchmark_names())
    assert len(raw.get_benchmark_names()) == NARROW_PYPERF_PAIRS
    with open(harness_dir / "harness.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert {r["scenario"] for r in rows} == {"roundtrip", "stream", "encode", "decode", "memory"}
    for row in rows:
        ratio, met = float(row["ratio"]), row["meets_target"] == "True"
        assert row["meets_target"] in ("True", "False")
        if row["scenario"] in ("encode", "decode"):
            # The ratio is the CSV's own two means, and the verdict follows from it.
            figures = float(row["raw_mean_s"]), float(row["serbench_mean_s"])
            assert math.isclose(ratio, figures[1] / figures[0], rel_tol=1e-9)
            assert met == (abs(ratio - 1) <= 0.05)
            assert row["floor_call"] == FLOORS[row["codec"]].statement(row["scenario"])
            both = [float(row[f"interleaved_ratio{s}"]) for s in ("_min", "", "_max")]
            assert both == sorted(both) and int(row["interleaved_block_pairs"]) == 2
        elif row["scenario"] == "stream":
            figures = float(row["raw_mean_s"]), float(row["serbench_mean_s"])
            assert math.isclose(ratio, figures[0] / figures[1], rel_tol=1e-9)
            assert met == (ratio >= 0.9)
        elif row["pair"].startswith("roundtrip/mp-pipe/"):
            # The median of the interleaved block pairs' ratios (one round in --quick).
            assert int(row["interleaved_block_pairs"]) == 2
            assert float(row["interleaved_ratio_min"]) <= ratio <= float(
                row["interleaved_ratio_max"])
            assert met == (ratio <= 1.2)
            assert (harness_dir / "interleaved" / "roundtrip__mp-pipe__64B" /
                    "round-1.json").is_file()
        elif row["scenario"] == "roundtrip":
            figures = float(row["raw_p50_s"]), float(row["serbench_p50_s"])
            assert math.isclose(ratio, figures[1] / figures[0], rel_tol=1e-9)
            assert met == (ratio <= 1.05)
    memory = next(r for r in rows if r["scenario"] == "memory")
    assert int(memory["client_peak_bytes"]) > int(memory["bytes"])
    assert int(memory["server_peak_bytes"]) > int(memory["bytes"])
    assert (harness_dir / "harness.md").read_text().count("\n|") == len(rows) + 2  # header and rule
    assert not list(harness_dir.glob(".*"))


@pytest.mark.slow
def test_pyperf_compare_to_lines_up_floor_and_serbench(harness_run: tuple[Path, str]) -> None:
    harness_dir, _ = harness_run
    proc = subprocess.run([sys.executable, "-m", "pyperf", "compare_to",
                           str(harness_dir / "raw.json"), str(harness_dir / "serbench.json")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "roundtrip/uds/64B" in proc.stdout or "not significant" in proc.stdout


@pytest.mark.slow
def test_wall_split_accounts_for_the_loops(harness_run: tuple[Path, str]) -> None:
    s = split(harness_run[0])
    assert s.benchmarks == 2 * NARROW_PYPERF_PAIRS
    assert s.values_s > 0 and s.warmups_s > 0
    assert 0 < s.values_s + s.warmups_s + s.calibration_s < s.wall_s
    assert 0 < s.overhead_share < 1


def test_the_memory_row_counts_each_sides_growth_not_the_interpreter() -> None:
    mb = 10**6
    row = _memory_row({"payload_bytes": 10 * mb, "transport": "uds", "codec": "pickle",
                       "client_peak_bytes": 56 * mb, "client_baseline_bytes": 30 * mb,
                       "server_peak_bytes": 45 * mb, "server_baseline_bytes": 28 * mb})
    assert row["ratio"] == 2.6  # the client's 26 MB over a 10 MB payload
    assert row["meets_target"]
    row = _memory_row({"payload_bytes": 10 * mb, "transport": "uds", "codec": "pickle",
                       "client_peak_bytes": 31 * mb, "client_baseline_bytes": 30 * mb,
                       "server_peak_bytes": 60 * mb, "server_baseline_bytes": 28 * mb})
    assert row["ratio"] == 3.2 and not row["meets_target"]
