"""What the terminal shows while a run goes on and when it ends: a line per round with the
time left and the precision reached, then every ratio to pickle with its interval."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from serbench.common.units import seconds
from serbench.common.vocabulary import REFERENCE_CODEC
from serbench.stats.summarise import CellRecord


def clock(seconds: float) -> str:
    """m:ss."""
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}:{secs:02d}"


def round_line(number: int, planned: int, workers: int, took_s: float, elapsed_s: float,
               eta_s: float, median_half_width: float | None, failed: int) -> str:
    """One line at the end of a round."""
    reached = ("" if median_half_width is None
               else f"; ratios to pickle now +-{100 * median_half_width:.1f} % (median)")
    failures = f"; {failed} failed" if failed else ""
    return (f"round {number}/{planned}: {workers} workers in {took_s:.1f} s{failures}"
            f"{reached}  [elapsed {clock(elapsed_s)}, ETA {clock(eta_s)}]")


def ratio_text(row: dict[str, Any]) -> str:
    """`1.23x +-4%` (the interval's half-width on the estimate), `1.23x` with one round."""
    ratio = row.get("ratio")
    if ratio is None:
        return ""
    low, high = row.get("ratio_lo"), row.get("ratio_hi")
    text = f"{ratio:.2f}x"
    if low is not None and high is not None:
        text += f" +-{100 * (high - low) / 2 / ratio:.0f}%"
    if row.get("suspect"):
        text += " SUSPECT"
    return text


def final_tables(records: Iterable[CellRecord]) -> str:
    """Per scenario, codecs x (transport, payload): time relative to pickle with its 95 %
    interval; the reference's row gives its own mean time."""
    from tabulate import tabulate

    records = list(records)
    out: list[str] = []
    for scenario in dict.fromkeys(r.cell.scenario for r in records):
        rows_here = [r for r in records if r.cell.scenario == scenario]
        columns = list(dict.fromkeys(_column(r) for r in rows_here))
        codecs = list(dict.fromkeys(r.cell.codec for r in rows_here))
        table: list[list[str]] = []
        for codec in codecs:
            line = [codec]
            for column in columns:
                found = [r for r in rows_here if r.cell.codec == codec and _column(r) == column]
                line.append(_cell_text(found[0]) if found else "")
            table.append(line)
        out.append(f"{scenario}: time relative to {REFERENCE_CODEC} (95 % interval; "
                   f"lower is faster)")
        out.append(tabulate(table, headers=["codec", *columns], disable_numparse=True))
        out.append("")
    return "\n".join(out)


def memory_lines(records: Iterable[CellRecord]) -> list[str]:
    """Per codec x payload, beside the time tables: the traced peak of one encode and one
    decode, and the decode's minor page faults per call at steady state."""
    from tabulate import tabulate

    figures: dict[tuple[str, str], dict[str, dict[str, object]]] = {}
    for r in records:
        if r.cell.scenario in ("encode", "decode") and r.row.get("alloc_peak_bytes") is not None:
            key = (r.cell.codec, str(r.row.get("payload", r.cell.payload)))
            figures.setdefault(key, {})[r.cell.scenario] = r.row
    if not figures:
        return []
    payloads = list(dict.fromkeys(p for _, p in figures))
    codecs = list(dict.fromkeys(c for c, _ in figures))
    table = [[codec, *(_memory_text(figures.get((codec, p), {})) for p in payloads)]
             for codec in codecs]
    return ["memory per call: traced peak of encode / decode, decode's minor faults per call "
            "(untimed pass; docs/crosscheck.md)",
            tabulate(table, headers=["codec", *payloads], disable_numparse=True), ""]


def _memory_text(rows: dict[str, dict[str, object]]) -> str:
    def size(row: dict[str, object] | None) -> str:
        value = row.get("alloc_peak_bytes") if row else None
        if not isinstance(value, int | float):
            return "-"
        return next(f"{value / s:.3g} {u}" for u, s in (("MB", 1e6), ("kB", 1e3), ("B", 1))
                    if value >= s or s == 1)

    decode = rows.get("decode")
    faults = decode.get("faults_per_call") if decode else None
    return (f"{size(rows.get('encode'))} / {size(decode)}"
            + (f", {float(faults):g} flt" if isinstance(faults, int | float) else ""))


def _column(record: CellRecord) -> str:
    label = str(record.row.get("payload", record.cell.payload))
    return f"{record.cell.transport}/{label}" if record.cell.transport else label


def _cell_text(record: CellRecord) -> str:
    row = record.row
    if row.get("status") != "ok":
        return str(row.get("status", ""))
    if record.cell.codec == REFERENCE_CODEC and row.get("mean_s"):
        return seconds(float(row["mean_s"]), "us")
    return ratio_text(row) or (seconds(float(row["mean_s"]), "us") if row.get("mean_s")
                               else "")


def suspect_lines(reasons: Sequence[str]) -> list[str]:
    """The run-level warning when any cell broke a self-check."""
    if not reasons:
        return []
    return [f"SUSPECT RUN: {len(reasons)} cell(s) failed a self-check:",
            *(f"  {reason}" for reason in reasons)]
