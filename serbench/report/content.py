"""Everything the report says, in reading order, independent of its format: report.html and
report.md render the same `ReportContent`, so the two can never disagree."""

from __future__ import annotations

from dataclasses import dataclass

from serbench.report import first_calls, prose, summary
from serbench.report.chart_files import ChartFile, verdict_title
from serbench.report.data import Run
from serbench.report.report_tables import (
    Table,
    best_table,
    call_path_table,
    environment_table,
    fidelity_matrix_table,
    overview,
    payload_table,
    percentile_note,
    percentile_table,
    problem_table,
)
from serbench.report.text import measure_title, suspect_note
from serbench.report.verdict import factor_words, verdicts

#: The report's sections in reading order, (anchor, heading): the answer first, environment and
#: method below. Adding a section is one line here plus its block in templates/report.html.j2
#: (`{% elif anchor == "..." %}`) and in markdown.py; a section with nothing to show is left out.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("verdict", "The answer: which codec, per payload"),
    ("summary", "Summary per payload"),
    ("charts", "Charts"),
    ("environment", "Environment"),
    ("how-to-read", "How to read this"),
    ("first-calls", "Cold start and memory per call"),
    ("codecs", "Codecs: the timed call paths"),
    ("load", "Load"),
    ("fidelity", "Fidelity: what each codec round-trips"),
    ("problems", "Skipped and failed cells"),
)


@dataclass(frozen=True)
class VerdictLine:
    """One answer: the question, the codec (or the codecs of a tie), and its figures."""

    question: str
    answer: str
    detail: str


@dataclass(frozen=True)
class VerdictSection:
    """One payload's answer: its verdict lines and the ranking / time-vs-size chart."""

    payload: str
    measure: str
    lines: tuple[VerdictLine, ...]
    #: The fastest codec of each other measure, in one sentence ("" when there is none).
    other_measures: str
    chart: ChartFile | None


@dataclass(frozen=True)
class PayloadSection:
    """One payload's part of the summary."""

    payload: str
    best: Table
    every_codec_note: str
    every_codec: Table
    percentiles: Table | None
    percentile_note: str


@dataclass(frozen=True)
class ReportContent:
    """The report's words, tables and charts."""

    title: str
    intro: str
    verdicts: tuple[VerdictSection, ...]
    #: The suspect banner: a headline, then one line per reason (empty: nothing to warn of).
    warnings: tuple[str, ...]
    environment: Table
    how_to_read: tuple[str, ...]
    caveats: tuple[str, ...]
    payloads: tuple[PayloadSection, ...]
    charts: tuple[ChartFile, ...]
    call_paths: Table
    #: Codec x payload fidelity classes: what each codec round-trips.
    fidelity: Table
    problems: Table
    #: Cold start and memory per call (None where the run has none), and how workers warmed up.
    cold_start: Table | None = None
    memory: Table | None = None
    steady_note: str = ""


def report_content(run: Run, charts: list[ChartFile]) -> ReportContent:
    """What the report of `run` says, with these chart files."""
    env = run.environment
    reference = run.reference
    sections = []
    for payload in summary.summarize(run):
        tied = any(b.tied_with for b in payload.best)
        sections.append(PayloadSection(
            payload.payload, best_table(payload, reference),
            f"Every codec on this payload: mean time · ratio to "
            f"{reference or 'the reference'} (bold: fastest"
            f"{', or both codecs of a tie' if tied else ''}).",
            payload_table(payload, reference), percentile_table(run, payload.payload),
            percentile_note(run, payload.payload)))
    return ReportContent(
        title="serbench report",
        intro=f"Run started {env.get('start', '?')} on "
              f"{env.get('cpu_model', 'an unknown machine')}. {overview(run)}",
        verdicts=verdict_sections(run, charts),
        warnings=tuple(prose.warnings(run)),
        environment=environment_table(run),
        how_to_read=tuple(prose.how_to_read(run)),
        caveats=tuple(prose.caveats(run)),
        payloads=tuple(sections),
        charts=tuple(charts),
        call_paths=call_path_table(run),
        fidelity=fidelity_matrix_table(run),
        problems=problem_table(run),
        cold_start=first_calls.cold_start_table(run),
        memory=first_calls.memory_table(run),
        steady_note=first_calls.steady_note(run),
    )


def verdict_sections(run: Run, charts: list[ChartFile]) -> tuple[VerdictSection, ...]:
    """Each payload's answer, with its verdict chart when one was drawn."""
    drawn = {c.title: c for c in charts if c.section == "verdict"}
    out = []
    for verdict in verdicts(run):
        lines = []
        for pick in verdict.picks:
            if not pick.codec:
                lines.append(VerdictLine(pick.question, "none", pick.note))
                continue
            answer = (f"tie: {', '.join(pick.codecs)}" if pick.ties else pick.codec)
            answer += suspect_note(pick.suspect)
            where = "" if pick.measure == verdict.measure else f" ({measure_title(pick.measure)})"
            detail = "; ".join(w for w in (pick.figure + where, factor_words(pick)) if w)
            lines.append(VerdictLine(pick.question, answer, detail))
        others = "; ".join(
            f"{measure_title(p.measure)}: "
            f"{'tie: ' + ', '.join(p.codecs) if p.ties else p.codec}"
            for p in verdict.by_measure[1:])
        out.append(VerdictSection(verdict.payload, measure_title(verdict.measure), tuple(lines),
                                  f"Fastest in the other measures: {others}." if others else "",
                                  drawn.get(verdict_title(verdict.payload))))
    return tuple(out)
