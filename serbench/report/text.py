"""Words and numbers shared by the HTML and Markdown reports: formatting, the environment block,
how to read the report and its caveats (the same text in both formats)."""

from __future__ import annotations

from typing import Any

from serbench.report.data import REFERENCE, TRANSPORT_FLOOR, Run
from serbench.report.significance import Ratio

TIMES = "\N{MULTIPLICATION SIGN}"

PIN_WORDS = {
    "same": "client and server pinned to the same CPU (they take turns; no parallelism)",
    "split": "client and server pinned to different CPUs",
    "none": "client and server not pinned (the scheduler places them)",
}


def seconds(value: float | None, micro: str = "µs") -> str:
    """A duration with a unit chosen for it: `12.3 µs`, `4.56 ms` (`micro="us"`: ASCII)."""
    if value is None:
        return ""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), (micro, 1e-6)):
        if abs(value) >= scale:
            return f"{value / scale:.3g} {unit}"
    return f"{value / 1e-9:.3g} ns"


def count(value: float | None, unit: str = "") -> str:
    """A rate or size in engineering steps: `212k msg/s`, `8.29 MB/s`."""
    if value is None:
        return ""
    for suffix, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= scale:
            return f"{value / scale:.3g}{suffix}{unit}"
    return f"{value:.3g}{unit}"


def nbytes(value: int | None) -> str:
    """Bytes, exactly below 10 kB, else in kB/MB."""
    if value is None:
        return ""
    if value < 10_000:
        return f"{value} B"
    if value < 10_000_000:
        return f"{value / 1e3:.1f} kB"
    return f"{value / 1e6:.1f} MB"


def ratio(value: Ratio | None, times: str = TIMES) -> str:
    """`0.62x`, followed by `≈` (`~` in ASCII) when the difference is not significant."""
    if value is None:
        return ""
    text = f"{value.value:.2f}{times}"
    if value.significant is False:
        text += " ≈" if times == TIMES else " ~"
    elif value.significant is None:
        text += " ?"
    return text


def measure_title(measure: str) -> str:
    """`roundtrip/tcp` -> `round trip (tcp)`."""
    scenario, _, transport = measure.partition("/")
    name = {"roundtrip": "round trip"}.get(scenario, scenario)
    return f"{name} ({transport})" if transport else name


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
    date = f"{env.get('start', '?')} to {env.get('end', '?')}"
    if env.get("resumed"):
        date += f" (resumed {env['resumed']})"
    items.append(("Date", f"{date}; run {env.get('status', 'status unknown')}"))
    commit = env.get("serbench_commit") or "not a git checkout"
    items.append(("serbench", f"{env.get('serbench_version', '?')} (commit {commit})"))
    matrix = env.get("matrix")
    if isinstance(matrix, dict):
        budget = matrix.get("budget") or {}
        text = str(matrix.get("source", "?"))
        if isinstance(budget, dict) and budget:
            text += "; budget " + ", ".join(f"{k}={v}" for k, v in budget.items())
        items.append(("Matrix", text))
    if env.get("pyperf_args"):
        items.append(("pyperf options", " ".join(str(a) for a in env["pyperf_args"])))
    start, end = env.get("load_average_start"), env.get("load_average_end")
    if start or end:
        items.append(("Load average", f"{_load(start)} at start, {_load(end)} at end"))
    return items


def _load(value: Any) -> str:
    if not isinstance(value, list) or not value:
        return "?"
    return "/".join(f"{v:.2f}" for v in value)


def how_to_read(run: Run) -> list[str]:
    """The "how to read this" paragraphs."""
    reference = run.reference or "the first codec"
    return [
        "Every figure is a time per call; lower is faster. A ratio divides a codec's mean time "
        f"by {reference}'s for the same payload and measure: {reference} is 1.0{TIMES}, "
        f"0.5{TIMES} takes half the time, 2.0{TIMES} twice as long. \"≈\" marks a difference "
        "that is not significant (pyperf's t-test at 95% on the per-process values, as "
        "`pyperf compare_to` does); \"?\" marks a cell with too few values to tell.",
        "Round trip: the client encodes a request and sends it over a loopback socket; a "
        "server in another process decodes it and encodes a reply of the same payload; the "
        "client decodes the reply. Percentiles are pooled over every request of every worker "
        "process. Stream: frames back to back, the server decodes each and acknowledges the "
        "batch; figures are per message. Encode and decode: in-process, no socket: what the "
        "codec itself costs.",
        "Fidelity comes first: each codec x payload is round-tripped once before timing and "
        "classed exact, lossy (equal after a documented normalisation, e.g. tuple to list), "
        "unsupported or wrong. Only exact and lossy cells are timed and ranked; lossy ones are "
        f"marked. The `{TRANSPORT_FLOOR}` codec ships {REFERENCE}'s bytes without encoding "
        "anything: it is the transport's own cost, a floor to read other figures against, never a "
        "contender.",
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
        "when machine, Python or library versions differ.",
        "Few pyperf values per cell (see the budget above) make significance tests weak: "
        "\"not significant\" means \"not shown by this run\", not \"equal\".",
    ]
