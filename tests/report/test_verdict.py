"""The verdict: which codec for which need, ties said as ties, fidelity failures never named,
the Pareto front of time and size, and the terminal's hyperfine-style lines."""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path

from test_report_data import FIXTURE

from serbench.common.vocabulary import FAMILY_GENERAL, FAMILY_TYPED
from serbench.report.content import verdict_sections
from serbench.report.data import CellResult, Run, load_run, make_run
from serbench.report.text import TIMES as X
from serbench.report.verdict import (
    CROSS_LANGUAGE,
    FASTEST,
    SAFE,
    SMALLEST,
    VALIDATING,
    factor_words,
    verdict_text,
    verdicts,
)

#: codec: per-round worker means (s), encoded bytes, fidelity, family, safe, cross-language.
TABLE = {
    "pickle": ([10.0, 10.2, 9.9, 10.1], 500, "exact", FAMILY_GENERAL, False, False),
    "fastpy": ([5.0, 5.05, 4.95, 5.0], 700, "exact", FAMILY_GENERAL, False, False),
    "msgpack": ([6.0, 6.1, 5.9, 6.05], 300, "exact", FAMILY_GENERAL, True, True),
    "twin": ([6.03, 6.1, 5.95, 6.06], 300, "exact", FAMILY_GENERAL, True, True),
    "json": ([8.0, 8.1, 7.9, 8.0], 900, "exact", FAMILY_GENERAL, True, False),
    "broken": ([1.0, 1.0, 1.0, 1.0], 10, "wrong", FAMILY_GENERAL, True, True),
    "model": ([7.0, 7.1, 6.9, 7.0], 250, "exact", FAMILY_TYPED, True, True),
    "null": ([2.0, 2.0, 2.0, 2.0], 500, "exact", FAMILY_GENERAL, True, True),
}
MEASURE = "roundtrip/uds"


def synthetic_run(table: dict[str, tuple] = TABLE) -> Run:  # type: ignore[type-arg]
    """A format-2 run of one payload and one measure, times in µs, paired by round."""
    cells, rounds = [], {}
    for codec, (means, size, fidelity, family, _, _) in table.items():
        seconds = [m * 1e-6 for m in means]
        mean = math.fsum(seconds) / len(seconds)
        cell = CellResult(codec, "roundtrip", "uds", "rec", "ok", fidelity=fidelity,
                          mean_s=mean, mean_lo_s=mean * 0.98, mean_hi_s=mean * 1.02,
                          encoded_bytes=size, family=family, processes=len(seconds),
                          values=tuple(seconds), process_means=tuple(seconds))
        cells.append(cell)
        rounds[cell.key] = dict(enumerate(seconds, 1))
    environment = {
        "results_format": 2,
        "matrix": {"codecs": list(table)},
        "codecs": {c: {"safe_for_untrusted_input": row[4], "cross_language": row[5]}
                   for c, row in table.items()},
    }
    return make_run(Path("."), environment, cells, rounds)


def picks(run: Run) -> dict[str, object]:
    (verdict,) = verdicts(run)
    return {p.question: p for p in verdict.picks}


def test_each_question_has_its_own_winner() -> None:
    run = synthetic_run()
    assert run.has_intervals
    found = picks(run)
    fastest = found[FASTEST]
    assert (fastest.codec, fastest.ties, fastest.versus) == ("fastpy", (), "pickle")
    assert fastest.factor is not None and fastest.factor.known
    assert fastest.factor.estimate == pytest_approx(2.0)
    # msgpack and twin differ by a fraction of their round-to-round noise: a tie.
    assert (found[SAFE].codec, found[SAFE].ties) == ("msgpack", ("twin",))
    assert (found[CROSS_LANGUAGE].codec, found[CROSS_LANGUAGE].ties) == ("msgpack", ("twin",))
    # Sizes are counts: the smallest across families (the typed model's 250 B).
    assert (found[SMALLEST].codec, found[SMALLEST].ties) == ("model", ())
    assert (found[VALIDATING].codec, found[VALIDATING].ties) == ("model", ())
    # Held against its own family (here: none), never against pickle's different work.
    assert found[VALIDATING].versus == "" and found[VALIDATING].factor is None


def pytest_approx(value: float) -> object:
    import pytest

    return pytest.approx(value, rel=0.02)


def test_a_codec_that_fails_fidelity_or_the_floor_is_never_named() -> None:
    run = synthetic_run()
    (verdict,) = verdicts(run)
    named = {c for p in (*verdict.picks, *verdict.by_measure) for c in p.codecs}
    assert "broken" not in named and "null" not in named  # the fastest and smallest by far
    assert "broken" not in {r.codec for r in verdict.ranking}
    assert "null" not in {r.codec for r in verdict.ranking}


def test_the_pareto_front_is_what_nothing_beats_on_both() -> None:
    (verdict,) = verdicts(synthetic_run())
    # The general family only: fastpy is fastest, msgpack the smallest and faster than twin
    # (same size), json and pickle are beaten on both by msgpack.
    assert verdict.front == ("fastpy", "msgpack")
    assert [r.codec for r in verdict.ranking] == ["fastpy", "msgpack", "twin", "json", "pickle"]
    assert [r.top for r in verdict.ranking] == [True, False, False, False, False]


def test_equal_sizes_are_a_tie_and_no_candidate_says_so() -> None:
    table = {c: row for c, row in TABLE.items() if c not in ("model",)}
    found = picks(synthetic_run(table))
    assert (found[SMALLEST].codec, found[SMALLEST].ties) == ("msgpack", ("twin",))
    assert found[VALIDATING].codec == "" and "no codec" in found[VALIDATING].note


def test_the_terminal_ends_in_hyperfine_style() -> None:
    lines = verdict_text(synthetic_run())
    assert re.fullmatch(rf"rec round trip \(uds\): fastpy  2\.0\d ± 0\.0\d{X} faster than pickle",
                        lines[0]), lines[0]
    assert lines[1] == ("rec also: safe: msgpack (tie: twin); cross-language: msgpack "
                        "(tie: twin); smallest: model; validating: model")


def test_the_fixture_ties_where_its_t_test_cannot_separate() -> None:
    run = load_run(FIXTURE)
    assert not run.has_intervals
    by = {v.payload: v for v in verdicts(run)}
    tie = by["records-1"].picks[0]
    assert tie.codec and tie.ties, "records-1's round trip is a tie in this fixture"
    assert "(tie: " in verdict_text(run)[0] and "(not significant)" in verdict_text(run)[0]
    clear = by["records-100"].picks[0]
    assert (clear.codec, clear.ties) == ("msgspec-json", ())
    # numpy-100: only pickle round-trips it; msgpack and msgspec-json refuse it.
    only = by["numpy-100"]
    assert {c for p in only.picks for c in p.codecs} == {"pickle"}
    assert only.picks[1].codec == "" and only.picks[2].codec == ""


def test_a_winner_behind_the_reference_is_said_slower_and_a_suspect_one_marked() -> None:
    table = dict(TABLE)
    table["msgpack"] = ([12.0, 12.1, 11.9, 12.05], 300, "exact", FAMILY_GENERAL, True, True)
    table["twin"] = ([14.0, 14.1, 13.9, 14.0], 300, "exact", FAMILY_GENERAL, True, True)
    table["json"] = ([16.0, 16.1, 15.9, 16.0], 900, "exact", FAMILY_GENERAL, True, False)
    run = synthetic_run(table)
    safe = picks(run)[SAFE]
    assert safe.codec == "msgpack" and safe.versus == "pickle"
    assert factor_words(safe).startswith("1.20 ± ") and factor_words(safe).endswith(
        f"{X} slower than pickle")
    cells = [dataclasses.replace(c, suspect="faster than the floor") if c.codec == "fastpy"
             else c for c in run.cells]
    flagged = make_run(run.directory, run.environment, cells, run.rounds)
    assert verdict_text(flagged)[0].endswith("[suspect]")
    (section,) = verdict_sections(flagged, [])
    assert "suspect" in section.lines[0].answer


def test_a_winner_level_with_the_reference_is_said_as_small_not_smaller() -> None:
    table = {c: row for c, row in TABLE.items() if c in ("pickle", "fastpy", "json")}
    table["fastpy"] = (table["fastpy"][0], 500, *table["fastpy"][2:])
    table["json"] = (table["json"][0], 501, *table["json"][2:])
    smallest = picks(synthetic_run(table))[SMALLEST]
    assert smallest.versus and smallest.factor is not None
    assert factor_words(smallest) == f"as small as {smallest.versus} (1.00{X})"
