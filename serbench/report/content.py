"""Everything the report says, in reading order, independent of its format: report.html and
report.md render the same `ReportContent`, so the two can never disagree."""

from __future__ import annotations

from dataclasses import dataclass

from serbench.report import first_calls, prose, summary
from serbench.report.chart_files import ChartFile
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
