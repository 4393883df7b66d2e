"""`serbench crosscheck`'s paired rounds, driven by fake side runners: the order of the sides in
each round, the budget split, the median of the per-round ratios and its range, the resolved
flag, the CSV files, the table and summary, and the command line's checks. Nothing is timed."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from serbench.cli.crosscheck import QUICK_PYTEST, config
from serbench.cli.main import build_parser, main
from serbench.common.errors import UserError
from serbench.common.units import parse_duration
from serbench.extensions.crosscheck import run as cross_run
from serbench.extensions.crosscheck.cases import Case
from serbench.extensions.crosscheck.output import format_rows, summary_line
from serbench.extensions.crosscheck.pairs import band, pair_up
from serbench.extensions.crosscheck.pytest_method import PytestBudget
from serbench.extensions.crosscheck.run import (
    FIELDS,
    ROUND_FIELDS,
    TOLERANCE,
    CrossConfig,
    join,
    run_crosscheck,
)
from serbench.extensions.crosscheck.schedule import (
    RoundResult,
    Unit,
    order,
    run_rounds,
    side_dir,
    split_budget,
)
from serbench.extensions.crosscheck.sides import serbench_command

GITHUB = Unit("github", "orjson", (Case("orjson", "corpus:github", "encode"),
                                   Case("json", "corpus:github", "decode")))
TREE = Unit("filesystem", "msgspec", (Case("msgpack", "file:/x.json", "encode"),))


class FakeSides:
    """Side runners that record each call and answer from a table: seconds per call by
    (round, side) for every case, so a test knows each round's ratio."""

    def __init__(self, ours: dict[int, float], theirs: dict[int, float]) -> None:
        self.ours, self.theirs = ours, theirs
        self.calls: list[tuple[str, str, Path, float | None]] = []

    def _round(self, work: Path) -> int:
        return int(work.parent.name.removeprefix("round-"))

    def serbench(self, unit: Unit, work: Path, budget_s: float) -> dict[str, dict[str, str]]:
        self.calls.append(("serbench", unit.document, work, budget_s))
        seconds = self.ours[self._round(work)]
        return {c.ident: {"mean_s": str(seconds), "payload": f"corpus-{unit.document}",
                          "status": "ok", "settled_workers": "3", "processes": "3",
                          "faults_per_call": "0"} for c in unit.cases}

    def peer(self, unit: Unit, work: Path) -> dict[str, float]:
        self.calls.append((unit.peer, unit.document, work, None))
        return {c.ident: self.theirs[self._round(work)] for c in unit.cases}


def test_the_first_side_alternates_from_round_to_round(tmp_path: Path) -> None:
    fake = FakeSides({1: 1.0, 2: 1.0, 3: 1.0}, {1: 1.0, 2: 1.0, 3: 1.0})
    results = run_rounds([GITHUB, TREE], 3, {"github": 2.0, "filesystem": 1.0}, tmp_path,
                         fake.serbench, fake.peer, lambda _: None)
    assert [(side, doc) for side, doc, _, _ in fake.calls] == [
        ("serbench", "github"), ("orjson", "github"),
        ("serbench", "filesystem"), ("msgspec", "filesystem"),
        ("orjson", "github"), ("serbench", "github"),
        ("msgspec", "filesystem"), ("serbench", "filesystem"),
        ("serbench", "github"), ("orjson", "github"),
        ("serbench", "filesystem"), ("msgspec", "filesystem")]
    assert [r.first for r in results] == ["serbench", "serbench", "orjson", "msgspec",
                                          "serbench", "serbench"]
    assert order(1, "orjson") == ("serbench", "orjson")
    assert order(2, "orjson") == ("orjson", "serbench")


def test_each_round_and_side_has_its_own_directory_and_budget(tmp_path: Path) -> None:
    fake = FakeSides({1: 1.0, 2: 1.0}, {1: 1.0, 2: 1.0})
    run_rounds([GITHUB, TREE], 2, {"github": 2.0, "filesystem": 1.0}, tmp_path,
               fake.serbench, fake.peer, lambda _: None)
    dirs = {(side, doc, work.relative_to(tmp_path).as_posix())
            for side, doc, work, _ in fake.calls}
    assert ("serbench", "github", "round-1/serbench-github") in dirs
    assert ("orjson", "github", "round-2/orjson-method-github") in dirs
    assert ("msgspec", "filesystem", "round-1/msgspec-method-filesystem") in dirs
    assert {(doc, b) for side, doc, _, b in fake.calls if side == "serbench"} == {
        ("github", 2.0), ("filesystem", 1.0)}
    assert side_dir(tmp_path, 3, "serbench", "canada") == tmp_path / "round-3" / "serbench-canada"


def test_the_budget_is_split_over_rounds_and_by_cases() -> None:
    units = [GITHUB, TREE]  # 2 cases and 1 case
    shares = split_budget(180.0, 3, units)
    assert shares == pytest.approx({"github": 40.0, "filesystem": 20.0})
    assert sum(shares.values()) * 3 == pytest.approx(180.0)
    assert split_budget(180.0, 1, [GITHUB]) == {"github": 180.0}
    assert split_budget(10.0, 3, []) == {}


def test_a_share_below_the_minimum_is_passed_on_for_serbench_run_to_enforce(
        tmp_path: Path) -> None:
    """A tiny share stays a valid `--time`; `serbench run` then times its minimum rounds."""
    cmd = serbench_command(GITHUB.cases, tmp_path / "out", 1.0 / 15, "steady")
    budget = cmd[cmd.index("--time") + 1]
    assert parse_duration(budget, positive=True) == pytest.approx(1.0 / 15, rel=1e-5)
    assert not {"--fast", "--processes", "-p", "--rounds"} & set(cmd)
    assert {"--scenarios", "encode,decode", "--gc", "off", "--pin", "none",
            "--no-report"} <= set(cmd)
    assert cmd[cmd.index("--codecs") + 1] == "json,orjson"


def test_bands_and_their_edges() -> None:
    assert [band(r, 0.05) for r in (0.94, 0.95, 1.0, 1.05, 1.06)] == [-1, 0, 0, 0, 1]


@pytest.mark.parametrize(("ours", "theirs", "ratio", "low", "high", "agrees", "resolved"), [
    # every round within: agrees, resolved
    ([1.00, 1.03, 0.98], [1.0, 1.0, 1.0], 1.00, 0.98, 1.03, True, True),
    # every round above: disagrees, resolved (serbench is slower)
    ([1.10, 1.20, 1.08], [1.0, 1.0, 1.0], 1.10, 1.08, 1.20, False, True),
    # every round below: disagrees, resolved (serbench is faster)
    ([0.8, 0.9, 0.7], [1.0, 1.0, 1.0], 0.8, 0.7, 0.9, False, True),
    # median within but one round above: agrees, unresolved
    ([1.0, 1.2, 0.97], [1.0, 1.0, 1.0], 1.0, 0.97, 1.2, True, False),
    # median above, one round within: disagrees, unresolved (noise decided)
    ([1.3, 1.2, 1.0], [1.0, 1.0, 1.0], 1.2, 1.0, 1.3, False, False),
    # the median of the ratios, not the ratio of the medians: 2/1, 2/4, 3/2
    ([2.0, 2.0, 3.0], [1.0, 4.0, 2.0], 1.5, 0.5, 2.0, False, False),
    # an even count: the mean of the middle two
    ([1.0, 1.1, 1.2, 1.3], [1.0, 1.0, 1.0, 1.0], 1.15, 1.0, 1.3, False, False),
])
def test_the_verdict_is_the_median_of_the_per_round_ratios(
        ours: list[float], theirs: list[float], ratio: float, low: float, high: float,
        agrees: bool, resolved: bool) -> None:
    paired = pair_up(ours, theirs, 0.05)
    assert (paired.ratio, paired.ratio_min, paired.ratio_max) == pytest.approx(
        (ratio, low, high))
    assert (paired.agrees, paired.resolved, paired.rounds) == (agrees, resolved, len(ours))


def test_rounds_without_both_figures_are_left_out() -> None:
    paired = pair_up([1.2, None, 1.1], [1.0, 1.0, None], 0.05)
    assert (paired.ratio, paired.rounds, paired.resolved) == (pytest.approx(1.2), 1, None)
    assert pair_up([None], [1.0], 0.05).ratio is None
    assert pair_up([1.0], [1.0], 0.05).resolved is None  # one round cannot disagree


def test_join_gives_one_row_per_case_over_its_rounds() -> None:
    fake = FakeSides({1: 1.10, 2: 1.00, 3: 1.30}, {1: 1.0, 2: 0.5, 3: 1.0})
    results = [RoundResult(n, GITHUB, order(n, "orjson")[0],
                           fake.serbench(GITHUB, Path(f"round-{n}/s"), 1.0),
                           fake.peer(GITHUB, Path(f"round-{n}/p")))
               for n in (3, 1, 2)]  # any order in: rounds are sorted
    rows = join(results)
    assert [r["codec"] for r in rows] == ["orjson", "json"]
    row = rows[0]
    assert set(row) == set(FIELDS)
    # ratios 1.1, 2.0, 1.3: median 1.3; each side's median seconds: 1.1 and 1.0
    assert (row["ratio"], row["ratio_min"], row["ratio_max"]) == pytest.approx((1.3, 1.1, 2.0))
    assert (row["serbench_s"], row["peer_s"]) == pytest.approx((1.1, 1.0))
    assert (row["agrees"], row["resolved"], row["rounds"]) == (False, True, 3)
    assert (row["settled_workers"], row["processes"], row["status"]) == (9, 9, "ok")
    assert row["document"] == GITHUB.document == "github"  # as the alternating table names it


def test_a_case_missing_in_one_round_says_so_in_its_status() -> None:
    first = RoundResult(1, TREE, "serbench", {TREE.cases[0].ident: {"mean_s": "1", "status":
                                                                     "ok"}},
                        {TREE.cases[0].ident: 1.0})
    second = RoundResult(2, TREE, "msgspec", {}, {TREE.cases[0].ident: 1.0})
    [row] = join([first, second])
    assert row["status"] == "ok,missing"
    assert (row["rounds"], row["resolved"], row["settled_workers"]) == (1, None, "")


def _rows(*cells: tuple[str, float | None, bool | None, bool | None]
          ) -> list[dict[str, object]]:
    return [{"peer": "orjson", "codec": codec, "document": "corpus-github",
             "direction": "encode", "serbench_s": ratio and ratio * 1e-4,
             "peer_s": 1e-4 if ratio else None, "ratio": ratio,
             "agrees": agrees, "resolved": resolved, "rounds": 3 if ratio else 0,
             "ratio_min": ratio and ratio - 0.1, "ratio_max": ratio and ratio + 0.1,
             "faults_per_call": 0.0, "settled_workers": 9, "processes": 9, "status": "ok"}
            for codec, ratio, agrees, resolved in cells]


def test_the_summary_counts_agree_resolved_and_unresolved() -> None:
    rows = _rows(("orjson", 1.01, True, True), ("json", 1.04, True, False),
                 ("ujson", 1.30, False, True), ("rapidjson", 0.80, False, True),
                 ("simplejson", 1.08, False, False), ("yyjson", None, None, None))
    assert summary_line(rows, TOLERANCE) == (
        "5 cases, median of 3 paired rounds: 2 agree within ±5% (1 of them unresolved), "
        "2 disagree in every round, 1 disagree unresolved; 1 without both figures")
    one = _rows(("orjson", 1.2, False, None))
    one[0]["rounds"] = 1
    assert summary_line(one, TOLERANCE) == (
        "1 cases, median of 1 paired round: 0 agree within ±5%, 0 disagree in every round, "
        "0 disagree unresolved, 1 disagree in their one paired round")


def test_the_table_shows_the_median_its_range_and_resolved() -> None:
    rows = _rows(("orjson", 1.01, True, True), ("ujson", 1.30, False, True),
                 ("simplejson", 1.08, False, False), ("yyjson", None, None, None))
    lines = format_rows(rows).splitlines()
    assert "rounds' range" in lines[0] and "resolved" in lines[0]
    assert [line.split()[1] for line in lines[2:]] == ["ujson", "simplejson", "orjson",
                                                      "yyjson"]  # farthest from 1 first
    ujson = lines[2].split()
    assert "1.300" in ujson and "1.200-1.400" in ujson
    assert lines[3].split()[-4:-2] == ["no", "no"]  # simplejson: outside, unresolved


def test_the_csv_files_have_their_columns(tmp_path: Path) -> None:
    fake = FakeSides({1: 1.0, 2: 1.2}, {1: 1.0, 2: 1.0})
    cfg = CrossConfig(tmp_path, ("orjson",), ("github",), 60.0, rounds=2, mode="rounds")
    rows = run_crosscheck(cfg, lambda _: None, fake.serbench, fake.peer).rounds
    with open(tmp_path / "crosscheck.csv", encoding="utf-8") as f:
        table = list(csv.DictReader(f))
    assert list(table[0]) == FIELDS
    assert FIELDS[:12] == ["peer", "codec", "document", "direction", "serbench_s", "peer_s",
                           "ratio", "agrees", "faults_per_call", "settled_workers",
                           "processes", "status"]  # the old columns first, as they were
    assert len(table) == len(rows) and table[0]["rounds"] == "2"
    assert table[0]["ratio_min"] == "1.0" and table[0]["ratio_max"] == "1.2"
    with open(tmp_path / "crosscheck-rounds.csv", encoding="utf-8") as f:
        pairs = list(csv.DictReader(f))
    assert list(pairs[0]) == ROUND_FIELDS
    assert len(pairs) == 2 * len(rows)
    assert {(p["round"], p["first"]) for p in pairs} == {("1", "serbench"), ("2", "orjson")}
    assert sum(b for side, _, _, b in fake.calls if side == "serbench" and b) == \
        pytest.approx(60.0)


def test_a_missing_peer_plugin_is_one_line_before_anything_runs(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(cross_run, "missing_plugins", lambda: ["pytest-random-order"])
    fake = FakeSides({}, {})
    with pytest.raises(UserError, match=r"pytest-random-order.*serbench\[crosscheck\]"):
        run_crosscheck(CrossConfig(tmp_path, ("orjson",), ("github",)), lambda _: None,
                       fake.serbench)
    assert fake.calls == []
    code = main(["crosscheck", "--peers", "orjson", "--documents", "github", "--quick",
                 "-o", str(tmp_path / "cli")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith("serbench: error: orjson's method needs")


def _config(*argv: str) -> CrossConfig:
    return config(build_parser(["crosscheck", *argv]).parse_args(["crosscheck", *argv]))


def test_the_command_line_sets_rounds_budgets_and_quick(tmp_path: Path) -> None:
    out = ["-o", str(tmp_path)]
    cfg = _config(*out)
    assert (cfg.rounds, cfg.serbench_time_s) == (3, 180.0)
    assert cfg.pytest_budget == PytestBudget(pytest.approx(1 / 3), pytest.approx(5 / 3))
    assert _config(*out, "--rounds", "1").pytest_budget == PytestBudget(1.0, 5.0)
    assert _config(*out, "--pytest-times", "1s,5s").pytest_budget == PytestBudget(1.0, 5.0)
    quick = _config(*out, "--quick", "--rounds", "2")
    assert (quick.rounds, quick.pytest_budget, quick.serbench_time_s) == (2, QUICK_PYTEST, 1.0)
    for bad in (["--rounds", "0"], ["--pytest-times", "5,1"], ["--pytest-times", "1"],
                ["--time", "soon"], ["--peers", "ujson"], ["--documents", "yelp"]):
        with pytest.raises(UserError):
            _config(*out, *bad)
