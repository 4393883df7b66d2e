"""Run the cross-check: serbench's encode/decode cells, then each peer's method, on the same
codec calls and inputs; join them into one table of ratios (serbench / peer).

serbench runs as a user would run it, `serbench run --scenarios encode,decode --gc off
--pin none` (the peers disable the GC and do not pin), with its default warm-up rule and
allocator policy. A cell agrees when serbench's figure is within `tolerance` (5 %) of the
peer's; every other cell is listed with serbench's faults per call and whether its workers
settled, the first two things to look at (docs/crosscheck.md).
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from serbench.codecs import CodecUnavailable, get_codec
from serbench.common.errors import UserError
from serbench.extensions.crosscheck.cases import Case
from serbench.extensions.crosscheck.documents import (
    CORPUS_DOCUMENTS,
    payload_specs,
    write_filesystem,
)
from serbench.extensions.crosscheck.pytest_method import PytestBudget, run_cases
from serbench.results.files import read_summary

#: Each peer's codecs and documents, as the accuracy check names them: orjson's harness on its
#: four documents, msgspec's on its filesystem tree (schema-less codecs only).
ORJSON_CODECS = ("json", "orjson", "ujson", "rapidjson", "simplejson")
MSGSPEC_CODECS = ("msgspec-json", "msgspec-msgpack", "orjson", "json", "ujson", "rapidjson",
                  "msgpack", "ormsgpack")
PEERS = ("orjson", "msgspec")
DIRECTIONS = ("encode", "decode")
TOLERANCE = 0.05
CSV_NAME = "crosscheck.csv"


@dataclass(frozen=True)
class CrossConfig:
    """What to cross-check and how long serbench's side may take."""

    outdir: Path
    peers: tuple[str, ...] = PEERS
    documents: tuple[str, ...] = CORPUS_DOCUMENTS
    serbench_time: str = "3m"
    pytest_budget: PytestBudget = field(default_factory=PytestBudget)
    malloc: str = "steady"


def available(codecs: Sequence[str], say: Callable[[str], None]) -> list[str]:
    """The codecs whose libraries are installed; one line for each that is not."""
    out = []
    for name in codecs:
        try:
            get_codec(name)
        except CodecUnavailable as exc:
            say(f"skipped {name}: {exc}")
            continue
        out.append(name)
    return out


def plan(cfg: CrossConfig, filesystem: Path, say: Callable[[str], None]) -> dict[str, list[Case]]:
    """Peer -> its cases."""
    cases: dict[str, list[Case]] = {}
    if "orjson" in cfg.peers:
        specs = payload_specs(None, cfg.documents)
        cases["orjson"] = [Case(c, specs[d], way) for d in cfg.documents
                           for c in available(ORJSON_CODECS, say) for way in DIRECTIONS]
    if "msgspec" in cfg.peers:
        spec = payload_specs(filesystem, ())["filesystem"]
        cases["msgspec"] = [Case(c, spec, way) for c in available(MSGSPEC_CODECS, say)
                            for way in DIRECTIONS]
    return cases


def run_serbench(cases: Sequence[Case], cfg: CrossConfig
                 ) -> dict[tuple[str, str, str], dict[str, str]]:
    """serbench's summary rows of these cases: (codec, direction, payload spec) -> row."""
    out = cfg.outdir / "serbench"
    cmd = [sys.executable, "-m", "serbench", "run",
           "--codecs", ",".join(sorted({c.codec for c in cases})),
           "--payloads", ",".join(sorted({c.payload for c in cases})),
           "--scenarios", "encode,decode", "--gc", "off", "--pin", "none",
           "--malloc", cfg.malloc, "--time", cfg.serbench_time, "-o", str(out)]
    code = subprocess.run(cmd, stdin=subprocess.DEVNULL, check=False).returncode
    if code != 0:
        raise UserError(f"serbench run exited with {code}: {' '.join(cmd)}")
    return {(r["codec"], r["scenario"], r["payload_spec"]): r for r in read_summary(out)}


def run_msgspec_method(cases: Sequence[Case], work: Path) -> dict[str, float]:
    """msgspec's method: one `timeit` process per document, its cases in order."""
    work.mkdir(parents=True, exist_ok=True)
    out: dict[str, float] = {}
    for payload in dict.fromkeys(c.payload for c in cases):
        idents = [c.ident for c in cases if c.payload == payload]
        done = subprocess.run(
            [sys.executable, "-m", "serbench.extensions.crosscheck.timeit_method", *idents],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False)
        (work / "timeit.log").open("a", encoding="utf-8").write(done.stdout + done.stderr)
        if done.returncode != 0:
            raise UserError(f"msgspec's method (timeit) failed; see {work / 'timeit.log'}")
        for line in done.stdout.splitlines():
            row = json.loads(line)
            out[row["case"]] = float(row["seconds"])
    return out


def _float(text: str | None) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None


def join(peer: str, cases: Sequence[Case], theirs: dict[str, float],
         ours: dict[tuple[str, str, str], dict[str, str]]) -> list[dict[str, Any]]:
    """One row per case: both figures, serbench / peer, and whether they agree."""
    rows = []
    for case in cases:
        row = ours.get((case.codec, case.direction, case.payload), {})
        mine, peer_s = _float(row.get("mean_s")), theirs.get(case.ident)
        ratio = mine / peer_s if mine and peer_s else None
        rows.append({
            "peer": peer, "codec": case.codec, "document": row.get("payload", case.payload),
            "direction": case.direction, "serbench_s": mine, "peer_s": peer_s, "ratio": ratio,
            "agrees": None if ratio is None else abs(ratio - 1.0) <= TOLERANCE,
            "faults_per_call": _float(row.get("faults_per_call")),
            "settled_workers": row.get("settled_workers", ""),
            "processes": row.get("processes", ""), "status": row.get("status", "missing")})
    return rows


def write_rows(outdir: Path, rows: Sequence[dict[str, Any]]) -> Path:
    """crosscheck.csv in the results directory."""
    path = outdir / CSV_NAME
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else ["peer"])
        writer.writeheader()
        writer.writerows(rows)
    return path


def run_crosscheck(cfg: CrossConfig, say: Callable[[str], None]) -> list[dict[str, Any]]:
    """Both sides of every case; the joined rows (also in crosscheck.csv)."""
    cfg.outdir.mkdir(parents=True, exist_ok=True)
    filesystem = write_filesystem(cfg.outdir)
    cases = plan(cfg, filesystem, say)
    every = [c for peer_cases in cases.values() for c in peer_cases]
    if not every:
        raise UserError("nothing to cross-check: no codec of either peer is installed")
    say(f"serbench's side: {len(every)} cases (serbench run, budget {cfg.serbench_time})")
    ours = run_serbench(every, cfg)
    rows: list[dict[str, Any]] = []
    for peer, peer_cases in cases.items():
        say(f"{peer}'s method: {len(peer_cases)} cases")
        if peer == "orjson":
            theirs = run_cases(peer_cases, cfg.outdir / "orjson-method", cfg.pytest_budget)
        else:
            theirs = run_msgspec_method(peer_cases, cfg.outdir / "msgspec-method")
        rows += join(peer, peer_cases, theirs, ours)
    write_rows(cfg.outdir, rows)
    return rows
