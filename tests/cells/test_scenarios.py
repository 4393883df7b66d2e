"""Every scenario x built-in codec through `serbench run` at minimal pyperf settings, on tcp,
and the Unix socket for one codec of each kind (the socket's family is the only difference).

These tests assert structure and behaviour (files, names, columns, ordering of percentiles, byte
counts), never timings. The coverage tests fail when a scenario, transport or built-in codec
exists that this module does not run (the idea of pyperf's tests/test_examples.py).
"""

from __future__ import annotations

import csv
import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pyperf
import pytest

from serbench.cells.cell import SCENARIOS, SOCKET_SCENARIOS
from serbench.codecs import codec_entries
from serbench.common.vocabulary import (
    DEFAULT_TRANSPORTS,
    NATIVE_CODEC,
    PATH_TRANSPORTS,
    SOCKET_TRANSPORTS,
    TRANSPORTS,
)
from serbench.results.files import COLUMNS, samples_path
from serbench.runner.matrix import builtin_matrix_path, expand, load_matrix

pytestmark = pytest.mark.slow
TESTED_SCENARIOS = ("roundtrip", "stream", "encode", "decode")
TESTED_TRANSPORTS = ("tcp", "uds")
ORIGINAL_CODECS = ("pickle", "pickle-oob", "cloudpickle", "msgpack", "cbor2", "orjson", "json",
                   "msgspec-msgpack", "msgspec-json", "null")
ZOO_CODECS = ("ujson", "rapidjson", "simplejson", "pysimdjson", "ormsgpack", "bson", "dill",
              "marshal", "jsonpickle", "serpent",
              "protobuf", "protobuf-prepared", "avro", "avro-prepared", "arrow", "arrow-prepared",
              "capnp", "capnp-prepared", "thrift", "thrift-prepared",
              "msgspec-struct", "msgspec-struct-msgpack", "pydantic", "cattrs", "mashumaro",
              "orjson-dataclass", "orjson-dict")
TESTED_CODECS = ORIGINAL_CODECS + ZOO_CODECS
PAYLOADS = ("small", "numpy:1000")
#: The main run: every codec, scenario and payload over tcp. A second run takes the socket
#: scenarios over uds for one codec of each kind of frame: the reference, a list of buffers
#: (out of band), the floor's pre-encoded bytes, a plain schema-less codec, a prepared schema
#: message and a typed codec the server binds to the payload's shape.
MAIN_TRANSPORT = "tcp"
UDS_CODECS = ("pickle", "pickle-oob", "null", "msgpack", "protobuf-prepared", "msgspec-struct")
REQUIRED_COLUMNS = ["codec", "scenario", "transport", "payload", "status", "mean_s", "stdev_s",
                    "p50_s", "p90_s", "p99_s", "p999_s", "max_s", "msgs_per_s", "mb_per_s",
                    "encoded_bytes"]


def test_every_scenario_is_tested() -> None:
    assert set(SCENARIOS) == set(TESTED_SCENARIOS)


def test_every_transport_is_tested() -> None:
    # The paths (mp-pipe, ..., redis) are tested in tests/transport/test_paths.py and, through
    # serbench run, in test_transports_run.py.
    assert set(SOCKET_TRANSPORTS) == set(TESTED_TRANSPORTS) == {MAIN_TRANSPORT, "uds"}
    assert set(UDS_CODECS) <= set(TESTED_CODECS)
    assert set(TRANSPORTS) == set(SOCKET_TRANSPORTS) | set(PATH_TRANSPORTS)


def test_every_builtin_codec_is_tested() -> None:
    builtin = {n for n, e in codec_entries().items() if e.distribution == "serbench"}
    # `native` has no socket cell (it is a path's own pickling): test_transports_run.py
    assert builtin == set(TESTED_CODECS) | {NATIVE_CODEC}


def _serbench_run(tmp_path_factory: pytest.TempPathFactory, codecs: tuple[str, ...],
                  payloads: tuple[str, ...], transport: str,
                  scenarios: tuple[str, ...]) -> Path:
    out = tmp_path_factory.mktemp("run") / "results"
    proc = subprocess.run(
        [sys.executable, "-m", "serbench", "run", "--codecs", ",".join(codecs),
         "--payloads", ",".join(payloads), "--transports", transport,
         "--scenarios", ",".join(scenarios), "--debug-single-value", "--no-report",
         "-o", str(out)],
        capture_output=True, text=True, timeout=600, cwd=tmp_path_factory.mktemp("cwd"),
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every codec x payload x scenario, the socket scenarios over tcp."""
    return _serbench_run(tmp_path_factory, TESTED_CODECS, PAYLOADS, MAIN_TRANSPORT,
                         TESTED_SCENARIOS)


@pytest.fixture(scope="module")
def uds_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The socket scenarios over uds, one codec of each kind."""
    return _serbench_run(tmp_path_factory, UDS_CODECS, ("small",), "uds", SOCKET_SCENARIOS)


@pytest.fixture(params=["main", "uds"])
def any_run(request: pytest.FixtureRequest) -> Path:
    """Each of the two runs in turn, for the checks every run's files must pass."""
    return Path(request.getfixturevalue("run_dir" if request.param == "main" else "uds_dir"))


def _rows(run_dir: Path) -> list[dict[str, str]]:
    with open(run_dir / "summary.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_summary_has_one_row_per_cell_with_the_required_columns(run_dir: Path,
                                                                uds_dir: Path) -> None:
    for directory in (run_dir, uds_dir):
        with open(directory / "summary.csv", newline="") as f:
            header = next(csv.reader(f))
        assert header == COLUMNS
        assert set(REQUIRED_COLUMNS) <= set(header)
        rows = _rows(directory)
        keys = {(r["codec"], r["scenario"], r["transport"], r["payload"]) for r in rows}
        assert len(keys) == len(rows)
    # One transport each: every scenario in the main run, the socket ones over uds.
    assert len(_rows(run_dir)) == len(TESTED_CODECS) * len(PAYLOADS) * len(TESTED_SCENARIOS)
    assert len(_rows(uds_dir)) == len(UDS_CODECS) * len(SOCKET_SCENARIOS)


def test_every_cell_ran_or_was_skipped_for_fidelity(run_dir: Path, uds_dir: Path) -> None:
    over_uds = _rows(uds_dir)
    assert all(r["status"] == "ok" and r["fidelity"] == "exact" for r in over_uds), over_uds
    rows = _rows(run_dir)
    failed = [r for r in rows if r["status"] == "failed"]
    assert not failed, failed
    for row in rows:
        if row["status"] == "skipped":
            assert row["fidelity"] in ("unsupported", "wrong")
            assert row["detail"].startswith(row["fidelity"])
            assert row["mean_s"] == ""
        else:
            assert row["status"] == "ok"
            assert row["fidelity"] in ("exact", "lossy")
    # Every codec round-trips `small`; numpy arrays travel in the pickle family (dill,
    # jsonpickle too), null, and the schema codecs (a repeated double / an Arrow column).
    ok = {(r["codec"], r["payload"]) for r in rows if r["status"] == "ok"}
    assert {c for c, p in ok if p == "small-2"} == set(TESTED_CODECS)
    schema = {f"{lang}{variant}" for lang in ("protobuf", "avro", "arrow", "capnp", "thrift")
              for variant in ("", "-prepared")}
    assert {c for c, p in ok if p == "numpy-1000"} == {
        "pickle", "pickle-oob", "cloudpickle", "dill", "jsonpickle", "null", *schema}


def test_every_scenario_and_transport_was_measured_for_every_codec(run_dir: Path,
                                                                   uds_dir: Path) -> None:
    measured = {(r["codec"], r["scenario"], r["transport"]) for r in _rows(run_dir)
                if r["status"] == "ok"}
    for codec in TESTED_CODECS:
        for scenario in TESTED_SCENARIOS:
            transport = MAIN_TRANSPORT if scenario in SOCKET_SCENARIOS else ""
            assert (codec, scenario, transport) in measured
    over_uds = {(r["codec"], r["scenario"], r["transport"]) for r in _rows(uds_dir)
                if r["status"] == "ok"}
    assert over_uds == {(c, s, "uds") for c in UDS_CODECS for s in SOCKET_SCENARIOS}


def _float(row: dict[str, str], key: str) -> float:
    return float(row[key])


def test_roundtrip_percentiles_are_those_of_the_stored_samples(any_run: Path) -> None:
    # (The percentile definitions are pinned to known values in test_stats.py; here: each
    # row's figures come from exactly the samples stored beside it.)
    from serbench.stats.percentiles import latency_percentiles

    checked = 0
    for row in _rows(any_run):
        if row["status"] != "ok" or row["scenario"] != "roundtrip":
            continue
        samples = np.load(samples_path(any_run, row["codec"], row["benchmark"]))
        assert samples.dtype == np.int64 and samples.size == int(row["samples"]) >= 1
        expected = latency_percentiles(samples)
        for key in ("p50", "p90", "p99", "p999", "max"):
            assert math.isclose(_float(row, f"{key}_s"), expected[key]), (row, key)
        assert row["msgs_per_s"] == ""
        checked += 1
    assert checked


def test_throughput_columns_follow_from_the_mean_and_the_encoded_size(any_run: Path) -> None:
    for row in _rows(any_run):
        if row["status"] != "ok" or row["scenario"] == "roundtrip":
            continue
        per_s = 1 / _float(row, "mean_s")
        assert math.isclose(_float(row, "msgs_per_s"), per_s, rel_tol=1e-9)
        assert math.isclose(_float(row, "mb_per_s"), per_s * int(row["encoded_bytes"]) / 1e6,
                            rel_tol=1e-9)
        assert row["p50_s"] == ""
        if row["scenario"] == "stream":
            assert _float(row, "objects_per_s") > 0


def test_encoded_bytes_are_the_codecs_own(any_run: Path) -> None:
    import pickle

    from serbench.codecs import encoded_size, get_codec
    from serbench.codecs.bind import bound_codec
    from serbench.payloads import make_payload

    made = make_payload("small")
    for row in _rows(any_run):
        if row["payload"] == "small-2" and row["status"] == "ok":
            codec = bound_codec(get_codec(row["codec"]), made)
            assert int(row["encoded_bytes"]) == encoded_size(codec.encode(codec.prepared(made.obj)))
            assert int(row["reference_bytes"]) == len(pickle.dumps(made.obj, protocol=5))


def test_one_pyperf_suite_per_codec_with_codec_free_names_and_metadata(any_run: Path) -> None:
    rows = _rows(any_run)
    codecs = {r["codec"] for r in rows}
    matrix = json.loads((any_run / "environment.json").read_text())["matrix"]
    assert codecs == set(matrix["codecs"]) in (set(TESTED_CODECS), set(UDS_CODECS))
    for codec in codecs:
        suite = pyperf.BenchmarkSuite.load(str(any_run / f"{codec}.json"))
        names = set(suite.get_benchmark_names())
        expected = {r["benchmark"] for r in rows if r["codec"] == codec and r["status"] == "ok"}
        assert names == expected
        for bench in suite.get_benchmarks():
            assert codec not in bench.get_name().split("/")
            meta = bench.get_metadata()
            assert meta["serbench_codec"] == codec
            for key in ("serbench_codec_library", "serbench_codec_version",
                        "serbench_codec_options", "serbench_payload", "serbench_payload_spec",
                        "serbench_encoded_bytes", "serbench_transport", "serbench_scenario",
                        "serbench_pin", "serbench_gc", "serbench_scenario_version",
                        "serbench_fidelity"):
                assert key in meta, key
            if meta["serbench_scenario"] == "roundtrip":
                assert meta["serbench_p50_s"] <= meta["serbench_p99_s"] <= meta["serbench_max_s"]


def test_pyperf_compare_to_and_stats_work_on_the_files(run_dir: Path, uds_dir: Path) -> None:
    compare = subprocess.run(
        [sys.executable, "-m", "pyperf", "compare_to", str(run_dir / "pickle.json"),
         str(run_dir / "msgpack.json"), "--table"], capture_output=True, text=True, timeout=60)
    assert compare.returncode == 0, compare.stderr
    assert "roundtrip/tcp/small-2" in compare.stdout or "not significant" in compare.stdout
    stats = subprocess.run([sys.executable, "-m", "pyperf", "stats", str(uds_dir / "null.json")],
                           capture_output=True, text=True, timeout=60)
    assert stats.returncode == 0, stats.stderr
    assert "roundtrip/uds/small-2" in stats.stdout


def test_environment_records_machine_versions_matrix_and_times(run_dir: Path) -> None:
    env: dict[str, Any] = json.loads((run_dir / "environment.json").read_text())
    for key in ("cpu_model", "cpu_count", "os", "python", "serbench_version", "libraries",
                "matrix", "start", "end", "load_average_start", "load_average_end", "pin",
                "gc", "pickle_protocol", "codecs", "status"):
        assert key in env, key
    assert env["status"] == "complete"
    assert env["libraries"]["pyperf"] == pyperf.__version__
    assert set(env["matrix"]["codecs"]) == set(TESTED_CODECS)
    assert "pickle.dumps" in env["codecs"]["pickle"]["call_path"]
    assert env["format_version"] == 2 and env["rounds"]["completed"] == 1
    assert not list(run_dir.rglob("*.tmp"))
    assert env["malloc"]["policy"] == "steady"


def test_every_worker_records_its_cold_start_memory_and_allocator(any_run: Path) -> None:
    """Cold start for every scenario but the stream, memory for encode and decode (round 1),
    the allocator policy applied in every worker on glibc."""
    for row in _rows(any_run):
        if row["status"] != "ok":
            continue
        assert row["cold_import_s"] != ""
        assert (row["cold_first_s"] != "") == (row["scenario"] != "stream"), row["benchmark"]
        has_memory = row["scenario"] in ("encode", "decode")
        assert (row["alloc_peak_bytes"] != "") == has_memory, row["benchmark"]
        assert row["settled_workers"] == "0"  # --debug-single-value: no warm-up at all
    for codec in ("pickle", "msgspec-struct"):
        for bench in pyperf.BenchmarkSuite.load(str(any_run / f"{codec}.json")).get_benchmarks():
            meta = bench.get_runs()[-1].get_metadata()
            assert meta["serbench_malloc"] == "steady"
            if sys.platform.startswith("linux"):
                assert meta["serbench_malloc_applied"] == "mallopt"


def test_default_matrix_is_embedded_parsed_and_expanded() -> None:
    path = builtin_matrix_path("default")
    matrix = load_matrix(path)
    # The original ten and one representative of each zoo family (the zoo matrix has them all).
    assert set(matrix.codecs) == {*ORIGINAL_CODECS, "ormsgpack", "protobuf", "msgspec-struct"}
    builtin = {c for c, e in codec_entries().items() if e.distribution == "serbench"}
    for name in ("zoo", "full"):  # native is a path's pickling: scenarios/transports.toml
        assert builtin - {NATIVE_CODEC} <= set(load_matrix(builtin_matrix_path(name)).codecs), name
    assert len({p.partition(":")[0] for p in matrix.payloads}) >= 4
    assert set(matrix.transports) == set(DEFAULT_TRANSPORTS) == {"tcp", "uds"}
    assert set(matrix.scenarios) == set(SCENARIOS)
    cells = expand(matrix)
    per_payload = (len(SCENARIOS) - len(SOCKET_SCENARIOS)
                   + len(SOCKET_SCENARIOS) * len(DEFAULT_TRANSPORTS))
    assert len(cells) == len(matrix.codecs) * len(matrix.payloads) * per_payload
    assert len(set(cells)) == len(cells)
    for name in ("full", "zoo", "sweep", "transports"):
        assert expand(load_matrix(builtin_matrix_path(name)))
    transports = load_matrix(builtin_matrix_path("transports"))
    assert set(transports.transports) == set(TRANSPORTS)
    assert {"native", "null", "pickle", "pickle-oob"} <= set(transports.codecs)


def test_stream_batches_are_the_same_for_every_codec_on_a_payload(run_dir: Path) -> None:
    batches: dict[str, set[int]] = {}
    for codec in TESTED_CODECS:
        suite = pyperf.BenchmarkSuite.load(str(run_dir / f"{codec}.json"))
        for bench in suite.get_benchmarks():
            meta = bench.get_metadata()
            if meta["serbench_scenario"] == "stream":
                batches.setdefault(meta["serbench_payload"], set()).add(
                    meta["serbench_stream_batch"])
    assert batches and all(len(sizes) == 1 for sizes in batches.values()), batches
