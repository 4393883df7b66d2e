"""Run a matrix cell by cell, pyperformance style: each cell is a subprocess (a pyperf
program); a failing cell is recorded with its error and the run goes on; each finished cell is
on disk at once; an interrupted run keeps what it measured and `--resume` fills in the rest.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from serbench import budget, environment, fidelity, results
from serbench.bench.cell import stream_batch
from serbench.codecs import Codec, CodecUnavailable, get_codec, joined
from serbench.codecs.pickle_family import PROTOCOL
from serbench.matrix import Cell, Matrix, expand
from serbench.payloads import MadePayload, make_payload
from serbench.stats import latency_percentiles
from serbench.transport import placement

DEFAULT_CELL_TIMEOUT_S = 900.0
#: Marks a returned row that `--resume` kept from the earlier run (never written to disk).
KEPT = "kept"


class Interrupted(Exception):
    """SIGTERM (or SIGINT) arrived: stop after cleaning up, keeping finished cells."""


@dataclass
class RunPlan:
    """A run: the matrix, where results go, and how to drive pyperf."""

    matrix: Matrix
    outdir: Path
    pyperf_args: list[str] = field(default_factory=list)
    resume: bool = False
    cell_timeout_s: float = DEFAULT_CELL_TIMEOUT_S
    progress: Callable[[str], None] = print


@dataclass
class _Prepared:
    """Per codec x payload: what fidelity said and the in-process cost (for the budget)."""

    fidelity: fidelity.Fidelity
    codec: Codec | None
    payload: MadePayload
    cost: budget.CodecCost | None = None
    zlib_bytes: int | None = None
    reference_bytes: int | None = None


def row_key(row: dict[str, Any]) -> tuple[str, str, str, str]:
    """Identity of a summary row: codec, scenario, transport, payload label."""
    return (str(row["codec"]), str(row["scenario"]), str(row.get("transport") or ""),
            str(row["payload"]))


def run(plan: RunPlan) -> list[dict[str, Any]]:
    """Run every cell of the plan; returns the summary rows (also written to summary.csv)."""
    out = plan.outdir
    results.check_writable(out)
    env = environment.collect({"matrix": plan.matrix.to_dict(), "pyperf_args": plan.pyperf_args,
                               "pin": plan.matrix.pin, "gc": plan.matrix.gc})
    kept: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    if plan.resume and (out / results.SUMMARY).exists():
        kept = {row_key(r): dict(r) for r in results.read_summary(out)
                if r["status"] in (results.OK, results.SKIPPED)}
        # A corrupt suite file would only show when the first new cell is merged into it:
        # refuse it now, before anything runs. A kept `ok` row whose benchmark is not in its
        # suite file (deleted by hand) is measured again.
        measured: dict[str, set[str]] = {}
        for codec in sorted({k[0] for k in kept} | set(plan.matrix.codecs)):
            path = results.suite_path(out, codec)
            if path.exists():
                measured[codec] = {b.get_name() for b in results.load_suite(path)
                                   .get_benchmarks()}
        kept = {k: r for k, r in kept.items() if r["status"] == results.SKIPPED
                or r.get("benchmark") in measured.get(k[0], set())}
        with contextlib.suppress(results.ResultsError):
            env["start"] = results.read_environment(out).get("start", env["start"])
        env["resumed"] = environment.now_iso()
    env["status"] = "running"
    results.write_environment(out, env)

    cells = expand(plan.matrix)
    rows: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    prepared: dict[tuple[str, str], _Prepared] = {}
    payloads: dict[str, MadePayload] = {}
    started = time.monotonic()
    timed_done = 0
    previous = signal.signal(signal.SIGTERM, _raise_interrupted)
    try:
        for index, cell in enumerate(cells, 1):
            prep = _prepare(cell, prepared, payloads)
            name = cell.name(prep.payload.label)
            key = (cell.codec, cell.scenario, cell.transport or "", prep.payload.label)
            if key in kept:
                rows[key] = {**kept[key], KEPT: True}  # not a summary column
                plan.progress(f"[{index}/{len(cells)}] {cell.codec} {name}: kept from the "
                              "earlier run")
                continue
            t0 = time.monotonic()
            row = _run_cell(plan, cell, name, prep)
            rows[key] = row
            results.write_summary(out, _ordered(rows, kept))
            if row["status"] != results.SKIPPED:
                timed_done += 1
            plan.progress(_progress_line(index, len(cells), cell.codec, name, row,
                                         time.monotonic() - t0, started, timed_done,
                                         _remaining_timed(cells[index:], prepared)))
    except (KeyboardInterrupt, Interrupted):
        env["status"] = "interrupted"
        raise
    else:
        env["status"] = "complete"
    finally:
        signal.signal(signal.SIGTERM, previous)
        env["end"] = environment.now_iso()
        env["load_average_end"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
        env["codecs"] = {n: _codec_info(p.codec) for (n, _), p in prepared.items()
                         if p.codec is not None}
        results.write_environment(out, env)
    return _ordered(rows, kept)


def _raise_interrupted(signum: int, frame: object) -> None:
    raise Interrupted(f"received signal {signum}")


def _ordered(rows: dict[Any, dict[str, Any]], kept: dict[Any, dict[str, Any]]
             ) -> list[dict[str, Any]]:
    """This run's rows in cell order, then earlier rows this run did not reach."""
    return [*rows.values(), *(r for k, r in kept.items() if k not in rows)]


def _codec_info(codec: Codec) -> dict[str, Any]:
    return {"library": codec.library, "version": codec.version, "options": codec.options,
            "call_path": codec.call_path, **codec.capabilities()}


def _prepare(cell: Cell, cache: dict[tuple[str, str], _Prepared],
             payloads: dict[str, MadePayload]) -> _Prepared:
    """Fidelity and a rough cost estimate per codec x payload, once, outside any timing."""
    key = (cell.codec, cell.payload)
    if key in cache:
        return cache[key]
    if cell.payload not in payloads:
        payloads[cell.payload] = make_payload(cell.payload)
    made = payloads[cell.payload]
    try:
        codec = get_codec(cell.codec)
    except CodecUnavailable as exc:
        prep = _Prepared(fidelity.Fidelity(cell.codec, made.label, fidelity.UNSUPPORTED,
                                           f"codec unavailable: {exc}"), None, made)
        cache[key] = prep
        return prep
    result = fidelity.check(codec, made.label, made.obj)
    prep = _Prepared(result, codec, made)
    if result.timed:
        obj = codec.prepared(made.obj)
        encoded = joined(codec.encode(obj))
        prep.cost = budget.measure(codec.encode, obj, codec.decode, memoryview(encoded))
        prep.zlib_bytes = len(zlib.compress(encoded))
    prep.reference_bytes = len(pickle.dumps(made.obj, protocol=PROTOCOL))
    cache[key] = prep
    return prep


def _base_row(cell: Cell, prep: _Prepared, name: str) -> dict[str, Any]:
    return {
        "codec": cell.codec, "scenario": cell.scenario, "transport": cell.transport or "",
        "payload": prep.payload.label, "payload_spec": prep.payload.spec,
        "payload_size": prep.payload.size, "benchmark": name,
        "fidelity": prep.fidelity.status, "losses": ", ".join(prep.fidelity.losses),
        "encoded_bytes": prep.fidelity.encoded_bytes, "zlib_bytes": prep.zlib_bytes,
        "reference_bytes": prep.reference_bytes,
        "library": prep.codec.library if prep.codec else "",
        "version": prep.codec.version if prep.codec else "",
    }


def _budget_args(plan: RunPlan, cell: Cell, prep: _Prepared) -> list[str]:
    """The matrix budget as pyperf options for this cell (see `serbench.budget`)."""
    size = prep.fidelity.encoded_bytes or 0
    per_message = prep.cost.per_message(cell.scenario, size) if prep.cost else 1e-3
    batch = _stream_batch(prep) if cell.scenario == "stream" else 1
    return budget.pyperf_args(plan.matrix.budget, plan.pyperf_args, cell.scenario,
                              per_message, batch)


def _stream_batch(prep: _Prepared) -> int:
    """One batch size per payload (from its pickle size), the same for every codec."""
    return stream_batch(prep.reference_bytes or prep.fidelity.encoded_bytes or 1)


def _run_cell(plan: RunPlan, cell: Cell, name: str, prep: _Prepared) -> dict[str, Any]:
    row = _base_row(cell, prep, name)
    if not prep.fidelity.timed:
        row.update(status=results.SKIPPED,
                   detail=f"{prep.fidelity.status}: {prep.fidelity.detail}")
        return row
    work = Path(tempfile.mkdtemp(prefix="serbench-cell-"))
    try:
        output = work / "bench.json"
        samples_dir = work / "samples"
        cmd = [sys.executable, "-m", "serbench.bench.cell", "--codec", cell.codec,
               "--payload", cell.payload, "--scenario", cell.scenario, "--bench-name", name,
               "--pin", plan.matrix.pin, "--gc", plan.matrix.gc,
               "--samples-dir", str(samples_dir), "--output", str(output), "--quiet"]
        if cell.transport:
            cmd += ["--transport", cell.transport]
        if cell.scenario == "stream":
            cmd += ["--stream-batch", str(_stream_batch(prep))]
        client_cpu = placement.cpus_for(plan.matrix.pin)[0]
        if client_cpu is not None:
            # pyperf re-pins its workers (to --affinity, or to isolated CPUs it detects)
            # after set-up: give it the client's CPU so the placement stays what we record.
            cmd.append(f"--affinity={client_cpu}")
        cmd += _budget_args(plan, cell, prep) + plan.pyperf_args
        error = run_cell_program(cmd, work / "log.txt", plan.cell_timeout_s)
        if error:
            row.update(status=results.FAILED, detail=error)
            return row
        return _record(plan.outdir, cell, name, prep, row, output, samples_dir)
    finally:
        with _signals_held():
            shutil.rmtree(work, ignore_errors=True)


def run_cell_program(cmd: list[str], log_path: Path, timeout_s: float) -> str | None:
    """Run a cell program in its own session; None on success, else the reason.

    The cell's temporary files (the server's directory and log, its Unix socket) go to the
    cell's work directory: `TMPDIR` for the pyperf manager, `TEMP` for its workers (pyperf
    passes `TEMP` on, not `TMPDIR`), so removing that directory removes everything the cell
    made, even when its processes were killed before they could clean up.
    """
    env = dict(os.environ, TMPDIR=str(log_path.parent), TEMP=str(log_path.parent))
    with open(log_path, "wb") as log:
        # A Ctrl-C inside Popen() would leave a started cell that nobody knows the pid of:
        # hold SIGINT/SIGTERM back until `proc` exists, then deliver them where the cell's
        # process group is killed.
        with _signals_deferred() as pending:
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True,
                                    close_fds=True, env=env)
        try:
            for signum in pending:
                os.kill(os.getpid(), signum)  # its handler raises at the next bytecode
            code = proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            return f"timed out after {timeout_s:g} s (the cell's processes were killed)"
        except BaseException:
            _kill_group(proc)
            raise
        # A worker or server that outlived the cell's manager has no business running on.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
    if code == 0:
        return None
    return failure_reason(code, log_path.read_text(errors="replace"))


#: Exceptions of the transport, with what they mean for a cell.
_TRANSPORT_HINTS = {
    "PeerClosed": "the scenario server closed the connection or died",
    "PeerTimeout": "the scenario server stopped answering",
    "FrameTooLarge": "a frame exceeded the maximum frame size",
    "HandshakeFailed": "the client and server did not agree on the run's secret",
    "ServerFailed": "the scenario server did not start or died",
}
_EXCEPTION_LINE = re.compile(r"^(?:[A-Za-z_][\w]*\.)*([A-Za-z_]\w*(?:Error|Exception|Closed|"
                             r"Timeout|TooLarge|Failed|Interrupt|Exit))(?::\s*(.*))?$")


def failure_reason(code: int, log_text: str) -> str:
    """One line saying why a cell program failed: the worker's own exception when there is
    one (not pyperf's "worker failed with exit code"), else the log's last lines."""
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by signal {signal.Signals(-code).name}"
    lines = log_text.strip().splitlines()
    found: list[tuple[str, str, str]] = []
    for line in lines:
        match = _EXCEPTION_LINE.match(line)
        if match and not line.startswith(" "):
            found.append((line, match.group(1), match.group(2) or ""))
    useful = [f for f in found if not (f[1] == "RuntimeError" and "failed with exit code"
                                       in f[2])]
    if useful:
        line, name, _ = useful[-1]
        hint = _TRANSPORT_HINTS.get(name)
        return f"exit code {code}: {line.strip()[:400]}" + (f" ({hint})" if hint else "")
    kept = [line for line in lines if line.strip() and not line.startswith("  File ")
            and not set(line.strip()) <= set("^~ ")]
    return f"exit code {code}: " + " | ".join(kept[-3:])[-600:]


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Stop a cell and everything it started (pyperf workers, servers): TERM, then KILL.

    SIGINT and SIGTERM are held back meanwhile (a second Ctrl-C must not leave the cell's
    processes running); they are delivered when this returns.
    """
    with _signals_held():
        for sig, wait_s in ((signal.SIGTERM, 3.0), (signal.SIGKILL, 5.0)):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, sig)
            try:
                proc.wait(timeout=wait_s)
                break
            except subprocess.TimeoutExpired:
                continue
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # stragglers whose parent already exited


_HELD = {signal.SIGINT, signal.SIGTERM}


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Block SIGINT and SIGTERM in this thread (the kernel keeps them pending) for a step that
    must not be cut short; they are delivered when the block ends. Start no process inside:
    a child would inherit the mask."""
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


@contextlib.contextmanager
def _signals_deferred() -> Iterator[list[int]]:
    """Record SIGINT and SIGTERM instead of acting on them (Python-level handlers, which
    `exec` resets in a child, unlike a blocked mask); yields the list of what arrived."""
    pending: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield pending
        return

    def record(signum: int, frame: object) -> None:
        pending.append(signum)

    previous = {sig: signal.signal(sig, record) for sig in _HELD}
    try:
        yield pending
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, signal.SIG_DFL if handler is None else handler)


def _record(outdir: Path, cell: Cell, name: str, prep: _Prepared, row: dict[str, Any],
            output: Path, samples_dir: Path) -> dict[str, Any]:
    """Merge the cell's benchmark into the codec's suite and fill its summary row."""
    import numpy as np

    suite = results.load_suite(output)
    bench = suite.get_benchmarks()[0]
    mean = bench.mean()
    row.update(status=results.OK, mean_s=mean, values=bench.get_nvalue(),
               stdev_s=bench.stdev() if bench.get_nvalue() > 1 else None)
    extra: dict[str, Any] = {"serbench_fidelity": prep.fidelity.status}
    if prep.fidelity.losses:
        extra["serbench_losses"] = ", ".join(prep.fidelity.losses)
    if cell.scenario == "roundtrip":
        chunks = [np.fromfile(p, dtype=np.int64) for p in sorted(samples_dir.glob("*.ns"))]
        pooled = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int64)
        if pooled.size:
            target = results.samples_path(outdir, cell.codec, name)
            results.atomic_write(target, lambda out: np.save(out, pooled))
            pct = latency_percentiles(pooled)
            row.update({f"{k}_s": v for k, v in pct.items()}, samples=int(pooled.size))
            extra.update({f"serbench_{k}_s": v for k, v in pct.items()},
                         serbench_samples=int(pooled.size))
    else:
        per_s = 1.0 / mean
        size = row["encoded_bytes"] or 0
        items = len(prep.payload.obj) if isinstance(prep.payload.obj, list) else 1
        row.update(msgs_per_s=per_s, mb_per_s=size * per_s / 1e6)
        if cell.scenario == "stream":
            row.update(objects_per_s=per_s * items)
    bench.update_metadata(extra)
    results.add_benchmark(outdir, cell.codec, bench)
    return row


def _remaining_timed(cells: list[Cell], prepared: dict[tuple[str, str], _Prepared]) -> int:
    """Cells left that will be timed (fidelity unknown yet counts as timed)."""
    count = 0
    for cell in cells:
        prep = prepared.get((cell.codec, cell.payload))
        if prep is None or prep.fidelity.timed:
            count += 1
    return count


def _progress_line(index: int, total: int, codec: str, name: str, row: dict[str, Any],
                   took: float, started: float, timed_done: int, timed_left: int) -> str:
    elapsed = time.monotonic() - started
    eta = elapsed / timed_done * timed_left if timed_done else 0.0
    if row["status"] == results.OK:
        what = _format_seconds(row["mean_s"])
        if row.get("stdev_s"):
            what += f" +- {_format_seconds(row['stdev_s'])}"
        if row.get("p99_s"):
            what += f" (p99 {_format_seconds(row['p99_s'])})"
    else:
        what = f"{row['status']}: {row.get('detail', '')}"[:120]
    return (f"[{index}/{total}] {codec} {name}: {what}  [{took:.1f} s; elapsed "
            f"{_clock(elapsed)}, ETA {_clock(eta)}]")


def _format_seconds(value: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if value >= scale:
            return f"{value / scale:.3g} {unit}"
    return f"{value / 1e-9:.3g} ns"


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"
