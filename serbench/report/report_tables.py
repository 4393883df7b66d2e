"""The report's tables as rows of plain strings, shared by the HTML and Markdown writers (and the
notebook), so both formats always show the same figures. Drawing them is the writers' job."""

from __future__ import annotations

from dataclasses import dataclass

from serbench.common.vocabulary import (
    FAILED,
    FAMILY_GENERAL,
    FLOOR_CODEC,
    OK,
    P999_MIN_SAMPLES,
    SKIPPED,
)
from serbench.report import analysis_latency, prose, summary
from serbench.report import text as fmt
from serbench.report.data import Run
from serbench.report.text import TIMES


@dataclass(frozen=True)
class Table:
    """A header, rows of strings, which cells to emphasise (the best of a column) and which
    to flag (cells the run marked suspect), as (row, column) positions."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    bold: frozenset[tuple[int, int]] = frozenset()
    flagged: frozenset[tuple[int, int]] = frozenset()


def overview(run: Run) -> str:
    """One sentence: codecs, payloads and what became of the cells."""
    counts = {s: sum(1 for c in run.cells if c.status == s) for s in (OK, SKIPPED, FAILED)}
    return (f"{len(run.codecs)} codecs {TIMES} {len(run.payloads)} payloads; "
            f"{len(run.cells)} cells: {counts[OK]} measured, {counts[SKIPPED]} skipped, "
            f"{counts[FAILED]} failed.")


def fastest(best: summary.Best) -> str:
    """Who is fastest: one codec, `tie: A, B`, or `A ?` when it cannot be told."""
    if best.tied_with:
        text = f"tie: {best.codec}, {best.tied_with}"
    elif best.separated is None:
        text = f"{best.codec} ?"
    else:
        text = best.codec
    return text + fmt.suspect_note(best.suspect)


def best_table(payload: summary.PayloadSummary, reference: str | None) -> Table:
    """Per measure: the fastest codec that round-trips the payload (or a tie), its ratio and
    whether it differs from the reference."""
    rows, flagged = [], set()
    for i, best in enumerate(payload.best):
        if best.codec == reference:
            versus = f"{reference} itself"
        elif best.ratio is None:
            versus = "no reference figure"
        else:
            versus = best.ratio.label
        rows.append((fmt.measure_title(best.measure), fastest(best),
                     fmt.seconds_interval(best.mean_s, best.mean_lo_s, best.mean_hi_s),
                     f"1.00{TIMES}" if best.codec == reference else fmt.format_ratio(best.ratio),
                     versus))
        if best.suspect:
            flagged.add((i, 1))
    return Table(_best_header(reference), tuple(rows), flagged=frozenset(flagged))


def _best_header(reference: str | None) -> tuple[str, ...]:
    ref = reference or "reference"
    return ("measure", "fastest codec", "mean time", f"ratio to {ref}",
            f"difference from {ref}")


def best_overview(run: Run) -> Table:
    """Every payload's fastest codec per measure in one table (for notebooks and READMEs)."""
    rows = []
    for payload in summary.summarize(run):
        rows += [(payload.payload, *row) for row in best_table(payload, run.reference).rows]
    return Table(("payload", *_best_header(run.reference)), tuple(rows))


def payload_table(payload: summary.PayloadSummary, reference: str | None) -> Table:
    """Per codec: fidelity, then each measure's mean time and ratio (with its interval when
    the run has one), then the encoded size. Bold: the fastest, or both codecs of a tie."""
    header = ("codec", "fidelity", *(fmt.measure_title(m) for m in payload.measures),
              "encoded size")
    best = {(b.measure, c) for b in payload.best for c in b.codecs}
    rows, bold, flagged = [], set(), set()
    for i, codec in enumerate(payload.codecs):
        family = payload.families[i] if payload.families else ""
        row = [_codec_label(codec) + (f" ({family}: ranked apart)" if family else ""),
               payload.fidelity[i] or "?"]
        for j, (measure, entry) in enumerate(zip(payload.measures, payload.entries[i],
                                                 strict=True)):
            cell = entry.cell
            if cell is None:
                row.append("")
            elif cell.rankable:
                text = fmt.seconds(cell.mean_s)
                if codec == reference:
                    text += f" · 1.00{TIMES} (ref)"
                elif entry.ratio is not None:
                    text += f" · {fmt.format_ratio(entry.ratio)}"
                row.append(text + fmt.suspect_note(cell.suspect))
                if (measure, codec) in best:
                    bold.add((i, 2 + j))
                if cell.suspect:
                    flagged.add((i, 2 + j))
            else:
                row.append(entry.reason)
        row.append(fmt.nbytes(payload.encoded_bytes[i]))
        rows.append(tuple(row))
    return Table(header, tuple(rows), frozenset(bold), frozenset(flagged))


def _codec_label(codec: str) -> str:
    return codec + (" (transport floor)" if codec == FLOOR_CODEC else "")


def percentile_table(run: Run, payload: str) -> Table | None:
    """Per codec and transport: the pooled round-trip percentiles of one payload and how many
    requests they come from; p99.9 with its interval, or flagged. None without percentiles."""
    profiles = [p for p in analysis_latency.latency_profiles(run) if p.payload == payload]
    if not profiles:
        return None
    labels = tuple(analysis_latency.PERCENTILE_LABELS.values())
    rows, flagged = [], set()
    for i, profile in enumerate(profiles):
        values = dict(profile.percentiles)
        cells = []
        for label in labels:
            if label == analysis_latency.PERCENTILE_LABELS["p999_s"]:
                cells.append(fmt.p999(values.get(label), profile.p999_low, profile.p999_high,
                                      profile.samples))
            else:
                cells.append(fmt.seconds(values.get(label)))
        transport = profile.measure.partition("/")[2]
        samples = "" if profile.samples is None else f"{profile.samples:,}"
        rows.append((_codec_label(profile.codec) + fmt.suspect_note(profile.suspect), transport,
                     *cells, samples))
        if profile.suspect:
            flagged.add((i, 0))
    return Table(("codec", "transport", *labels, "samples"), tuple(rows),
                 flagged=frozenset(flagged))


def percentile_note(run: Run, payload: str) -> str:
    """What the marks of the percentile table mean ("" when it has none)."""
    profiles = [p for p in analysis_latency.latency_profiles(run) if p.payload == payload]
    if not any(p.p999_flagged for p in profiles):
        return ""
    return (f"{fmt.FEW_SAMPLES_MARK} p99.9 from fewer than {P999_MIN_SAMPLES:,} requests and "
            "without an interval: it is little more than the few largest requests, a rough "
            "tail rather than a percentile.")


def call_path_table(run: Run) -> Table:
    """Each codec's library, version, options and timed call path."""
    return Table(("codec", "library", "timed call path", "options"),
                 tuple((p.codec, f"{p.library} {p.version}".strip(), p.call_path, p.options)
                       for p in summary.call_paths(run)))


def fidelity_matrix_table(run: Run) -> Table:
    """Codec x payload: how each codec round-trips each payload of the run (exact, lossy,
    unsupported, wrong), whether or not it was timed there; the codec's family beside it."""
    rows = []
    for codec in run.codecs:
        cells = [run.payload_cell(codec, payload) for payload in run.payloads]
        family = next((c.family for c in cells if c is not None and not c.headline), "")
        rows.append((codec, family or FAMILY_GENERAL,
                     *(c.fidelity or "?" if c is not None else "" for c in cells)))
    return Table(("codec", "family", *run.payloads), tuple(rows))


def problem_table(run: Run) -> Table:
    """Skipped and failed cells with their reasons."""
    return Table(("codec", "payload", "status", "cells", "reason"),
                 tuple((p.codec, p.payload, p.status, ", ".join(p.measures), p.reason)
                       for p in summary.problems(run)))


def environment_table(run: Run) -> Table:
    """The environment block as a two-column table."""
    return Table(("item", "value"), tuple(prose.environment_items(run.environment)))
