"""The report's tables as rows of plain strings, shared by the HTML and Markdown writers (and the
notebook), so both formats always show the same figures."""

from __future__ import annotations

from dataclasses import dataclass

from serbench.report import analysis
from serbench.report import text as fmt
from serbench.report.data import TRANSPORT_FLOOR, Run
from serbench.report.text import TIMES


@dataclass(frozen=True)
class Table:
    """A header, rows of strings, and which cells to emphasise (the best of a column)."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    bold: frozenset[tuple[int, int]] = frozenset()


def overview(run: Run) -> str:
    """One sentence: codecs, payloads and what became of the cells."""
    counts = {s: sum(1 for c in run.cells if c.status == s) for s in ("ok", "skipped", "failed")}
    return (f"{len(run.codecs)} codecs {TIMES} {len(run.payloads)} payloads; "
            f"{len(run.cells)} cells: {counts['ok']} measured, {counts['skipped']} skipped, "
            f"{counts['failed']} failed.")


def best_table(summary: analysis.PayloadSummary, reference: str | None) -> Table:
    """Per measure: the fastest codec that round-trips the payload, its ratio and significance."""
    rows = []
    for best in summary.best:
        if best.codec == reference:
            versus = f"{reference} itself"
        elif best.ratio is None:
            versus = "no reference figure"
        else:
            versus = best.ratio.label
        rows.append((fmt.measure_title(best.measure), best.codec, fmt.seconds(best.mean_s),
                     f"1.00{TIMES}" if best.codec == reference else fmt.ratio(best.ratio), versus))
    return Table(_best_header(reference), tuple(rows))


def _best_header(reference: str | None) -> tuple[str, ...]:
    ref = reference or "reference"
    return ("measure", "fastest codec", "mean time", f"ratio to {ref}",
            f"difference from {ref}")


def best_overview(run: Run) -> Table:
    """Every payload's fastest codec per measure in one table (for notebooks and READMEs)."""
    rows = []
    for summary in analysis.summarize(run):
        rows += [(summary.payload, *row) for row in best_table(summary, run.reference).rows]
    return Table(("payload", *_best_header(run.reference)), tuple(rows))


def payload_table(summary: analysis.PayloadSummary, reference: str | None) -> Table:
    """Per codec: fidelity, then each measure's mean time and ratio, then the encoded size."""
    header = ("codec", "fidelity", *(fmt.measure_title(m) for m in summary.measures),
              "encoded size")
    best = {(b.measure, b.codec) for b in summary.best}
    rows, bold = [], set()
    for i, codec in enumerate(summary.codecs):
        row = [codec + (" (transport floor)" if codec == TRANSPORT_FLOOR else ""),
               summary.fidelity[i] or "?"]
        for j, (measure, entry) in enumerate(zip(summary.measures, summary.entries[i],
                                                 strict=True)):
            if entry.cell is None:
                row.append("")
            elif entry.cell.rankable:
                text = fmt.seconds(entry.cell.mean_s)
                if codec == reference:
                    text += f" · 1.00{TIMES} (ref)"
                elif entry.ratio is not None:
                    text += f" · {fmt.ratio(entry.ratio)}"
                row.append(text)
                if (measure, codec) in best:
                    bold.add((i, 2 + j))
            else:
                row.append(entry.reason)
        row.append(fmt.nbytes(summary.encoded_bytes[i]))
        rows.append(tuple(row))
    return Table(header, tuple(rows), frozenset(bold))


def call_path_table(run: Run) -> Table:
    """Each codec's library, version, options and timed call path."""
    return Table(("codec", "library", "timed call path", "options"),
                 tuple((p.codec, f"{p.library} {p.version}".strip(), p.call_path, p.options)
                       for p in analysis.call_paths(run)))


def problem_table(run: Run) -> Table:
    """Skipped and failed cells with their reasons."""
    return Table(("codec", "payload", "status", "cells", "reason"),
                 tuple((p.codec, p.payload, p.status, ", ".join(p.measures), p.reason)
                       for p in analysis.problems(run)))


def environment_table(run: Run) -> Table:
    """The environment block as a two-column table."""
    return Table(("item", "value"), tuple(fmt.environment_items(run.environment)))
