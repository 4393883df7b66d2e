"""`serbench harness`: pairs of (floor, serbench) cells run alternately in one run.

Pairs:
- `roundtrip/<transport>/<N>B`: raw ping-pong vs serbench's `null` round trip (p50 and mean);
- `stream/<transport>/<N>B`: raw `sendall`/`recv_into` stream vs serbench's `null` stream;
- `encode|decode/<payload>`: `python -m pyperf timeit` of pickle vs serbench's pickle cells.
Floor results go to `raw.json`, serbench's to `serbench.json` (same benchmark names, so
`python -m pyperf compare_to raw.json serbench.json` lines them up).
"""

from __future__ import annotations

import dataclasses
import io
import shutil
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from serbench import environment, results
from serbench.errors import UserError
from serbench.harness import memory
from serbench.matrix import Budget
from serbench.orchestrate import run_cell_program
from serbench.payloads import make_payload
from serbench.stats import latency_percentiles
from serbench.transport import placement

RAW, SERBENCH = "raw", "serbench"
_FRAME_FACTORIES = {64: "serbench.harness.frames:frame_64",
                    2**20: "serbench.harness.frames:frame_1m"}
TARGETS = {"roundtrip": ("p50 ratio <= 1.05", 1.05),
           "stream": ("throughput ratio >= 0.9", 0.9),
           "encode": ("mean ratio within 5%", 0.05),
           "decode": ("mean ratio within 5%", 0.05)}


@dataclass(frozen=True)
class HarnessConfig:
    """What `scenarios/harness.toml` says."""

    rounds: int
    roundtrip_frames: list[int]
    stream_frames: list[int]
    transports: list[str]
    codec_floor_payload: str
    memory_blob_bytes: int
    budget: Budget
    pin: str
    gc: str


def load_config(path: Path) -> HarnessConfig:
    """Parse the harness file; unknown keys are errors."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    budget = Budget(**data.pop("budget", {}))
    options = data.pop("options", {})
    fields = {f.name for f in dataclasses.fields(HarnessConfig)} - {"budget", "pin", "gc"}
    unknown = set(data) - fields
    if unknown:
        raise UserError(f"{path}: unknown key(s) {', '.join(sorted(unknown))}")
    for size in [*data["roundtrip_frames"], *data["stream_frames"]]:
        if size not in _FRAME_FACTORIES:
            raise UserError(f"{path}: frame size {size} unsupported; use one of "
                            f"{sorted(_FRAME_FACTORIES)}")
    return HarnessConfig(budget=budget, pin=options.get("pin", "same"),
                         gc=options.get("gc", "on"), **data)


@dataclass(frozen=True)
class Pair:
    """One comparison: a benchmark name and the two commands that produce it."""

    name: str
    scenario: str
    floor: list[str]
    serbench: list[str]
    encoded_bytes: int


def _budget(cfg: HarnessConfig, quick: bool) -> list[str]:
    b = cfg.budget
    if quick:
        return ["-p", "1", "-n", "2", "-w", "1", "--min-time", "0.01"]
    return ["-p", str(b.processes), "-n", str(b.values), "-w", str(b.warmups),
            "--min-time", str(b.min_time)]


def build_pairs(cfg: HarnessConfig, quick: bool) -> list[Pair]:
    """Every pair of the harness, with its two command lines (output options added later)."""
    budget = _budget(cfg, quick)
    common = ["--pin", cfg.pin, "--gc", cfg.gc, *budget]
    py = [sys.executable, "-m"]
    pairs: list[Pair] = []
    for scenario, sizes in (("roundtrip", cfg.roundtrip_frames), ("stream", cfg.stream_frames)):
        for transport in cfg.transports:
            for size in sizes:
                name = f"{scenario}/{transport}/{size}B"
                mode = "pingpong" if scenario == "roundtrip" else "stream"
                floor = [*py, "serbench.harness.raw_cell", "--mode", mode, "--transport",
                         transport, "--size", str(size), "--bench-name", name, *common]
                mine = [*py, "serbench.bench.cell", "--codec", "null", "--payload",
                        _FRAME_FACTORIES[size], "--scenario", scenario, "--transport",
                        transport, "--bench-name", name, *common]
                pairs.append(Pair(name, scenario, floor, mine, size))
    spec = cfg.codec_floor_payload
    made = make_payload(spec)
    cpu = placement.cpus_for(cfg.pin)[0]
    affinity = [] if cpu is None else [f"--affinity={cpu}"]
    setup = (f"import gc, pickle; from serbench.payloads import make_payload; "
             f"obj = make_payload({spec!r}).obj; data = pickle.dumps(obj, protocol=5)")
    if cfg.gc == "on":
        setup += "; gc.collect(); gc.freeze()"
    else:
        setup += "; gc.collect(); gc.disable()"
    import pickle

    size = len(pickle.dumps(made.obj, protocol=5))
    for scenario, stmt in (("encode", "pickle.dumps(obj, protocol=5)"),
                           ("decode", "pickle.loads(data)")):
        name = f"{scenario}/{made.label}"
        floor = [*py, "pyperf", "timeit", "--name", name, *affinity, *budget, "-s", setup, stmt]
        mine = [*py, "serbench.bench.cell", "--codec", "pickle", "--payload", spec,
                "--scenario", scenario, "--bench-name", name, *common]
        pairs.append(Pair(name, scenario, floor, mine, size))
    return pairs


def run_harness(cfg: HarnessConfig, outdir: Path, quick: bool = False,
                progress: Callable[[str], None] = print) -> list[dict[str, Any]]:
    """Run every pair `rounds` times, alternating floor and serbench; write and return rows."""
    results.check_writable(outdir)
    env = environment.collect({"harness": dataclasses.asdict(cfg), "quick": quick})
    results.write_environment(outdir, env)
    pairs = build_pairs(cfg, quick)
    rounds = 1 if quick else cfg.rounds
    work = outdir / ".work"
    step = 0
    for round_no in range(1, rounds + 1):
        for pair in pairs:
            for side, cmd in ((RAW, pair.floor), (SERBENCH, pair.serbench)):
                step += 1
                samples = work / side / pair.name.replace("/", "__")
                extra = ["--append", str(outdir / f"{side}.json"), "--quiet"]
                if "pyperf" not in cmd[2]:
                    extra += ["--samples-dir", str(samples)]
                error = run_cell_program([*cmd, *extra], outdir / ".harness.log", 900)
                if error:
                    raise RuntimeError(f"{side} {pair.name} failed: {error}")
                progress(f"[{step}/{rounds * len(pairs) * 2}] round {round_no} {side:8} "
                         f"{pair.name}")
    rows = [_pair_row(outdir, work, pair) for pair in pairs]
    mem = memory.measure(cfg.memory_blob_bytes) if not quick else memory.measure(10_000_000)
    rows.append(_memory_row(mem))
    shutil.rmtree(work, ignore_errors=True)
    (outdir / ".harness.log").unlink(missing_ok=True)
    env["end"] = environment.now_iso()
    results.write_environment(outdir, env)
    results.atomic_write_text(outdir / "harness.md", format_markdown(rows, env))
    _write_csv(outdir / "harness.csv", rows)
    return rows


def _pooled(work: Path, side: str, name: str) -> Any:
    directory = work / side / name.replace("/", "__")
    chunks = [np.fromfile(p, dtype=np.int64) for p in sorted(directory.glob("*.ns"))]
    if not chunks:
        raise RuntimeError(f"{side} {name}: no latency samples were written")
    return np.concatenate(chunks)


def _pair_row(outdir: Path, work: Path, pair: Pair) -> dict[str, Any]:
    means = {}
    for side in (RAW, SERBENCH):
        suite = results.load_suite(outdir / f"{side}.json")
        means[side] = suite.get_benchmark(pair.name).mean()
    row: dict[str, Any] = {"pair": pair.name, "scenario": pair.scenario,
                           "bytes": pair.encoded_bytes, "raw_mean_s": means[RAW],
                           "serbench_mean_s": means[SERBENCH]}
    if pair.scenario == "roundtrip":
        p50 = {side: latency_percentiles(_pooled(work, side, pair.name))["p50"]
               for side in (RAW, SERBENCH)}
        row.update(raw_p50_s=p50[RAW], serbench_p50_s=p50[SERBENCH],
                   ratio=p50[SERBENCH] / p50[RAW], measure="p50 serbench/raw")
        row["meets_target"] = row["ratio"] <= TARGETS["roundtrip"][1]
    elif pair.scenario == "stream":
        row.update(raw_mb_per_s=pair.encoded_bytes / means[RAW] / 1e6,
                   serbench_mb_per_s=pair.encoded_bytes / means[SERBENCH] / 1e6,
                   ratio=means[RAW] / means[SERBENCH], measure="throughput serbench/raw")
        row["meets_target"] = row["ratio"] >= TARGETS["stream"][1]
    else:
        row.update(ratio=means[SERBENCH] / means[RAW], measure="mean serbench/pyperf timeit")
        row["meets_target"] = abs(row["ratio"] - 1) <= TARGETS[pair.scenario][1]
    row["target"] = TARGETS[pair.scenario][0]
    return row


def _memory_row(mem: dict[str, Any]) -> dict[str, Any]:
    payload = mem["payload_bytes"]
    client, server = mem["client_peak_bytes"], mem["server_peak_bytes"]
    return {"pair": f"memory/stream/{mem['transport']}/blob-{payload}", "scenario": "memory",
            "bytes": payload, "client_peak_bytes": client, "server_peak_bytes": server,
            "ratio": max(client, server) / payload, "measure": "peak RSS / payload (max side)",
            "target": "< 3", "meets_target": max(client, server) < 3 * payload}


_CSV_COLUMNS = ["pair", "scenario", "bytes", "measure", "ratio", "target", "meets_target",
                "raw_mean_s", "serbench_mean_s", "raw_p50_s", "serbench_p50_s", "raw_mb_per_s",
                "serbench_mb_per_s", "client_peak_bytes", "server_peak_bytes"]


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    import csv

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=_CSV_COLUMNS, extrasaction="ignore",
                            lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    results.atomic_write_text(path, buffer.getvalue())


def _fmt(seconds: float | None) -> str:
    if seconds is None:
        return ""
    return f"{seconds * 1e6:.2f} us" if seconds < 1e-3 else f"{seconds * 1e3:.3f} ms"


def format_markdown(rows: list[dict[str, Any]], env: dict[str, Any]) -> str:
    """The pairs as a Markdown table with the machine and date."""
    lines = [f"Harness cost, {env.get('start', '')[:10]}, {env.get('cpu_model')} "
             f"({env.get('cpu_count')} CPUs), Python {env.get('python')}, "
             f"pyperf {env.get('libraries', {}).get('pyperf')}", "",
             "| pair | floor | serbench | measure | ratio | target | met |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        if r["scenario"] == "roundtrip":
            floor, mine = _fmt(r["raw_p50_s"]), _fmt(r["serbench_p50_s"])
        elif r["scenario"] == "stream":
            floor, mine = f"{r['raw_mb_per_s']:.0f} MB/s", f"{r['serbench_mb_per_s']:.0f} MB/s"
        elif r["scenario"] == "memory":
            floor = f"client {r['client_peak_bytes'] / 1e6:.0f} MB"
            mine = f"server {r['server_peak_bytes'] / 1e6:.0f} MB"
        else:
            floor, mine = _fmt(r["raw_mean_s"]), _fmt(r["serbench_mean_s"])
        lines.append(f"| {r['pair']} | {floor} | {mine} | {r['measure']} | {r['ratio']:.3f} "
                     f"| {r['target']} | {'yes' if r['meets_target'] else 'NO'} |")
    return "\n".join(lines) + "\n"
