"""What `serbench compare` prints: the cell table, the tally, the agreement of the two runs
and the environment warning, as plain ASCII for a terminal or as Markdown."""

from __future__ import annotations

from serbench.common.vocabulary import REFERENCE_CODEC
from serbench.report.compare import CellComparison, Comparison
from serbench.report.text import seconds
from serbench.stats.intervals import Interval


def warning(comparison: Comparison) -> str:
    """One line: what differs, and what that means for the ratios; "" when nothing does."""
    if not comparison.differences:
        return ""
    return ("warning: the runs differ in " + "; ".join(comparison.differences)
            + ": ratios mix the change you made with these")


HEADER = ("codec", "benchmark", "A", "B", "B/A [95 % interval]", "verdict")


def _interval_text(interval: Interval | None) -> str:
    if interval is None:
        return ""
    if not interval.known:
        return f"{interval.estimate:.3f}"
    return f"{interval.estimate:.3f} [{interval.low:.3f}, {interval.high:.3f}]"


def _verdict(cell: CellComparison) -> str:
    if cell.ratio is None:
        return cell.note
    if not cell.ratio.known:
        return "? (one process a side)"
    if not cell.significant:
        return "same"
    return "faster in B" if cell.faster else "slower in B"


def _rows(comparison: Comparison) -> list[list[str]]:
    rows = []
    for c in comparison.cells:
        codec, scenario, transport, payload = c.key
        bench = "/".join(x for x in (scenario, transport, payload) if x)
        rows.append([codec, bench, seconds(c.a_mean, "us"), seconds(c.b_mean, "us"),
                     _interval_text(c.ratio), _verdict(c)])
    return rows


def tally(comparison: Comparison) -> str:
    """How many cells got faster or slower beyond their interval."""
    paired = [c for c in comparison.cells if c.ratio is not None and c.ratio.known]
    faster = sum(1 for c in paired if c.faster)
    slower = sum(1 for c in paired if c.significant and not c.faster)
    share = (faster + slower) / len(paired) if paired else 0.0
    unpaired = len(comparison.cells) - len(paired)
    if comparison.factor is None:
        basis = "absolute times"
    else:
        basis = (f"relative to the whole run: B/A is {comparison.factor:.3f} over all cells "
                 "(the machine's drift between the runs, or a change that touches every "
                 "cell; --absolute judges absolute times)")
    return (f"{len(paired)} cells compared: {faster} faster in B, {slower} slower beyond their "
            f"95 % interval ({100 * share:.1f} % flagged; two runs of the same code flag about "
            f"5 % by chance), the rest the same; {unpaired} without an interval. Verdicts are "
            f"{basis}.")


def agreement_lines(comparison: Comparison, ascii_only: bool = False) -> list[str]:
    """The agreement of the two runs' ratios to pickle and orderings, in words."""
    ag = comparison.agreement
    pm = "+-" if ascii_only else "±"
    if not ag.ratios_compared:
        return ["No ratio to pickle in both runs."]
    lines = [f"Ratios to {REFERENCE_CODEC}: {ag.within} of {ag.ratios_compared} "
             f"({100 * ag.within / ag.ratios_compared:.1f} %) agree within {pm}10 %, "
             f"{ag.within_5} ({100 * ag.within_5 / ag.ratios_compared:.1f} %) within {pm}5 %; "
             f"median change {100 * (ag.median_change or 0):.1f} %"
             + (f", largest {100 * ag.worst[1]:+.1f} % ({ag.worst[0]})" if ag.worst else "")
             + ".",
             f"Orderings: {len(ag.contradictions)} of {ag.pairs_checked} codec pairs swap "
             "places while either run calls their difference significant (family-wise 95 % "
             "within each group)."]
    lines += [f"  {c}" for c in ag.contradictions[:20]]
    return lines


def format_terminal(comparison: Comparison) -> str:
    """The comparison as a plain-text table with a tally, the agreement and any warning."""
    from tabulate import tabulate

    lines = [f"A: {comparison.a.directory}  ({comparison.a.environment.get('start', '?')})",
             f"B: {comparison.b.directory}  ({comparison.b.environment.get('start', '?')})"]
    if warn := warning(comparison):
        lines.append(warn)
    lines += ["", tabulate(_rows(comparison), headers=HEADER, disable_numparse=True), "",
              tally(comparison), *agreement_lines(comparison, ascii_only=True),
              "B/A below 1: B is faster. Intervals treat each worker process as one "
              "observation.",
              "pyperf works on the same files: python -m pyperf compare_to A/<codec>.json "
              "B/<codec>.json"]
    return "\n".join(lines)


def format_markdown(comparison: Comparison) -> str:
    """The comparison as Markdown: the warning as a quote, then the table, tally, agreement."""
    from tabulate import tabulate

    lines = [f"**A**: `{comparison.a.directory}` ({comparison.a.environment.get('start', '?')})"
             "  ",
             f"**B**: `{comparison.b.directory}` ({comparison.b.environment.get('start', '?')})",
             ""]
    if warn := warning(comparison):
        lines += [f"> **{warn}**", ""]
    lines += [tabulate(_rows(comparison), headers=HEADER, tablefmt="github",
                       disable_numparse=True), "", tally(comparison), "",
              *agreement_lines(comparison), "",
              "B/A below 1: B is faster.", ""]
    return "\n".join(lines)
