"""The answer first: per payload and measure, which codec to pick for which need (fastest
overall, fastest safe for untrusted input, fastest cross-language, smallest on the wire, fastest
with validation), ties said as ties, and the codecs nothing beats on both time and size.

Data only, the same for report.html, report.md and the terminal (`verdict_text`). Only cells a
codec round-trips (exact or lossy) are ever candidates: a codec that failed fidelity on a payload
is never named. A winner is separated from another candidate as the run ranks its cells
(`serbench.stats.summarise`): with intervals, by the paired-by-round interval of their ratio at
the candidates' family-wise 95 % (Bonferroni over their pairs); without (a run upgraded from
format 1), by the t-test `serbench.stats.significance` applies. Every candidate not separated
from the winner is named as a tie.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from serbench.common.units import seconds
from serbench.common.vocabulary import FAMILY_TYPED, REFERENCE_CODEC
from serbench.report.analysis_wire import rankable_pair
from serbench.report.data import CellResult, Run
from serbench.report.text import TIMES, measure_title, nbytes
from serbench.stats.intervals import Interval, family_confidence, paired_ratio
from serbench.stats.significance import is_significant

#: The questions a verdict answers, in the order they are shown.
FASTEST = "fastest overall"
SAFE = "fastest safe for untrusted input"
CROSS_LANGUAGE = "fastest cross-language"
SMALLEST = "smallest on the wire"
VALIDATING = "fastest with validation"
QUESTIONS = (FASTEST, SAFE, CROSS_LANGUAGE, SMALLEST, VALIDATING)


@dataclass(frozen=True)
class Pick:
    """One question's answer on one payload and measure: the winner, the codecs it ties with,
    and how far it is ahead of `versus` (the reference codec, or the runner-up)."""

    question: str
    measure: str
    #: The winner; "" when no codec of the run qualifies (`note` says why).
    codec: str
    ties: tuple[str, ...] = ()
    versus: str = ""
    #: versus / winner: "N x faster" (or "N x smaller" for size), with its 95 % interval when
    #: the run pairs the two by round.
    factor: Interval | None = None
    #: The winner's figure in words (a time, a size).
    figure: str = ""
    note: str = ""
    #: Why the run flagged the winner's cell as suspect ("" when it did not).
    suspect: str = ""

    @property
    def codecs(self) -> tuple[str, ...]:
        """The winner and every codec it ties with."""
        return (self.codec, *self.ties) if self.codec else ()


@dataclass(frozen=True)
class Ranked:
    """One codec's place in a payload's headline ranking: mean time with its interval, size."""

    codec: str
    mean_s: float
    low_s: float | None
    high_s: float | None
    encoded_bytes: int | None
    #: On the Pareto front: no other codec is both at least as fast and at least as small.
    front: bool
    #: The fastest codec, or one that ties with it.
    top: bool


@dataclass(frozen=True)
class PayloadVerdict:
    """Everything the verdict says about one payload."""

    payload: str
    #: The measure the headline verdicts, the ranking and the time-vs-size view use.
    measure: str
    picks: tuple[Pick, ...]
    #: The fastest codec (general family) of every measure the payload has, headline first.
    by_measure: tuple[Pick, ...]
    ranking: tuple[Ranked, ...]

    @property
    def front(self) -> tuple[str, ...]:
        """The codecs nothing beats on both time and size, fastest first."""
        return tuple(r.codec for r in self.ranking if r.front)


def verdicts(run: Run) -> list[PayloadVerdict]:
    """One verdict per payload that has a measured, rankable cell."""
    out = []
    for payload in run.payloads:
        measures = [m for m in run.measures if _candidates(run, m, payload, _general)]
        if not measures:
            continue
        headline = _headline(measures)
        by_measure = tuple(_fastest(run, m, payload, FASTEST, _general)
                           for m in [headline, *(m for m in measures if m != headline)])
        picks = (by_measure[0],
                 _fastest(run, headline, payload, SAFE, _flagged(run, "safe_for_untrusted_input")),
                 _fastest(run, headline, payload, CROSS_LANGUAGE, _flagged(run, "cross_language")),
                 _smallest(run, headline, payload),
                 _fastest(run, _typed_measure(run, payload, headline), payload, VALIDATING,
                          _typed))
        out.append(PayloadVerdict(payload, headline, picks, by_measure,
                                  _ranking(run, headline, payload, by_measure[0])))
    return out


def _headline(measures: Sequence[str]) -> str:
    """The measure a payload's verdict leads with: the first round trip, else the first."""
    return next((m for m in measures if m.startswith("roundtrip/")), measures[0])


def _typed_measure(run: Run, payload: str, headline: str) -> str:
    """The headline measure when typed codecs ran in it, else the first one they ran in."""
    measures = [m for m in run.measures if _candidates(run, m, payload, _typed)]
    return headline if headline in measures or not measures else measures[0]


Filter = Callable[[CellResult], bool]


def _general(cell: CellResult) -> bool:
    return cell.headline


def _typed(cell: CellResult) -> bool:
    return cell.family == FAMILY_TYPED


def _flagged(run: Run, flag: str) -> Filter:
    """General-family codecs whose run-recorded capability `flag` is set (unknown: not set)."""
    info = run.environment.get("codecs")
    info = info if isinstance(info, dict) else {}

    def keep(cell: CellResult) -> bool:
        entry = info.get(cell.codec)
        return cell.headline and isinstance(entry, dict) and entry.get(flag) is True
    return keep


def _candidates(run: Run, measure: str, payload: str, keep: Filter) -> list[CellResult]:
    """Measured cells that may be ranked (never the floor, never a fidelity failure)."""
    return [c for codec in run.ranked_codecs
            if (c := run.cell(codec, measure, payload)) is not None
            and c.rankable and c.mean_s is not None and keep(c)]


def _fastest(run: Run, measure: str, payload: str, question: str, keep: Filter) -> Pick:
    cells = _candidates(run, measure, payload, keep)
    if not cells:
        return Pick(question, measure, "", note="no codec of this kind round-trips the payload")
    ordered = sorted(cells, key=lambda c: (_centre(run, c), c.codec))
    ranked_one = next((c for c in cells if c.rank == 1), None)
    if ranked_one is not None and all(c.family == ranked_one.family for c in cells):
        ordered.remove(ranked_one)  # the run ranked exactly this set: its rank 1 wins
        ordered.insert(0, ranked_one)
    winner, others = ordered[0], ordered[1:]
    pairs = len(cells) * (len(cells) - 1) // 2
    ties = tuple(c.codec for c in others if not _apart(run, winner, c, pairs))
    versus = _versus(run, measure, payload, winner, others)
    factor = (_speedup(run, versus, winner) if versus is not None else None)
    return Pick(question, measure, winner.codec, ties, versus.codec if versus else "", factor,
                _time_words(winner), suspect=winner.suspect)


def _versus(run: Run, measure: str, payload: str, winner: CellResult,
            others: Sequence[CellResult]) -> CellResult | None:
    """What the winner is held against: the reference codec when it is of the winner's family
    (its timings cover the same work), else the runner-up."""
    reference = run.cell(REFERENCE_CODEC, measure, payload)
    if (reference is not None and reference.codec != winner.codec and reference.rankable
            and reference.mean_s is not None and reference.headline == winner.headline):
        return reference
    return others[0] if others else None


def _centre(run: Run, cell: CellResult) -> float:
    """The figure cells are ordered by: the geometric mean of the rounds, as the run ranks."""
    rounds = [v for v in run.rounds.get(cell.key, {}).values() if v > 0]
    if run.has_intervals and rounds:
        return math.exp(math.fsum(math.log(v) for v in rounds) / len(rounds))
    assert cell.mean_s is not None
    return cell.mean_s


def _apart(run: Run, winner: CellResult, other: CellResult, pairs: int) -> bool:
    """Whether the run separates `winner` from `other` (False: a tie, or it cannot tell)."""
    if run.has_intervals:
        if winner.rank == 1 and winner.tied_with == other.codec:
            return False
        versus = paired_ratio(run.rounds.get(other.key, {}), run.rounds.get(winner.key, {}),
                              family_confidence(pairs))
        return versus is not None and versus.excludes(1.0)
    return is_significant(winner.values, other.values)[0] is True


def _speedup(run: Run, slower: CellResult, winner: CellResult) -> Interval | None:
    """slower / winner with its 95 % interval (paired by round), or the ratio of means."""
    if run.has_intervals:
        paired = paired_ratio(run.rounds.get(slower.key, {}), run.rounds.get(winner.key, {}))
        if paired is not None:
            return paired
    if slower.mean_s is None or not winner.mean_s:
        return None
    return Interval(slower.mean_s / winner.mean_s, None, None, 0)


def _time_words(cell: CellResult) -> str:
    return seconds(cell.mean_s)


def _sizes(run: Run, payload: str) -> dict[str, int]:
    """Each codec's encoded bytes on `payload`, where it round-trips it (not the floor)."""
    out = {}
    for codec in run.ranked_codecs:
        cell = rankable_pair(run, codec, payload)
        if cell is not None and cell.encoded_bytes is not None:
            out[codec] = cell.encoded_bytes
    return out


def _smallest(run: Run, measure: str, payload: str) -> Pick:
    """Sizes are exact counts: a tie is the same number of bytes."""
    sizes = _sizes(run, payload)
    if not sizes:
        return Pick(SMALLEST, measure, "", note="no codec recorded its encoded size")
    least = min(sizes.values())
    winners = sorted((c for c, n in sizes.items() if n == least), key=run.codecs.index)
    versus = (REFERENCE_CODEC if REFERENCE_CODEC in sizes and REFERENCE_CODEC not in winners
              else min((c for c in sizes if c not in winners), key=lambda c: sizes[c],
                       default=""))
    factor = Interval(sizes[versus] / least, None, None, 0) if versus and least else None
    return Pick(SMALLEST, measure, winners[0], tuple(winners[1:]), versus, factor,
                nbytes(least))


def _ranking(run: Run, measure: str, payload: str, fastest: Pick) -> tuple[Ranked, ...]:
    """The general family's codecs on `measure`, fastest first, with the Pareto front."""
    cells = sorted(_candidates(run, measure, payload, _general),
                   key=lambda c: (_centre(run, c), c.codec))
    sizes = _sizes(run, payload)
    points = {c.codec: (c.mean_s or 0.0, sizes.get(c.codec)) for c in cells}
    out = []
    for cell in cells:
        assert cell.mean_s is not None
        out.append(Ranked(cell.codec, cell.mean_s, cell.mean_lo_s, cell.mean_hi_s,
                          sizes.get(cell.codec), _on_front(cell.codec, points),
                          cell.codec in fastest.codecs))
    return tuple(out)


def _on_front(codec: str, points: dict[str, tuple[float, int | None]]) -> bool:
    """No other codec is at least as fast and at least as small, and better on one."""
    time, size = points[codec]
    if size is None:
        return False
    for other, (t, s) in points.items():
        if other != codec and s is not None and t <= time and s <= size and (
                t < time or s < size):
            return False
    return True


def factor_words(pick: Pick) -> str:
    """`1.56 ± 0.03x faster than pickle`, `2.1x smaller than pickle`, `as small as pickle
    (1.00x)` or "" (no comparison)."""
    if pick.factor is None or not pick.versus:
        return ""
    word = "smaller" if pick.question == SMALLEST else "faster"
    factor = pick.factor
    if factor.estimate < 1 and factor.estimate > 0:  # a subset's winner behind the reference
        word = "larger" if pick.question == SMALLEST else "slower"
        factor = Interval(1 / factor.estimate,
                          1 / factor.high if factor.high else None,
                          1 / factor.low if factor.low else None, factor.n)
    estimate = factor.estimate
    spread = (f" ± {(factor.high - factor.low) / 2:.2f}"  # type: ignore[operator]
              if factor.known else "")
    # A winner the run cannot separate from `versus` is not claimed faster than it.
    unshown = " (not significant)" if pick.versus in pick.ties else ""
    if f"{estimate:.2f}" == "1.00":  # "1.00x smaller" would claim a difference it cannot show
        same = "as small as" if pick.question == SMALLEST else "as fast as"
        return f"{same} {pick.versus} ({estimate:.2f}{spread}{TIMES})"  # no claim to qualify
    return f"{estimate:.2f}{spread}{TIMES} {word} than {pick.versus}{unshown}"


def tie_words(pick: Pick) -> str:
    """`(tie: orjson, msgpack)` or ""."""
    return f"(tie: {', '.join(pick.ties)})" if pick.ties else ""


def verdict_text(run: Run) -> list[str]:
    """The terminal's closing lines, in hyperfine's style: per payload and measure the fastest
    codec, then a payload's other verdicts on one line."""
    lines = []
    for verdict in verdicts(run):
        for pick in verdict.by_measure:
            head = f"{verdict.payload} {measure_title(pick.measure)}:"
            tail = " ".join(w for w in (factor_words(pick), tie_words(pick),
                                        "[suspect]" if pick.suspect else "") if w)
            lines.append(f"{head} {pick.codec}  {tail}".rstrip())
        others = [" ".join(w for w in (f"{_short(p.question)}: {p.codec}", tie_words(p)) if w)
                  for p in verdict.picks[1:] if p.codec]
        if others:
            lines.append(f"{verdict.payload} also: {'; '.join(others)}")
    return lines


def _short(question: str) -> str:
    return {SAFE: "safe", CROSS_LANGUAGE: "cross-language", SMALLEST: "smallest",
            VALIDATING: "validating"}.get(question, question)

