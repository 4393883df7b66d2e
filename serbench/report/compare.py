"""`serbench compare DIR_A DIR_B`: two runs cell by cell (B / A, with pyperf's significance),
and a warning when they were not measured on the same machine, Python and libraries.

The suites are pyperf files, so pyperf's own tools work on them too:
`python -m pyperf compare_to DIR_A/msgpack.json DIR_B/msgpack.json`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from serbench.report import text as fmt
from serbench.report.data import Cell, Run, load_run
from serbench.report.significance import Ratio, ratio
from serbench.tables import format_table


@dataclass(frozen=True)
class CellComparison:
    """One cell (codec, measure, payload) in both runs."""

    codec: str
    measure: str
    payload: str
    a: Cell | None
    b: Cell | None
    ratio: Ratio | None

    @property
    def note(self) -> str:
        """Why there is no ratio: only in one run, or not measured in one of them."""
        if self.ratio is not None:
            return ""
        if self.a is None:
            return "only in B"
        if self.b is None:
            return "only in A"
        if not self.a.rankable:
            return f"A: {self.a.fidelity if self.a.status == 'skipped' else self.a.status}"
        return f"B: {self.b.fidelity if self.b.status == 'skipped' else self.b.status}"


@dataclass(frozen=True)
class Comparison:
    """Run B against run A."""

    a: Run
    b: Run
    cells: tuple[CellComparison, ...]
    #: What differs between the runs' environments (empty: same machine, Python, libraries).
    differences: tuple[str, ...]


def compare_runs(dir_a: Path | str, dir_b: Path | str) -> Comparison:
    """Load both runs and pair their cells."""
    a, b = load_run(dir_a), load_run(dir_b)
    codecs = list(dict.fromkeys([*a.codecs, *b.codecs]))
    measures = list(dict.fromkeys([*a.measures, *b.measures]))
    payloads = list(dict.fromkeys([*a.payloads, *b.payloads]))
    cells = []
    for measure in measures:
        for payload in payloads:
            for codec in codecs:
                ca, cb = a.cell(codec, measure, payload), b.cell(codec, measure, payload)
                if ca is None and cb is None:
                    continue
                r = ratio(ca, cb) if ca and cb and ca.rankable and cb.rankable else None
                cells.append(CellComparison(codec, measure, payload, ca, cb, r))
    return Comparison(a, b, tuple(cells), tuple(environment_differences(a.environment,
                                                                         b.environment)))


def environment_differences(env_a: dict[str, Any], env_b: dict[str, Any]) -> list[str]:
    """Machine, Python, library and codec versions, and settings that differ between runs."""
    out = []
    for key, what in (("cpu_model", "machine"), ("cpu_count", "CPU count"),
                      ("python_implementation", "Python implementation"),
                      ("python", "Python"), ("pin", "CPU pinning"), ("gc", "GC policy"),
                      ("pickle_protocol", "pickle protocol")):
        if env_a.get(key) != env_b.get(key):
            out.append(f"{what} {env_a.get(key)!s} vs {env_b.get(key)!s}")
    libs_a, libs_b = _dict(env_a.get("libraries")), _dict(env_b.get("libraries"))
    changed = [f"{name} {libs_a.get(name)} vs {libs_b.get(name)}"
               for name in sorted(set(libs_a) | set(libs_b))
               if libs_a.get(name) != libs_b.get(name)]
    codecs_a, codecs_b = _dict(env_a.get("codecs")), _dict(env_b.get("codecs"))
    for name in sorted(set(codecs_a) & set(codecs_b)):
        va, vb = _dict(codecs_a[name]).get("version"), _dict(codecs_b[name]).get("version")
        library = _dict(codecs_a[name]).get("library")
        if va != vb and library not in libs_a and library != "python":
            changed.append(f"codec {name} {va} vs {vb}")
    if changed:
        out.append("library versions (" + ", ".join(changed) + ")")
    return out


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def warning(comparison: Comparison) -> str:
    """One line: what differs, and what that means for the ratios; "" when nothing does."""
    if not comparison.differences:
        return ""
    return ("warning: the runs differ in " + "; ".join(comparison.differences)
            + ": ratios mix the change you made with these")


def _rows(comparison: Comparison, ascii_only: bool) -> list[list[str]]:
    micro, times = ("us", "x") if ascii_only else ("µs", fmt.TIMES)
    rows = []
    for c in comparison.cells:
        rows.append([
            c.codec, c.measure, c.payload,
            _time(c.a, micro), _time(c.b, micro),
            fmt.ratio(c.ratio, times) if c.ratio else "",
            c.ratio.label if c.ratio else c.note,
        ])
    return rows


def _time(cell: Cell | None, micro: str) -> str:
    if cell is None or not cell.rankable:
        return ""
    text = fmt.seconds(cell.mean_s, micro)
    if cell.stdev_s is not None:
        text += f" +- {fmt.seconds(cell.stdev_s, micro)}"
    return text


HEADER = ("codec", "measure", "payload", "A", "B", "B/A", "significance")


def tally(comparison: Comparison) -> str:
    """How many cells got faster or slower (significantly), and how many could not be paired."""
    paired = [c.ratio for c in comparison.cells if c.ratio is not None]
    faster = sum(1 for r in paired if r.significant and r.value < 1)
    slower = sum(1 for r in paired if r.significant and r.value > 1)
    unclear = len(paired) - faster - slower
    unpaired = len(comparison.cells) - len(paired)
    return (f"{len(paired)} cells compared: {faster} significantly faster in B, {slower} "
            f"significantly slower, {unclear} not significant or unknown; {unpaired} not "
            "comparable.")


def format_terminal(comparison: Comparison) -> str:
    """The comparison as a plain-text (ASCII) table with a tally and the warning, if any."""
    lines = [f"A: {comparison.a.directory}  ({comparison.a.environment.get('start', '?')})",
             f"B: {comparison.b.directory}  ({comparison.b.environment.get('start', '?')})"]
    if warn := warning(comparison):
        lines.append(warn)
    lines += ["", format_table(HEADER, _rows(comparison, ascii_only=True)), "",
              tally(comparison),
              "B/A below 1: B is faster. '~': not significant; '?': too few values to tell.",
              "pyperf works on the same files: python -m pyperf compare_to A/<codec>.json "
              "B/<codec>.json"]
    return "\n".join(lines)


def format_markdown(comparison: Comparison) -> str:
    """The comparison as Markdown: the warning as a quote, then the table and the tally."""
    lines = [f"**A**: `{comparison.a.directory}` ({comparison.a.environment.get('start', '?')})"
             "  ",
             f"**B**: `{comparison.b.directory}` ({comparison.b.environment.get('start', '?')})",
             ""]
    if warn := warning(comparison):
        lines += [f"> **{warn}**", ""]
    lines.append("| " + " | ".join(HEADER) + " |")
    lines.append("|" + "|".join("---" for _ in HEADER) + "|")
    for row in _rows(comparison, ascii_only=False):
        lines.append("| " + " | ".join(v.replace("|", "\\|") for v in row) + " |")
    lines += ["", tally(comparison),
              "B/A below 1: B is faster; ≈: not significant; ?: too few values to tell.", ""]
    return "\n".join(lines)
