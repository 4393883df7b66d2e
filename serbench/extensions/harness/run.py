"""`serbench harness`: pairs of (floor, serbench) cells run alternately in one run.

Pairs:
- `roundtrip/<transport>/<N>B`: raw ping-pong vs serbench's `null` round trip (p50 and mean);
- `stream/<transport>/<N>B`: raw `sendall`/`recv_into` stream vs serbench's `null` stream;
- `roundtrip/<path>/<N>B` for each path in `transports` (mp-pipe, ..., redis): the path's
  hand-written echo loop (`raw_paths`) vs serbench's `null` round trip over it (target 1.2x),
  both in one process in interleaved blocks (`interleaved_paths`), a fresh process a round;
- `encode|decode/<codec>/<payload>`: `python -m pyperf timeit` of the codec's documented
  library call (a row of `serbench.extensions.harness.floors.FLOORS`) vs serbench's encode/decode
  cell,
  for every available built-in codec but `null`, at each of `codec_floor_payloads`.
Floor results go to `raw.json`, serbench's to `serbench.json` (same benchmark names, so
`python -m pyperf compare_to raw.json serbench.json` lines them up); each round of a pair's
check in one process to `interleaved/<pair>/round-N.json`.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import statistics
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from serbench.codecs import CodecUnavailable, codec_entries, get_codec
from serbench.common.errors import UserError
from serbench.common.vocabulary import (
    FLOOR_CODEC,
    MALLOC_POLICIES,
    MALLOC_STEADY,
    TRANSPORTS,
)
from serbench.extensions.harness import memory
from serbench.extensions.harness.floors import FLOORS, check_floor, floor_setup, shape_once
from serbench.extensions.harness.frames import FRAME_FACTORIES
from serbench.extensions.harness.interleaved import RAW, SERBENCH
from serbench.extensions.harness.output import format_markdown, write_csv
from serbench.fidelity import roundtrip as fidelity
from serbench.payloads import make_payload
from serbench.results import environment
from serbench.results import files as results
from serbench.results.record import pool_samples
from serbench.runner.processes import run_cell_program
from serbench.runner.rows import worker_columns
from serbench.stats.percentiles import latency_percentiles
from serbench.transport import placement
from serbench.transport.paths import is_path
from serbench.transport.paths import skip_reason as path_skip_reason

TARGETS = {"roundtrip": ("p50 ratio <= 1.05", 1.05),
           #: A path's null round trip against its hand-written loop (raw_paths).
           "roundtrip-path": ("p50 ratio <= 1.2", 1.2),
           "stream": ("throughput ratio >= 0.9", 0.9),
           "encode": ("mean ratio within 5%", 0.05),
           "decode": ("mean ratio within 5%", 0.05)}


@dataclass(frozen=True)
class PyperfBudget:
    """The pyperf budget both sides of every pair get: pyperf's own `-p -n -w --min-time`."""

    processes: int = 2
    values: int = 3
    warmups: int = 1
    min_time: float = 0.05


@dataclass(frozen=True)
class HarnessConfig:
    """What `scenarios/harness.toml` says."""

    rounds: int
    roundtrip_frames: list[int]
    stream_frames: list[int]
    transports: list[str]
    codec_floor_payloads: list[str]
    memory_blob_bytes: int
    budget: PyperfBudget
    pin: str
    gc: str
    #: The allocator policy of both sides (serbench.cells.allocator), as a run's `--malloc`.
    malloc: str = MALLOC_STEADY
    #: The codecs of the encode/decode pairs; None: every built-in codec with a floor row.
    codecs: list[str] | None = None
    #: Pairs of interleaved blocks per round of a pair's check in one process.
    block_pairs: int = 8


def load_config(path: Path) -> HarnessConfig:
    """Parse the harness file; unknown keys, frame sizes and codecs are errors."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserError(f"{path}: cannot read the harness file ({exc.strerror})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: not a valid TOML file ({exc})") from exc
    budget_table = data.pop("budget", {})
    known_budget = {f.name for f in dataclasses.fields(PyperfBudget)}
    unknown = set(budget_table) - known_budget
    if unknown:
        raise UserError(f"{path}: unknown key(s) in [budget]: {', '.join(sorted(unknown))}; "
                        f"known: {', '.join(sorted(known_budget))}")
    budget = PyperfBudget(**budget_table)
    options = data.pop("options", {})
    fields = {f.name for f in dataclasses.fields(HarnessConfig)} - {"budget", "pin", "gc",
                                                                    "malloc"}
    unknown = set(data) - fields
    if unknown:
        hint = (" (codec_floor_payload is now codec_floor_payloads, a list)"
                if "codec_floor_payload" in unknown else "")
        raise UserError(f"{path}: unknown key(s) {', '.join(sorted(unknown))}{hint}")
    for key in ("codec_floor_payloads", "codecs"):
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise UserError(f"{path}: {key} must be a list of strings, got {value!r}")
    for size in [*data["roundtrip_frames"], *data["stream_frames"]]:
        if size not in FRAME_FACTORIES:
            raise UserError(f"{path}: frame size {size} unsupported; use one of "
                            f"{sorted(FRAME_FACTORIES)}")
    for transport in data.get("transports", []):
        if transport not in TRANSPORTS:
            raise UserError(f"{path}: unknown transport {transport!r}; known: "
                            f"{', '.join(TRANSPORTS)}")
    for name in data.get("codecs") or []:
        if name not in FLOORS:
            raise UserError(f"{path}: codec {name!r} has no floor row in "
                            f"serbench/extensions/harness/floors.py; known: {', '.join(FLOORS)}")
    malloc = options.get("malloc", MALLOC_STEADY)
    if malloc not in MALLOC_POLICIES:
        raise UserError(f"{path}: [options] malloc must be one of {', '.join(MALLOC_POLICIES)}, "
                        f"got {malloc!r}")
    return HarnessConfig(budget=budget, pin=options.get("pin", "same"),
                         gc=options.get("gc", "on"), malloc=malloc, **data)


def floor_codecs(cfg: HarnessConfig) -> list[str]:
    """The codecs the encode/decode pairs cover: the configured ones, else every built-in
    (serbench-registered) codec but `null`, in the floor table's order."""
    if cfg.codecs is not None:
        return list(cfg.codecs)
    builtin = {name for name, entry in codec_entries().items()
               if entry.distribution == "serbench" and name != FLOOR_CODEC}
    missing = builtin - set(FLOORS)
    if missing:
        raise RuntimeError(f"built-in codec(s) {', '.join(sorted(missing))} have no floor row "
                           "in serbench/extensions/harness/floors.py")
    return [name for name in FLOORS if name in builtin]


@dataclass(frozen=True)
class Pair:
    """One comparison: a benchmark name and the two commands that produce it."""

    name: str
    scenario: str
    floor: list[str]
    serbench: list[str]
    encoded_bytes: int
    #: The serbench codec of the pair; for codec pairs also the floor's timed statement.
    codec: str = FLOOR_CODEC
    floor_call: str = ""
    #: Which TARGETS row judges the pair (empty: its scenario's).
    target: str = ""
    #: Both sides in one process, in interleaved blocks (interleaved_paths, _codecs), run
    #: each round beside the pyperf sides; a path's pair has no pyperf sides.
    interleaved: list[str] = dataclasses.field(default_factory=list)


def _budget(cfg: HarnessConfig, quick: bool) -> list[str]:
    b = cfg.budget
    if quick:
        return ["-p", "1", "-n", "2", "-w", "1", "--min-time", "0.01"]
    return ["-p", str(b.processes), "-n", str(b.values), "-w", str(b.warmups),
            "--min-time", str(b.min_time)]


def build_pairs(cfg: HarnessConfig, quick: bool,
                skipped: dict[str, str] | None = None) -> list[Pair]:
    """Every pair of the harness, with its two command lines (output options added later).

    A configured codec whose library is missing here is left out; its reason goes into
    `skipped` when given.
    """
    budget = _budget(cfg, quick)
    common = ["--pin", cfg.pin, "--gc", cfg.gc, "--malloc", cfg.malloc, *budget]
    py = [sys.executable, "-m"]
    pairs: list[Pair] = []
    for transport in cfg.transports:
        if is_path(transport):
            pairs += _path_pairs(transport, cfg, quick, skipped)
    for scenario, sizes in (("roundtrip", cfg.roundtrip_frames), ("stream", cfg.stream_frames)):
        for transport in cfg.transports:
            if is_path(transport):
                continue
            for size in sizes:
                name = f"{scenario}/{transport}/{size}B"
                mode = "pingpong" if scenario == "roundtrip" else "stream"
                floor = [*py, "serbench.extensions.harness.raw_cell", "--mode", mode, "--transport",
                         transport, "--size", str(size), "--bench-name", name, *common]
                mine = [*py, "serbench.cells.cell", "--codec", FLOOR_CODEC, "--payload",
                        FRAME_FACTORIES[size], "--scenario", scenario, "--transport",
                        transport, "--bench-name", name, *common]
                pairs.append(Pair(name, scenario, floor, mine, size))
    cpu = placement.cpus_for(cfg.pin)[0]
    affinity = [] if cpu is None else [f"--affinity={cpu}"]
    # What serbench's cell does before timing (placement.apply_gc_policy), done last in set-up.
    gc_line = "gc.collect(); gc.freeze()" if cfg.gc == "on" else "gc.collect(); gc.disable()"
    made = {spec: make_payload(spec) for spec in cfg.codec_floor_payloads}
    for codec_name in floor_codecs(cfg):
        try:
            codec = get_codec(codec_name)
        except CodecUnavailable as exc:
            if skipped is not None:
                skipped[codec_name] = str(exc)
            continue
        row = FLOORS[codec_name]
        for spec, payload in made.items():
            # Bound as a run binds it (schema and typed codecs derive their schema here); a
            # codec that does not round-trip this payload has no cell to hold against a floor.
            verdict, bound = fidelity.check_bound(codec, payload)
            if not verdict.timed:
                if skipped is not None:
                    skipped[f"{codec_name} on {payload.label}"] = (
                        f"{verdict.status}: {verdict.detail}")
                continue
            size = check_floor(row, bound, payload.obj, payload.label, shape_once(spec))
            for scenario in ("encode", "decode"):
                name = f"{scenario}/{codec_name}/{payload.label}"
                setup = [f"from serbench.cells.allocator import apply_malloc_policy; "
                         f"apply_malloc_policy({cfg.malloc!r})",  # first, as in a cell
                         "import gc", *floor_setup(row, spec, scenario), gc_line]
                stmt = row.statement(scenario)
                floor = [*py, "pyperf", "timeit", "--name", name, *affinity, *budget]
                for line in setup:
                    floor += ["-s", line]
                floor.append(stmt)
                mine = [*py, "serbench.cells.cell", "--codec", codec_name, "--payload", spec,
                        "--scenario", scenario, "--bench-name", name, *common]
                both = [*py, "serbench.extensions.harness.interleaved_codecs", "--codec",
                        codec_name, "--payload", spec, "--scenario", scenario,
                        *_interleaved_options(cfg, quick)]
                pairs.append(Pair(name, scenario, floor, mine, size, codec_name, stmt,
                                  interleaved=both))
    return pairs


def _path_pairs(transport: str, cfg: HarnessConfig, quick: bool,
                skipped: dict[str, str] | None) -> list[Pair]:
    """A path's `null` round trip against its hand-written loop (`raw_paths`), per frame size,
    both in one process (`interleaved_paths`); none where the path cannot run here (its reason
    goes into `skipped`)."""
    why = path_skip_reason(transport, FLOOR_CODEC)
    if why:
        if skipped is not None:
            skipped[f"{transport} round trip"] = why
        return []
    pairs = []
    for size in cfg.roundtrip_frames:
        name = f"roundtrip/{transport}/{size}B"
        both = [sys.executable, "-m", "serbench.extensions.harness.interleaved_paths",
                "--transport", transport, "--size", str(size), *_interleaved_options(cfg, quick)]
        pairs.append(Pair(name, "roundtrip", [], [], size, target="roundtrip-path",
                          interleaved=both))
    return pairs


def _interleaved_options(cfg: HarnessConfig, quick: bool) -> list[str]:
    return ["--pin", cfg.pin, "--gc", cfg.gc, "--malloc", cfg.malloc,
            "--pairs", str(2 if quick else cfg.block_pairs)]


def run_harness(cfg: HarnessConfig, outdir: Path, quick: bool = False,
                progress: Callable[[str], None] = print) -> list[dict[str, Any]]:
    """Run every pair `rounds` times, alternating floor and serbench; write and return rows."""
    results.check_writable(outdir)
    env = environment.collect({"harness": dataclasses.asdict(cfg), "quick": quick})
    skipped: dict[str, str] = {}
    pairs = build_pairs(cfg, quick, skipped)
    for name, reason in skipped.items():
        progress(f"harness: no {name} pairs: {reason}")
    env["harness_skipped_codecs"] = skipped
    results.write_environment(outdir, env)
    rounds = 1 if quick else cfg.rounds
    work = outdir / ".work"
    step, steps = 0, rounds * sum(len(_commands(pair, outdir, work, 0)) for pair in pairs)
    for round_no in range(1, rounds + 1):
        for pair in pairs:
            for side, cmd, extra in _commands(pair, outdir, work, round_no):
                step += 1
                error = run_cell_program([*cmd, *extra], outdir / ".harness.log", 900)
                if error:
                    raise RuntimeError(f"{side} {pair.name} failed: {error}")
                progress(f"[{step}/{steps}] round {round_no} {side:8} {pair.name}")
    rows = [_row(outdir, work, pair) for pair in pairs]
    mem = memory.measure(cfg.memory_blob_bytes) if not quick else memory.measure(10_000_000)
    rows.append(_memory_row(mem))
    shutil.rmtree(work, ignore_errors=True)
    (outdir / ".harness.log").unlink(missing_ok=True)
    env["end"] = environment.now_iso()
    results.write_environment(outdir, env)
    results.atomic_write_text(outdir / "harness.md", format_markdown(rows, env))
    write_csv(outdir / "harness.csv", rows)
    return rows


def _interleaved_rounds(outdir: Path, pair: Pair) -> Path:
    return outdir / "interleaved" / pair.name.replace("/", "__")


def _commands(pair: Pair, outdir: Path, work: Path,
              round_no: int) -> list[tuple[str, list[str], list[str]]]:
    """The (side, command, output options) a pair runs in one round."""
    commands = []
    if pair.floor:
        for side, cmd in ((RAW, pair.floor), (SERBENCH, pair.serbench)):
            extra = ["--append", str(outdir / f"{side}.json"), "--quiet"]
            if "pyperf" not in cmd[2]:
                extra += ["--samples-dir", str(work / side / pair.name.replace("/", "__"))]
            commands.append((side, cmd, extra))
    if pair.interleaved:
        out = _interleaved_rounds(outdir, pair) / f"round-{round_no}.json"
        commands.append(("both", pair.interleaved, ["--json", str(out)]))
    return commands


def _row(outdir: Path, work: Path, pair: Pair) -> dict[str, Any]:
    """A pair's row: the pyperf sides' figures and verdict, and the interleaved check's; a
    path's pair (no pyperf sides) is judged on the interleaved check."""
    both = _interleaved_columns(outdir, pair) if pair.interleaved else {}
    if pair.floor:
        return {**_pair_row(outdir, work, pair), **both}
    ratio, met = judge(pair.scenario, 1.0, both["interleaved_ratio"], pair.target)
    return {"pair": pair.name, "scenario": pair.scenario, "codec": pair.codec,
            "bytes": pair.encoded_bytes, "raw_p50_s": both.pop("interleaved_raw_s"),
            "serbench_p50_s": both.pop("interleaved_serbench_s"),
            "figure": "p50 serbench/raw, interleaved blocks in one process",
            "ratio": ratio, "meets_target": met, "target": TARGETS[pair.target][0], **both}


def _interleaved_columns(outdir: Path, pair: Pair) -> dict[str, Any]:
    """The interleaved check over every round: all block pairs' ratios pooled, their median
    and range; each side's median block figure."""
    rounds = [json.loads(f.read_text(encoding="utf-8"))
              for f in sorted(_interleaved_rounds(outdir, pair).glob("round-*.json"))]
    if not rounds:
        raise RuntimeError(f"{pair.name}: no interleaved round was written")
    ratios = [r for one in rounds for r in one["ratios"]]
    sides = {side: statistics.median(v for one in rounds for v in one["blocks"][side])
             for side in (RAW, SERBENCH)}
    return {"interleaved_ratio": statistics.median(ratios),
            "interleaved_ratio_min": min(ratios), "interleaved_ratio_max": max(ratios),
            "interleaved_block_pairs": len(ratios), "interleaved_raw_s": sides[RAW],
            "interleaved_serbench_s": sides[SERBENCH]}


def _pooled(work: Path, side: str, name: str) -> Any:
    pooled = pool_samples(work / side / name.replace("/", "__"))
    if not pooled.size:
        raise RuntimeError(f"{side} {name}: no latency samples were written")
    return pooled


def judge(scenario: str, floor: float, mine: float, target: str = "") -> tuple[float, bool]:
    """A pair's ratio (serbench relative to the floor) and whether it meets its target (the
    TARGETS row `target`, else the scenario's).

    `floor` and `mine` are the two sides' p50 latencies (`roundtrip`) or mean seconds per
    frame (`stream`) or per call (`encode`, `decode`); a stream's ratio is a throughput ratio.
    """
    limit = TARGETS[target or scenario][1]
    if scenario == "roundtrip":
        ratio = mine / floor
        return ratio, ratio <= limit
    if scenario == "stream":
        ratio = floor / mine
        return ratio, ratio >= limit
    ratio = mine / floor
    return ratio, abs(ratio - 1) <= limit


def _pair_row(outdir: Path, work: Path, pair: Pair) -> dict[str, Any]:
    means = {}
    mine = None
    for side in (RAW, SERBENCH):
        suite = results.load_suite(outdir / f"{side}.json")
        bench = suite.get_benchmark(pair.name)
        means[side] = bench.mean()
        mine = bench if side == SERBENCH else mine
    steady = worker_columns(mine) if mine is not None else {}
    row: dict[str, Any] = {"pair": pair.name, "scenario": pair.scenario, "codec": pair.codec,
                           "bytes": pair.encoded_bytes, "raw_mean_s": means[RAW],
                           "serbench_mean_s": means[SERBENCH], "floor_call": pair.floor_call,
                           "serbench_faults_per_call": steady.get("faults_per_call"),
                           "serbench_settled_workers": steady.get("settled_workers")}
    if pair.scenario == "roundtrip":
        p50 = {side: latency_percentiles(_pooled(work, side, pair.name))["p50"]
               for side in (RAW, SERBENCH)}
        row.update(raw_p50_s=p50[RAW], serbench_p50_s=p50[SERBENCH], figure="p50 serbench/raw")
        row["ratio"], row["meets_target"] = judge(pair.scenario, p50[RAW], p50[SERBENCH],
                                                  pair.target)
    elif pair.scenario == "stream":
        row.update(raw_mb_per_s=pair.encoded_bytes / means[RAW] / 1e6,
                   serbench_mb_per_s=pair.encoded_bytes / means[SERBENCH] / 1e6,
                   figure="throughput serbench/raw")
        row["ratio"], row["meets_target"] = judge(pair.scenario, means[RAW], means[SERBENCH])
    else:
        row["figure"] = "mean serbench/pyperf timeit"
        row["ratio"], row["meets_target"] = judge(pair.scenario, means[RAW], means[SERBENCH])
    row["target"] = TARGETS[pair.target or pair.scenario][0]
    return row


def _memory_row(mem: dict[str, Any]) -> dict[str, Any]:
    """The stream's memory: each side's peak RSS growth over its own start (the interpreter
    and serbench's imports, ~30 MB, are not the stream's), against the payload: the payload,
    its encoding and the receive buffer make 3."""
    payload = mem["payload_bytes"]
    client, server = mem["client_peak_bytes"], mem["server_peak_bytes"]
    growth = max(client - mem["client_baseline_bytes"], server - mem["server_baseline_bytes"])
    return {"pair": f"memory/stream/{mem['transport']}/blob-{payload}", "scenario": "memory",
            "codec": mem.get("codec", ""), "bytes": payload, "client_peak_bytes": client,
            "server_peak_bytes": server,
            "ratio": growth / payload, "figure": "peak RSS growth / payload (max side)",
            "target": "< 3", "meets_target": growth < 3 * payload}
