"""The report's words, the same in report.html and report.md: the environment block, how to
read the report, its caveats, and the banner of a suspect run."""

from __future__ import annotations

from typing import Any

from serbench.common.vocabulary import FLOOR_CODEC, P999_MIN_SAMPLES, REFERENCE_CODEC
from serbench.report import trust
from serbench.report.basis import basis
from serbench.report.data import Run
from serbench.report.text import FEW_SAMPLES_MARK, LEVEL, SUSPECT_MARK

PIN_WORDS = {
    "same": "client and server pinned to the same CPU (they take turns; no parallelism)",
    "split": "client and server pinned to different CPUs",
    "none": "client and server not pinned (the scheduler places them)",
}


def environment_items(env: dict[str, Any]) -> list[tuple[str, str]]:
    """The environment block as (label, value) pairs, in reading order."""
    items: list[tuple[str, str]] = []
    affinity = env.get("cpu_affinity")
    machine = f"{env.get('cpu_model', 'unknown CPU')}, {env.get('cpu_count', '?')} CPUs"
    if affinity:
        machine += f" (affinity {', '.join(str(c) for c in affinity)})"
    items.append(("Machine", machine))
    items.append(("OS", str(env.get("os", "unknown"))))
    python = f"{env.get('python_implementation', 'Python')} {env.get('python', '?')}"
    if env.get("python_build"):
        python += f" ({env['python_build']})"
    items.append(("Python", python))
    libraries = env.get("libraries")
    if isinstance(libraries, dict):
        items.append(("Libraries", ", ".join(
            f"{name} {version}" if version else f"{name} (not installed)"
            for name, version in sorted(libraries.items()))))
    if env.get("pickle_protocol") is not None:
        items.append(("pickle protocol", str(env["pickle_protocol"])))
    pin = str(env.get("pin", "?"))
    items.append(("CPU pinning", f"{pin}: {PIN_WORDS.get(pin, 'as recorded')}"))
    gc = str(env.get("gc", "?"))
    items.append(("GC", {"on": "on (gc.freeze() after set-up)", "off": "off while timing"}
                  .get(gc, gc)))
    malloc = env.get("malloc")
    if isinstance(malloc, dict):
        items.append(("Allocator", f"{malloc.get('policy')}: {malloc.get('settings')}"
                      + (f"; GLIBC_TUNABLES={malloc['GLIBC_TUNABLES']}"
                         if malloc.get("GLIBC_TUNABLES") else "")))
    date = f"{env.get('start', '?')} to {env.get('end', '?')}"
    if env.get("resumed"):
        date += f" (resumed {env['resumed']})"
    items.append(("Date", f"{date}; run {env.get('status', 'status unknown')}"))
    commit = env.get("serbench_commit") or "not a git checkout"
    items.append(("serbench", f"{env.get('serbench_version', '?')} (commit {commit})"))
    items.append(("Results format", basis(env).format_words))
    matrix = env.get("matrix")
    if isinstance(matrix, dict):
        budget = matrix.get("budget") or {}
        text = str(matrix.get("source", "?"))
        if isinstance(budget, dict) and budget:
            text += "; budget " + ", ".join(f"{k}={v}" for k, v in budget.items())
        items.append(("Matrix", text))
    if env.get("pyperf_args"):
        items.append(("pyperf options", " ".join(str(a) for a in env["pyperf_args"])))
    items += _round_items(env)
    start, end = env.get("load_average_start"), env.get("load_average_end")
    if start or end:
        items.append(("Load average", f"{_load(start)} at start, {_load(end)} at end"))
    if env.get("measured_beside_other_run"):
        items.append(("Other runs", "another serbench run was measuring on this machine at "
                      "the same time"))
    return items


def _round_items(env: dict[str, Any]) -> list[tuple[str, str]]:
    """Rounds, time budget, drift and precision (results format 2)."""
    items = []
    rounds = trust.rounds(env)
    if rounds is not None:
        text = f"{_maybe(rounds.completed)} of {_maybe(rounds.planned)} planned completed"
        if rounds.seed is not None:
            text += f" (order seed {rounds.seed})"
        items.append(("Rounds", text))
        budget = rounds.time_budget_s
        items.append(("Time budget", "none" if budget is None else f"{budget:g} s"))
    found = trust.drift(env)
    if found is not None:
        items.append(("Drift", drift_line(found)))
    precision = trust.precision(env)
    if precision is not None:
        items.append(("Precision", "no ratio intervals yet (fewer than two rounds)"
                      if precision.median is None and precision.maximum is None else
                      f"half-width of the {LEVEL} ratio intervals: median "
                      f"{_plus_minus(precision.median)}, widest "
                      f"{_plus_minus(precision.maximum)}"))
    return items


def _maybe(value: object) -> str:
    return "?" if value is None else str(value)


def _plus_minus(half_width: float | None) -> str:
    return "?" if half_width is None else f"±{half_width:.1%}"


def drift_line(drift: trust.Drift) -> str:
    """How much the reference codec's time moved over the run, in one sentence."""
    points = drift.measured
    if len(points) < 2:
        return f"{drift.reference}: one round, no drift to measure"
    low, high = drift.spread
    return (f"{drift.reference}'s time moved {drift.first_to_last:+.1%} from round "
            f"{points[0][0]} to round {points[-1][0]} (rounds ranged {low - 1:+.1%} to "
            f"{high - 1:+.1%} from round 1)")


def _load(value: Any) -> str:
    if not isinstance(value, list) or not value:
        return "?"
    return "/".join(f"{v:.2f}" for v in value)


def warnings(run: Run) -> list[str]:
    """The banner at the top of the report: why the run is suspect (empty when it is not)."""
    if not trust.is_suspect(run):
        return []
    cells = trust.suspect_cells(run)
    headline = f"{SUSPECT_MARK} This run is suspect: read its figures with care."
    if cells:
        headline += (f" Flagged cells are marked {SUSPECT_MARK} wherever they are shown "
                     "(tables and charts).")
    return [headline, *trust.run_suspect_reasons(run),
            *(f"{c.codec} {c.measure} {c.payload}: {c.reason}"
              for c in trust.unexplained_cells(run))]


def how_to_read(run: Run) -> list[str]:
    """The "how to read this" paragraphs."""
    words = basis(run.environment, run.reference or "the first codec")
    return [
        words.ratios,
        "Round trip: the client encodes a request and sends it over a loopback socket; a "
        "server in another process decodes it and encodes a reply of the same payload; the "
        "client decodes the reply. Percentiles are pooled over every request of every worker "
        f"process; a p99.9 from fewer than {P999_MIN_SAMPLES:,} requests is little more than "
        f"the few largest, so it carries its interval or is marked {FEW_SAMPLES_MARK}. Stream: "
        "frames back to back, the server decodes each and acknowledges the batch; figures are "
        "per message. Encode and decode: in-process, no socket: what the codec itself costs.",
        "Fidelity comes first: each codec x payload is round-tripped once before timing and "
        "classed exact, lossy (equal after a documented normalisation, e.g. tuple to list), "
        "unsupported or wrong. Only exact and lossy cells are timed and ranked; lossy ones are "
        f"marked. The `{FLOOR_CODEC}` codec ships {REFERENCE_CODEC}'s bytes without encoding "
        "anything: it is the transport's own cost, a floor to read other figures against, never "
        "a contender.",
    ]


def caveats(run: Run) -> list[str]:
    """Honest limits of these figures, with this run's own facts."""
    env = run.environment
    cpus = env.get("cpu_count", "?")
    pin = str(env.get("pin", "?"))
    gc = str(env.get("gc", "?"))
    notes = []
    if env.get("status") != "complete":
        notes.append(f"This run is {env.get('status', 'of unknown status')}: some cells may "
                     "be missing; `serbench run --resume` finishes it.")
    if env.get("measured_beside_other_run"):
        notes.append("Another serbench run measured on this machine at the same time: both "
                     "competed for the CPUs, so absolute times are inflated and noisier.")
    found = trust.drift(env)
    drift_note = (f" Within this run, {drift_line(found)}." if found is not None
                  and len(found.measured) > 1 else "")
    return [
        *notes,
        f"{cpus} CPUs ({env.get('cpu_model', 'unknown CPU')}) shared by client, server and "
        "the OS (and, on a virtual machine, by other tenants); "
        f"{PIN_WORDS.get(pin, 'pinning ' + pin)}.",
        "Loopback is not a network: no bandwidth limit, no propagation delay, no loss. On a "
        "real link the transport's share grows and the encoded size matters more.",
        f"GC {gc}: collections land inside some requests, which shows in the tail "
        "percentiles, as it would in a service.",
        "Absolute times drift between runs and machines (frequency scaling, other tenants): "
        "compare ratios within one run, and across runs use `serbench compare`, which warns "
        f"when machine, Python or library versions differ.{drift_note}",
        basis(env).strength,
    ]
