"""A worker's command line: pyperf's worker protocol with serbench's cell options.

serbench plays pyperf's manager: each worker is `python -m serbench.cells.cell --worker` with
the loops, values and warm-ups chosen here, so every value in the results is pyperf's own
measurement, and the worker's run carries the round it belongs to.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from serbench.common.cell import Cell
from serbench.common.vocabulary import MALLOC_STEADY, SOCKET_SCENARIOS
from serbench.runner.probe import CodecOnPayload
from serbench.transport import placement

if TYPE_CHECKING:
    from serbench.transport.link.spec import LinkSpec


@dataclass(frozen=True)
class WorkerBudget:
    """What each worker process measures: warm-ups, then values of `loops` iterations
    (loops from serbench's in-process estimate and `min_time` unless fixed)."""

    values: int
    warmups: int
    min_time: float
    loops: int | None = None
    min_samples: int = 0
    #: `HOST:PORT` of a `serbench serve` the socket scenarios use instead of forking their own
    #: server (`serbench run --connect`), and the file holding its secret.
    connect: str | None = None
    secret_file: str | None = None


def loops_for(w: WorkerBudget, cell: Cell, prep: CodecOnPayload, min_rounds: int,
              link: LinkSpec | None = None) -> int:
    """Loops per value: fixed, or from the in-process estimate (plus what the run's `link`
    adds on the wire) so a value lasts about `min_time`; round trips get enough for
    `min_samples` latencies over `min_rounds` rounds."""
    if w.loops:
        return w.loops
    size = prep.fidelity.encoded_bytes or 0
    per_message = (prep.cost.per_message(cell.scenario, size, cell.transport) if prep.cost
                   else 1e-3)
    if link is not None and cell.transport == "tcp" and cell.scenario in SOCKET_SCENARIOS:
        per_message += link.wire_s(cell.scenario, size)
    batch = prep.stream_batch() if cell.scenario == "stream" else 1
    loops = math.ceil(w.min_time / max(per_message * batch, 1e-9))
    if cell.scenario == "roundtrip" and w.min_samples:
        loops = max(loops, math.ceil(w.min_samples / (min_rounds * w.values)))
    return max(1, loops)


def worker_command(cell: Cell, prep: CodecOnPayload, w: WorkerBudget, loops: int, pin: str,
                   gc: str, number: int, output: Path, samples_dir: Path,
                   payload_cache: Path | None = None,
                   codec_target: str | None = None,
                   link_endpoints: str | None = None,
                   malloc: str = MALLOC_STEADY) -> list[str]:
    """`python -m serbench.cells.cell --worker ...` for one cell in one round (across the
    run's link when `link_endpoints` is given: serbench.transport.link.endpoints)."""
    cmd = [sys.executable, "-m", "serbench.cells.cell", "--worker", "--worker-task=0",
           "--codec", cell.codec, "--payload", cell.payload, "--scenario", cell.scenario,
           "--bench-name", cell.name(prep.payload.label), "--pin", pin, "--gc", gc,
           "--malloc", malloc, "--round", str(number), "--samples-dir", str(samples_dir),
           "--output", str(output),
           "--quiet", "--loops", str(loops), "--values", str(w.values),
           "--warmups", str(w.warmups)]
    if cell.transport:
        cmd += ["--transport", cell.transport]
        if w.connect is not None and w.secret_file is not None:
            cmd += ["--connect", w.connect, "--secret-file", w.secret_file]
    if payload_cache is not None:
        cmd += ["--payload-cache", str(payload_cache)]
    if codec_target is not None:
        cmd += ["--codec-target", codec_target]
    if cell.scenario == "stream":
        cmd += ["--stream-batch", str(prep.stream_batch())]
    if link_endpoints is not None and cell.transport == "tcp":
        cmd += ["--link-endpoints", link_endpoints]
    client_cpu = placement.cpus_for(pin)[0]
    if client_cpu is not None:
        # pyperf re-pins its workers (to --affinity, or to isolated CPUs it detects) after
        # set-up: give it the client's CPU so the placement stays what we record.
        cmd.append(f"--affinity={client_cpu}")
    return cmd
