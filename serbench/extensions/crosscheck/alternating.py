"""The alternating check: serbench's worker and the peer's process, both alive, taking turns.

The paired rounds (`schedule`) run each side's whole method in turn, a minute apart at best; on
a machine whose speed moves 1.4-2.9x within seconds that leaves a case's ratio spread over
1.67x between rounds, and no ±5 % verdict. Here, per case and round, two fresh processes are set
up as the two methods would have them when they reach the case (`side_process`: serbench's
worker with its allocator policy and warm-up rule; the peer's process with glibc's allocator as
it starts, the document's earlier cases run and released, its calibration and its loop) and
then time blocks of about 20 ms in turn, the first side alternating by pair
(`serbench.stats.block_pairs`), while the other waits on a pipe. Each pair of blocks shares
the machine's phase; what differs is the process state and the loop: the method. The figure
of a round is the median over its pairs of serbench's block time per call / the peer's; a case's
verdict is the median over rounds, resolved when every round falls in the same band (`pairs`).

Not carried over from the peers' methods: their statistics (pytest-benchmark's median round,
timeit's last batch: both sides here are block means) and pytest's own plug-ins in the process.
"""

from __future__ import annotations

import contextlib
import csv
import json
import random
import select
import statistics
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from serbench.common.errors import UserError
from serbench.extensions.crosscheck.cases import Case
from serbench.extensions.crosscheck.pairs import median_of, verdict
from serbench.extensions.crosscheck.schedule import SERBENCH, Unit
from serbench.runner.processes import die_with_parent
from serbench.stats.block_pairs import calls_per_block, interleave, pair_ratios

#: Block length and pairs of blocks per case and round.
BLOCK_S = 0.02
PAIRS = 10
#: A side that does not answer a block (or get ready) within this long has hung.
ANSWER_TIMEOUT_S = 120.0
CSV_NAME = "crosscheck-alternating.csv"
ROUNDS_CSV_NAME = "crosscheck-alternating-rounds.csv"
FIELDS = ["peer", "codec", "document", "direction", "serbench_s", "peer_s", "ratio", "agrees",
          "rounds", "ratio_min", "ratio_max", "resolved", "serbench_faults_per_call",
          "peer_faults_per_call", "faults_differ"]
#: Two processes' minor faults per call differ when they are this far apart (and at least
#: one fault per call): the heap's state, not the call, then differs between the sides.
FAULTS_APART = 0.10
ROUND_FIELDS = ["round", "peer", "codec", "document", "direction", "calls_per_block", "pairs",
                "serbench_s", "peer_s", "ratio", "pair_ratio_min", "pair_ratio_max",
                "serbench_faults_per_call", "peer_faults_per_call"]


class SideProcess:
    """One side's process: started, ready, then one block per request."""

    def __init__(self, name: str, cmd: list[str], log: Path) -> None:
        self.log, self.name = log, name
        with open(log, "wb") as err:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=err, start_new_session=True, close_fds=True,
                                         preexec_fn=die_with_parent())
        self.ready = self._answer()

    def block(self, calls: int) -> tuple[float, int]:
        """Seconds and minor faults of `calls` calls in the side's process."""
        stdin = self.proc.stdin
        assert stdin is not None
        try:
            stdin.write(f"{calls}\n".encode())
            stdin.flush()
        except BrokenPipeError:
            pass  # its exit is read (and explained) below
        answer = self._answer()
        return float(answer["seconds"]), int(answer["faults"])

    def _answer(self) -> dict[str, Any]:
        out: IO[bytes] | None = self.proc.stdout
        assert out is not None
        readable, _, _ = select.select([out], [], [], ANSWER_TIMEOUT_S)
        line = out.readline() if readable else b""
        if not line:
            self.close()
            tail = self.log.read_text(errors="replace").strip().splitlines()
            why = tail[-1] if tail else (f"no answer in {ANSWER_TIMEOUT_S:g} s" if not readable
                                         else f"exit code {self.proc.returncode}")
            raise UserError(f"crosscheck: the {self.name} side stopped: {why} (log: {self.log})")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def close(self) -> None:
        """End its input, then make sure it is gone."""
        with contextlib.suppress(OSError):
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def side_command(method: str, case: Case, earlier: Sequence[Case], malloc: str) -> list[str]:
    """The side program's command line."""
    return [sys.executable, "-m", "serbench.extensions.crosscheck.side_process",
            "--malloc", malloc, method, case.ident, *(c.ident for c in earlier)]


@contextlib.contextmanager
def sides_of(case: Case, peer: str, earlier: Sequence[Case], malloc: str, work: Path
             ) -> Iterator[tuple[SideProcess, SideProcess]]:
    """serbench's side and the peer's, ready; both gone on the way out, whatever happened."""
    work.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        ours = SideProcess(SERBENCH, side_command(SERBENCH, case, (), malloc),
                           work / "serbench.log")
        stack.callback(ours.close)
        theirs = SideProcess(peer, side_command(peer, case, earlier, malloc),
                             work / f"{peer}.log")
        stack.callback(theirs.close)
        yield ours, theirs


@dataclass(frozen=True)
class CaseRound:
    """One case in one round: each side's block time per call, pair by pair, and faults."""

    case: Case
    number: int
    calls: int
    ours: list[float]
    theirs: list[float]
    our_faults: float
    their_faults: float

    @property
    def ratios(self) -> list[float]:
        return pair_ratios(self.ours, self.theirs)


Block = Callable[[int], tuple[float, int]]


def alternate(ours: Block, theirs: Block, pairs: int, block_s: float = BLOCK_S
              ) -> tuple[int, dict[str, list[float]], dict[str, float]]:
    """Calls per block (from serbench's side), each side's time per call block by block, and
    each side's minor faults per call over its blocks."""
    calls = calls_per_block(lambda n: ours(n)[0], block_s)
    faults = {SERBENCH: 0, "peer": 0}

    def side(name: str, run: Block) -> Callable[[], float]:
        def one() -> float:
            seconds, taken = run(calls)
            faults[name] += taken
            return seconds / calls
        return one

    blocks = interleave({SERBENCH: side(SERBENCH, ours), "peer": side("peer", theirs)}, pairs)
    per_call = {name: count / (calls * pairs) for name, count in faults.items()}
    return calls, blocks, per_call


def earlier_cases(unit: Unit, case: Case, number: int, seed: int) -> list[Case]:
    """The cases the peer's process ran before `case`: msgspec's in its order; orjson's
    (`--random-order`) in an order shuffled per round."""
    order = list(unit.cases)
    if unit.peer == "orjson":
        random.Random(seed * 1000 + number).shuffle(order)
    return order[:order.index(case)]


Checker = Callable[[Unit, Case, int, Sequence[Case], Path], CaseRound]


def real_checker(malloc: str, pairs: int) -> Checker:
    """Two real side processes per case and round."""
    def check(unit: Unit, case: Case, number: int, earlier: Sequence[Case], work: Path
              ) -> CaseRound:
        with sides_of(case, unit.peer, earlier, malloc, work) as (ours, theirs):
            calls, blocks, faults = alternate(ours.block, theirs.block, pairs)
        return CaseRound(case, number, calls, blocks[SERBENCH], blocks["peer"],
                         faults[SERBENCH], faults["peer"])
    return check


def faults_differ(ours: float, theirs: float) -> bool:
    """Whether two processes' minor faults per call differ (`FAULTS_APART`)."""
    return abs(ours - theirs) >= max(1.0, FAULTS_APART * max(ours, theirs))


def run_alternating(units: Sequence[Unit], rounds: int, outdir: Path, check: Checker,
                    say: Callable[[str], None], seed: int = 1, history: bool = True
                    ) -> list[CaseRound]:
    """Every case of every unit in every round, fresh processes each time; `history=False`
    gives the peer's process no earlier cases (to tell their effect apart). Each case's round
    is appended to `ROUNDS_CSV_NAME` as soon as it is measured, so an interrupted check keeps
    what it measured."""
    out: list[CaseRound] = []
    with open(outdir / ROUNDS_CSV_NAME, "w", newline="", encoding="utf-8") as sink:
        writer = csv.DictWriter(sink, fieldnames=ROUND_FIELDS)
        writer.writeheader()
        for number in range(1, rounds + 1):
            for unit in units:
                say(f"alternating round {number}/{rounds}, {unit.document}: serbench and "
                    f"{unit.peer}'s process, {len(unit.cases)} cases")
                for case in unit.cases:
                    work = outdir / "alternating" / f"round-{number}" / case.ident.replace(
                        "|", "-").replace(":", "-")
                    earlier = earlier_cases(unit, case, number, seed) if history else []
                    out.append(check(unit, case, number, earlier, work))
                    writer.writerows(round_rows([unit], out[-1:]))
                    sink.flush()
    return out


def join(units: Sequence[Unit], results: Sequence[CaseRound], tolerance: float
         ) -> list[dict[str, Any]]:
    """One row per case over its rounds."""
    rows = []
    for unit in units:
        for case in unit.cases:
            mine = sorted((r for r in results if r.case == case), key=lambda r: r.number)
            if not mine:
                continue
            paired = verdict([statistics.median(r.ratios) for r in mine], tolerance)
            rows.append({
                "peer": unit.peer, "codec": case.codec, "document": unit.document,
                "direction": case.direction,
                "serbench_s": median_of([statistics.median(r.ours) for r in mine]),
                "peer_s": median_of([statistics.median(r.theirs) for r in mine]),
                "ratio": paired.ratio, "agrees": paired.agrees, "rounds": paired.rounds,
                "ratio_min": paired.ratio_min, "ratio_max": paired.ratio_max,
                "resolved": paired.resolved,
                "serbench_faults_per_call": median_of([r.our_faults for r in mine]),
                "peer_faults_per_call": median_of([r.their_faults for r in mine]),
                "faults_differ": any(faults_differ(r.our_faults, r.their_faults)
                                     for r in mine)})
    return rows


def round_rows(units: Sequence[Unit], results: Sequence[CaseRound]) -> list[dict[str, Any]]:
    """Every case in every round: its block figures' medians and its pairs' range."""
    document = {c: u for u in units for c in u.cases}
    return [{"round": r.number, "peer": document[r.case].peer, "codec": r.case.codec,
             "document": document[r.case].document, "direction": r.case.direction,
             "calls_per_block": r.calls, "pairs": len(r.ours),
             "serbench_s": statistics.median(r.ours), "peer_s": statistics.median(r.theirs),
             "ratio": statistics.median(r.ratios), "pair_ratio_min": min(r.ratios),
             "pair_ratio_max": max(r.ratios), "serbench_faults_per_call": r.our_faults,
             "peer_faults_per_call": r.their_faults} for r in results]
