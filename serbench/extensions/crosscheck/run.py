"""Run the cross-check: serbench's encode/decode cells and each peer's method on the same codec
calls and inputs, in paired rounds; join them into one row per case of ratios (serbench / peer).

Work is grouped per document (`schedule`): each round runs, for every document, serbench's
side and the peer's method back to back, the first side alternating, so both see the same
stretch of the machine's time. A case's ratio is the median of its per-round ratios (`pairs`);
it agrees when that is within `tolerance` (5 %), and is resolved when every round's ratio
falls on the same side of the band. Every row also carries serbench's faults per call and
settled workers, the first two things to look at when it disagrees (docs/crosscheck.md).

The alternating processes (`alternating`) are the second comparison: per case and round, the
two methods' processes alive side by side, taking turns in short blocks on one CPU, so the
machine's phases fall out of the ratio. `CrossConfig.mode` picks either or both.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from serbench.codecs import CodecUnavailable, get_codec
from serbench.common.errors import UserError
from serbench.extensions.crosscheck import alternating
from serbench.extensions.crosscheck.cases import Case
from serbench.extensions.crosscheck.documents import (
    CORPUS_DOCUMENTS,
    payload_specs,
    write_filesystem,
)
from serbench.extensions.crosscheck.pairs import median_of, pair_up
from serbench.extensions.crosscheck.pytest_method import PytestBudget, missing_plugins
from serbench.extensions.crosscheck.schedule import (
    PeerSide,
    RoundResult,
    SerbenchSide,
    Unit,
    run_rounds,
    split_budget,
)
from serbench.extensions.crosscheck.sides import peer_side, serbench_side

#: Each peer's codecs and documents, as the accuracy check names them: orjson's harness on its
#: four documents, msgspec's on its filesystem tree (schema-less codecs only).
ORJSON_CODECS = ("json", "orjson", "ujson", "rapidjson", "simplejson")
MSGSPEC_CODECS = ("msgspec-json", "msgspec-msgpack", "orjson", "json", "ujson", "rapidjson",
                  "msgpack", "ormsgpack")
PEERS = ("orjson", "msgspec")
DIRECTIONS = ("encode", "decode")
TOLERANCE = 0.05
ROUNDS = 3
#: orjson's own pytest-benchmark times (`--benchmark-min-time=1 --benchmark-max-time=5`).
ORJSON_MIN_TIME, ORJSON_MAX_TIME = 1.0, 5.0
CSV_NAME = "crosscheck.csv"
ROUNDS_CSV_NAME = "crosscheck-rounds.csv"
FIELDS = ["peer", "codec", "document", "direction", "serbench_s", "peer_s", "ratio", "agrees",
          "faults_per_call", "settled_workers", "processes", "status",
          "rounds", "ratio_min", "ratio_max", "resolved"]
ROUND_FIELDS = ["round", "first", "peer", "codec", "document", "direction", "serbench_s",
                "peer_s", "ratio"]
#: What a crosscheck runs: the peers' whole methods in paired rounds, the alternating
#: processes (`alternating`), or both.
MODES = ("both", "rounds", "alternating")


def split_pytest_budget(rounds: int) -> PytestBudget:
    """orjson's 1 s and 5 s over the rounds: the K passes together time about as many calls as
    one run of orjson's script (K passes at orjson's own times would take K times as long)."""
    return PytestBudget(ORJSON_MIN_TIME / rounds, ORJSON_MAX_TIME / rounds)


@dataclass(frozen=True)
class CrossConfig:
    """What to cross-check, in how many paired rounds, and how long each side may take:
    `serbench_time_s` is serbench's total, `pytest_budget` each round's pytest options."""

    outdir: Path
    peers: tuple[str, ...] = PEERS
    documents: tuple[str, ...] = CORPUS_DOCUMENTS
    serbench_time_s: float = 180.0
    pytest_budget: PytestBudget = field(default_factory=lambda: split_pytest_budget(ROUNDS))
    malloc: str = "steady"
    rounds: int = ROUNDS
    tolerance: float = TOLERANCE
    mode: str = "both"
    pairs: int = alternating.PAIRS
    #: The peer's process runs the document's earlier cases first, as its method does.
    history: bool = True


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


def plan(cfg: CrossConfig, filesystem: Path, say: Callable[[str], None]) -> list[Unit]:
    """One unit per document: orjson's four (or those asked for), msgspec's filesystem tree."""
    units: list[Unit] = []
    if "orjson" in cfg.peers:
        specs = payload_specs(None, cfg.documents)
        codecs = available(ORJSON_CODECS, say)
        units += [Unit(d, "orjson", tuple(Case(c, specs[d], way) for c in codecs
                                          for way in DIRECTIONS)) for d in cfg.documents]
    if "msgspec" in cfg.peers:
        spec = payload_specs(filesystem, ())["filesystem"]
        units.append(Unit("filesystem", "msgspec",
                          tuple(Case(c, spec, way) for c in available(MSGSPEC_CODECS, say)
                                for way in DIRECTIONS)))
    return [u for u in units if u.cases]


def _float(text: str | None) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None


def _total(values: Sequence[str | None]) -> int | str:
    """A count summed over the rounds ("" when no round has it)."""
    counts = [int(v) for v in values if v and v.isdigit()]
    return sum(counts) if counts else ""


def _status(statuses: Sequence[str]) -> str:
    """One status when every round had it, else each round's in order."""
    return statuses[0] if len(set(statuses)) == 1 else ",".join(statuses)


def join(results: Sequence[RoundResult], tolerance: float = TOLERANCE) -> list[dict[str, Any]]:
    """One row per case over its rounds: each side's median seconds, the median, least and
    greatest of the per-round ratios, whether it agrees and whether the rounds resolve it."""
    rows: list[dict[str, Any]] = []
    for unit in dict.fromkeys(r.unit for r in results):
        mine = sorted((r for r in results if r.unit == unit), key=lambda r: r.number)
        for case in unit.cases:
            summaries = [r.ours.get(case.ident, {}) for r in mine]
            ours = [_float(s.get("mean_s")) for s in summaries]
            theirs = [r.theirs.get(case.ident) for r in mine]
            paired = pair_up(ours, theirs, tolerance)
            rows.append({  # the document as the alternating table and the rounds' CSV name it
                "peer": unit.peer, "codec": case.codec, "document": unit.document,
                "direction": case.direction, "serbench_s": median_of(ours),
                "peer_s": median_of(theirs), "ratio": paired.ratio, "agrees": paired.agrees,
                "faults_per_call": median_of([_float(s.get("faults_per_call"))
                                              for s in summaries]),
                "settled_workers": _total([s.get("settled_workers") for s in summaries]),
                "processes": _total([s.get("processes") for s in summaries]),
                "status": _status([s.get("status", "missing") for s in summaries]),
                "rounds": paired.rounds, "ratio_min": paired.ratio_min,
                "ratio_max": paired.ratio_max, "resolved": paired.resolved})
    return rows


def round_rows(results: Sequence[RoundResult]) -> list[dict[str, Any]]:
    """Every case's two figures in every round, and which side went first."""
    rows = []
    for r in results:
        for case in r.unit.cases:
            mine = _float(r.ours.get(case.ident, {}).get("mean_s"))
            theirs = r.theirs.get(case.ident)
            rows.append({"round": r.number, "first": r.first, "peer": r.unit.peer,
                         "codec": case.codec, "document": r.unit.document,
                         "direction": case.direction, "serbench_s": mine, "peer_s": theirs,
                         "ratio": mine / theirs if mine and theirs else None})
    return rows


def write_csv(path: Path, fields: Sequence[str], rows: Sequence[dict[str, Any]]) -> Path:
    """A CSV of these rows under these columns."""
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(fields))
        writer.writeheader()
        writer.writerows(rows)
    return path


@dataclass(frozen=True)
class CrossResult:
    """The joined rows of each part that ran (empty for a part that did not)."""

    rounds: list[dict[str, Any]]
    alternating: list[dict[str, Any]]


def run_crosscheck(cfg: CrossConfig, say: Callable[[str], None],
                   serbench: SerbenchSide | None = None, peer: PeerSide | None = None,
                   check: alternating.Checker | None = None) -> CrossResult:
    """The parts `cfg.mode` asks for: every paired round of both sides' whole methods
    (crosscheck.csv, each round's pairs in crosscheck-rounds.csv), then the alternating
    processes (crosscheck-alternating.csv, crosscheck-alternating-rounds.csv). `serbench`,
    `peer` and `check` replace the real side runners (tests)."""
    if cfg.rounds < 1:
        raise UserError(f"--rounds must be 1 or more, not {cfg.rounds}")
    if cfg.mode not in MODES:
        raise UserError(f"unknown crosscheck mode {cfg.mode!r}; known: {', '.join(MODES)}")
    wants_rounds = cfg.mode in ("both", "rounds")
    if (peer is None and wants_rounds and "orjson" in cfg.peers and missing_plugins()):
        raise UserError(f"orjson's method needs {', '.join(missing_plugins())}: "
                        "pip install 'serbench[crosscheck]'")
    cfg.outdir.mkdir(parents=True, exist_ok=True)
    units = plan(cfg, write_filesystem(cfg.outdir), say)
    if not units:
        raise UserError("nothing to cross-check: no codec of either peer is installed")
    rows: list[dict[str, Any]] = []
    if wants_rounds:
        rows = _paired_rounds(cfg, units, say, serbench, peer)
    alternated: list[dict[str, Any]] = []
    if cfg.mode in ("both", "alternating"):
        results = alternating.run_alternating(
            units, cfg.rounds, cfg.outdir,
            check or alternating.real_checker(cfg.malloc, cfg.pairs), say,
            history=cfg.history)
        alternated = alternating.join(units, results, cfg.tolerance)
        write_csv(cfg.outdir / alternating.CSV_NAME, alternating.FIELDS, alternated)
    return CrossResult(rows, alternated)


def _paired_rounds(cfg: CrossConfig, units: Sequence[Unit], say: Callable[[str], None],
                   serbench: SerbenchSide | None, peer: PeerSide | None
                   ) -> list[dict[str, Any]]:
    budgets = split_budget(cfg.serbench_time_s, cfg.rounds, units)
    low, high = (f"{f(budgets.values()):.3g}" for f in (min, max))
    say(f"{cfg.rounds} paired round{'s' * (cfg.rounds != 1)} of {len(units)} document"
        f"{'s' * (len(units) != 1)}, {sum(len(u.cases) for u in units)} cases; serbench's "
        f"budget {cfg.serbench_time_s:g} s in all, {low if low == high else f'{low}-{high}'} s "
        "per run (each run still times every case in at least its minimum rounds of worker "
        "processes, past its share if need be)")
    results = run_rounds(units, cfg.rounds, budgets, cfg.outdir,
                         serbench or serbench_side(cfg.malloc),
                         peer or peer_side(cfg.pytest_budget), say)
    rows = join(results, cfg.tolerance)
    write_csv(cfg.outdir / CSV_NAME, FIELDS, rows)
    write_csv(cfg.outdir / ROUNDS_CSV_NAME, ROUND_FIELDS, round_rows(results))
    return rows
