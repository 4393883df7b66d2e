"""`serbench crosscheck`'s alternating processes: the block arithmetic and faults per call with
fake sides, the peer's earlier cases, the rows over rounds and the CSV files with a fake
checker, the side program's protocol, and real side processes that answer and leave nothing
behind (one small case)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

from serbench.cli.crosscheck import config
from serbench.cli.main import build_parser
from serbench.common.errors import UserError
from serbench.extensions.crosscheck import alternating, side_process
from serbench.extensions.crosscheck.alternating import (
    CaseRound,
    SideProcess,
    alternate,
    earlier_cases,
    side_command,
    sides_of,
)
from serbench.extensions.crosscheck.cases import Case
from serbench.extensions.crosscheck.output import format_alternating, summary_line
from serbench.extensions.crosscheck.run import CrossConfig, run_crosscheck
from serbench.extensions.crosscheck.schedule import Unit
from serbench.stats.block_pairs import pair_ratios

CASES = tuple(Case(c, "corpus:github", d) for c in ("json", "orjson") for d in ("encode",
                                                                                  "decode"))
GITHUB = Unit("github", "orjson", CASES)
TREE = Unit("filesystem", "msgspec", CASES)


class FakeBlock:
    """A side that takes `per_call` seconds and `faults` minor faults per call."""

    def __init__(self, per_call: float, faults: int = 0) -> None:
        self.per_call, self.faults = per_call, faults
        self.asked: list[int] = []

    def __call__(self, calls: int) -> tuple[float, int]:
        self.asked.append(calls)
        return calls * self.per_call, calls * self.faults


def test_blocks_alternate_and_give_time_and_faults_per_call() -> None:
    ours, theirs = FakeBlock(0.002, faults=3), FakeBlock(0.001)
    calls, blocks, faults = alternate(ours, theirs, pairs=4, block_s=0.02)
    assert calls == 10  # a first trial of one 2 ms call -> 10 calls make 20 ms
    assert blocks["serbench"] == pytest.approx([0.002] * 4)
    assert blocks["peer"] == pytest.approx([0.001] * 4)
    assert pair_ratios(blocks["serbench"], blocks["peer"]) == pytest.approx([2.0] * 4)
    assert faults == {"serbench": 3.0, "peer": 0.0}
    assert theirs.asked == [10] * 4 and ours.asked == [1] + [10] * 4


def test_msgspecs_process_ran_the_cases_before_in_its_order() -> None:
    assert earlier_cases(TREE, CASES[2], 1, seed=1) == list(CASES[:2])
    assert earlier_cases(TREE, CASES[0], 2, seed=1) == []


def test_orjsons_random_order_is_shuffled_per_round_and_repeatable() -> None:
    def order(number: int) -> list[Case]:
        last = [c for c in CASES if len(earlier_cases(GITHUB, c, number, 1)) == 3]
        return earlier_cases(GITHUB, last[0], number, 1) + last

    orders = [tuple(order(n)) for n in range(1, 7)]
    assert all(sorted(o, key=str) == sorted(CASES, key=str) for o in orders)
    assert len(set(orders)) > 1  # rounds differ
    assert order(3) == order(3)  # and each is repeatable


def _round(case: Case, number: int, ratio: float, faults: float = 0.0) -> CaseRound:
    return CaseRound(case, number, 5, [ratio * 1e-3] * 3, [1e-3] * 3, faults, 0.0)


def test_a_cases_row_is_the_median_of_its_rounds() -> None:
    results = [_round(CASES[0], 1, 1.02), _round(CASES[0], 2, 1.04, 7.0),
               _round(CASES[0], 3, 1.12), _round(CASES[1], 1, 0.99)]
    rows = alternating.join([GITHUB], results, 0.05)
    first = rows[0]
    assert first["ratio"] == pytest.approx(1.04) and first["agrees"] is True
    assert (first["ratio_min"], first["ratio_max"]) == pytest.approx((1.02, 1.12))
    assert first["resolved"] is False and first["rounds"] == 3  # 1.12 is beyond the band
    assert first["serbench_faults_per_call"] == 0.0  # median of 0, 7, 0
    assert first["faults_differ"] is True and rows[1]["faults_differ"] is False  # 7 vs 0
    assert rows[1]["rounds"] == 1 and rows[1]["resolved"] is None
    assert len(rows) == 2  # cases without a round have no row
    table = format_alternating(rows)
    assert "1.040" in table and "1.020-1.120" in table
    assert summary_line(rows, 0.05).startswith("2 cases, median of 3 paired rounds: 2 agree")


class FakeChecker:
    """A checker that records what it was asked and answers a fixed ratio."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, int, int, Path]] = []

    def __call__(self, unit: Unit, case: Case, number: int, earlier: Sequence[Case],
                 work: Path) -> CaseRound:
        self.asked.append((case.ident, number, len(earlier), work))
        return _round(case, number, 1.01)


def test_the_alternating_mode_writes_its_csv_files_and_runs_nothing_else(
        tmp_path: Path) -> None:
    fake = FakeChecker()
    cfg = CrossConfig(tmp_path, ("orjson",), ("github",), rounds=2, mode="alternating")
    result = run_crosscheck(cfg, lambda _: None, check=fake)
    assert result.rounds == [] and len(result.alternating) == 10  # 5 codecs x 2 directions
    assert len(fake.asked) == 20 and {n for _, n, _, _ in fake.asked} == {1, 2}
    assert len({w for _, _, _, w in fake.asked}) == 20  # a directory per case and round
    with open(tmp_path / alternating.CSV_NAME, encoding="utf-8") as f:
        table = list(csv.DictReader(f))
    assert list(table[0]) == alternating.FIELDS and table[0]["rounds"] == "2"
    with open(tmp_path / alternating.ROUNDS_CSV_NAME, encoding="utf-8") as f:
        per_round = list(csv.DictReader(f))
    assert list(per_round[0]) == alternating.ROUND_FIELDS and len(per_round) == 20
    assert not (tmp_path / "crosscheck.csv").exists()


def test_an_unknown_mode_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="unknown crosscheck mode 'sideways'"):
        run_crosscheck(CrossConfig(tmp_path, mode="sideways"), lambda _: None)


def test_the_side_program_answers_each_line_with_seconds_and_faults() -> None:
    asked: list[int] = []

    def timed(calls: int) -> float:
        asked.append(calls)
        return calls * 0.5

    out = io.StringIO()
    side_process.serve(timed, io.StringIO("3\n8\n"), out)
    answers = [json.loads(line) for line in out.getvalue().splitlines()]
    assert asked == [3, 8]
    assert [a["seconds"] for a in answers] == [1.5, 4.0]
    assert all(isinstance(a["faults"], int) and a["faults"] >= 0 for a in answers)


def test_run_for_doubles_its_batches_until_the_time_is_spent() -> None:
    asked: list[int] = []

    def timed(calls: int) -> float:
        asked.append(calls)
        return calls * 0.01

    side_process.run_for(timed, 0.1)
    assert asked == [1, 2, 4, 8]  # 0.01 + 0.02 + 0.04 + 0.08 >= 0.1


def test_a_bad_command_line_is_a_usage_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert side_process.main(["sideways", "json|small|encode"]) == 2
    assert capsys.readouterr().err.startswith("usage: side_process")


@pytest.mark.slow  # two real side processes set up and timing small blocks
def test_real_sides_answer_blocks_and_leave_no_process(tmp_path: Path) -> None:
    case = Case("json", "small", "encode")
    with sides_of(case, "msgspec", [Case("json", "small", "decode")], "steady",
                  tmp_path) as (ours, theirs):
        assert ours.ready["ready"] == "serbench" and theirs.ready["ready"] == "msgspec"
        seconds, faults = theirs.block(100)
        assert seconds > 0 and faults >= 0
        procs = (ours.proc, theirs.proc)
    assert all(p.returncode == 0 for p in procs)  # ended by their input's end, and reaped
    assert not any(Path(f"/proc/{p.pid}").exists() for p in procs)


@pytest.mark.slow  # starts one real side process that fails
def test_a_side_that_fails_is_one_line_naming_it(tmp_path: Path) -> None:
    cmd = side_command("serbench", Case("no-such-codec", "small", "encode"), (), "steady")
    with pytest.raises(UserError) as err:
        SideProcess("serbench", cmd, tmp_path / "side.log")
    message = str(err.value)
    assert "\n" not in message and "the serbench side stopped" in message
    assert "no-such-codec" in message


def test_a_side_killed_mid_run_is_one_line(tmp_path: Path) -> None:
    side = SideProcess.__new__(SideProcess)
    side.name, side.log = "orjson", tmp_path / "orjson.log"
    side.log.write_text("")
    side.proc = subprocess.Popen(["sleep", "0"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    side.proc.wait()
    with pytest.raises(UserError, match="the orjson side stopped: exit code 0"):
        side.block(10)


def test_the_command_line_sets_the_mode_and_pairs(tmp_path: Path) -> None:
    argv = ["crosscheck", "--mode", "alternating", "--pairs", "4", "-o", str(tmp_path)]
    cfg = config(build_parser(argv).parse_args(argv))
    assert (cfg.mode, cfg.pairs) == ("alternating", 4)
    bad = ["crosscheck", "--pairs", "0"]
    with pytest.raises(UserError, match="--pairs must be 1 or more"):
        config(build_parser(bad).parse_args(bad))


def test_faults_differ_beyond_a_tenth_and_one_per_call() -> None:
    assert alternating.faults_differ(1150.0, 538.0)
    assert alternating.faults_differ(1.5, 0.0)
    assert not alternating.faults_differ(0.5, 0.0)  # under one fault per call
    assert not alternating.faults_differ(1000.0, 950.0)  # within a tenth


def test_without_history_the_peer_starts_at_the_case(tmp_path: Path) -> None:
    fake = FakeChecker()
    cfg = CrossConfig(tmp_path, ("msgspec",), (), rounds=1, mode="alternating", history=False)
    run_crosscheck(cfg, lambda _: None, check=fake)
    assert fake.asked and all(earlier == 0 for _, _, earlier, _ in fake.asked)
    with_history = FakeChecker()
    run_crosscheck(CrossConfig(tmp_path / "h", ("msgspec",), (), rounds=1, mode="alternating"),
                   lambda _: None, check=with_history)
    assert [e for _, _, e, _ in with_history.asked] == list(range(len(with_history.asked)))


def test_an_interrupted_check_keeps_the_rounds_it_measured(tmp_path: Path) -> None:
    fake = FakeChecker()

    def check(unit: Unit, case: Case, number: int, earlier: Sequence[Case],
              work: Path) -> CaseRound:
        if len(fake.asked) == 2:
            raise KeyboardInterrupt
        return fake(unit, case, number, earlier, work)

    cfg = CrossConfig(tmp_path, ("orjson",), ("github",), rounds=1, mode="alternating")
    with pytest.raises(KeyboardInterrupt):
        run_crosscheck(cfg, lambda _: None, check=check)
    with open(tmp_path / alternating.ROUNDS_CSV_NAME, encoding="utf-8") as f:
        kept = list(csv.DictReader(f))
    assert [(r["codec"], r["direction"]) for r in kept] == [("json", "encode"),
                                                            ("json", "decode")]
