"""One matrix cell as a pyperf program: `python -m serbench.cells.cell --codec ... [pyperf flags]`.

Each cell is its own program with exactly one benchmark, so pyperf's workers can never measure
another benchmark than the one they are labelled with, and a crashing cell takes nothing else
down. Every cell option is forwarded to the workers (`add_cmdline_args`).

Set-up (payload generation, codec construction, server start, connection, handshake) happens in
each worker before `bench_time_func`; the server is stopped when the worker ends, also on errors.
Each worker appends its measured (non-warm-up) per-request latencies to `--samples-dir` so that
percentiles can be computed from samples pooled across workers.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import time
from array import array
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyperf

from serbench.cells import loops, path_loops
from serbench.cells.allocator import apply_malloc_policy
from serbench.cells.faults import fault_counter
from serbench.cells.firsts import FirstCall, cold_metadata, first_call, timed_import
from serbench.cells.memory import measure_call
from serbench.cells.program import run_program
from serbench.cells.steady import (
    RESETTLE,
    STREAM_SETTLE,
    SettleRule,
    Warmup,
    chunk_calls,
    settle,
)
from serbench.codecs import encoded_size, get_codec, get_codec_at, joined
from serbench.codecs.bind import bound_codec
from serbench.common.vocabulary import (
    DEFAULT_MAX_FRAME,
    GC_POLICIES,
    MALLOC_POLICIES,
    MALLOC_STEADY,
    PIN_MODES,
    SCENARIO_VERSION,
    SCENARIOS,
    SOCKET_SCENARIOS,
    TRANSPORTS,
)
from serbench.payloads.cache import made_payload

# Only what the pyperf manager needs is imported here: codecs, payloads and the transport
# are imported in the worker, so the manager process starts fast.
from serbench.transport import placement
from serbench.transport.auth import read_secret_file
from serbench.transport.connection import Connection
from serbench.transport.link.endpoints import Endpoints
from serbench.transport.paths import is_path, path_metadata
from serbench.transport.protocol import parse_address
from serbench.transport.server_process import ServerProcess

STREAM_BYTES_PER_BATCH = 8 * 2**20
MAX_STREAM_BATCH = 1000


def stream_batch(encoded_bytes: int) -> int:
    """Frames per acknowledged batch: about 8 MiB of frames, between 1 and 1000."""
    return max(1, min(MAX_STREAM_BATCH, STREAM_BYTES_PER_BATCH // max(1, encoded_bytes)))


def add_cell_options(parser: argparse.ArgumentParser) -> None:
    """The cell's own options, added to pyperf's parser."""
    group = parser.add_argument_group("serbench cell")
    group.add_argument("--codec", required=True)
    group.add_argument("--payload", required=True, help="payload spec")
    group.add_argument("--scenario", required=True, choices=SCENARIOS)
    group.add_argument("--transport", choices=TRANSPORTS, default=None)
    group.add_argument("--bench-name", required=True)
    group.add_argument("--pin", choices=PIN_MODES, default="same")
    group.add_argument("--gc", choices=GC_POLICIES, default="on")
    group.add_argument("--malloc", choices=MALLOC_POLICIES, default=MALLOC_STEADY,
                       help="allocator policy (serbench.cells.allocator)")
    group.add_argument("--samples-dir", default=None)
    group.add_argument("--max-frame", type=int, default=DEFAULT_MAX_FRAME)
    group.add_argument("--io-timeout", type=float, default=30.0)
    group.add_argument("--stream-batch", type=int, default=None,
                       help="frames per acknowledged batch (default: from the encoded size); "
                            "serbench run passes one per payload so every codec gets the same")
    group.add_argument("--codec-target", default=None, metavar="MODULE:FACTORY",
                       help="where --codec is registered (serbench run resolves it once, so "
                            "workers skip the entry-point scan)")
    group.add_argument("--payload-cache", default=None, metavar="FILE",
                       help="the payload, pickled by serbench run (the same object "
                            "--payload makes, without generating it again in every worker)")
    group.add_argument("--connect", default=None, metavar="HOST:PORT",
                       help="use the `serbench serve` there (naming this cell's codec per "
                            "connection) instead of forking a server")
    group.add_argument("--secret-file", default=None, metavar="PATH",
                       help="the secret of the --connect server")
    group.add_argument("--link-endpoints", default=None, metavar="C,S,HOST:PORT,HOST:PORT",
                       help="run across serbench run's --link: the client in namespace C, "
                            "the server in S (serbench.transport.link.endpoints)")
    group.add_argument("--round", type=int, default=None,
                       help="the run's round this worker belongs to (run metadata "
                            "serbench_round: pairs codecs measured in the same round)")


_FORWARDED = ("codec", "payload", "scenario", "transport", "bench_name", "pin", "gc", "malloc",
              "samples_dir", "max_frame", "io_timeout", "stream_batch", "round",
              "payload_cache", "codec_target", "connect", "secret_file", "link_endpoints")


def main() -> None:
    """Run the cell under pyperf (manager or worker, as pyperf decides)."""
    run_program("serbench.cells.cell", add_cell_options, _FORWARDED, run_worker, _check)


def _check(runner: pyperf.Runner, args: argparse.Namespace) -> None:
    if args.scenario in SOCKET_SCENARIOS and args.transport is None:
        runner.argparser.error(f"--scenario {args.scenario} needs --transport")


def run_worker(runner: pyperf.Runner, args: argparse.Namespace,
               cleanup: contextlib.ExitStack) -> None:
    """Set up outside the timed region, hand pyperf the loop, keep the worker's samples.

    In order: the allocator policy; the codec built (its library's import, timed: the cold
    start); the server and payload; the scenario's first call, measured cold; the warm-up until
    the per-call cost settles (serbench.cells.steady); for encode and decode, an untimed memory
    pass and a second settle; then pyperf's values.
    """

    malloc_applied = apply_malloc_policy(args.malloc)
    client_cpu, server_cpu = placement.cpus_for(args.pin)
    placement.pin_self(client_cpu)
    codec, import_s = timed_import(lambda: get_codec_at(args.codec, args.codec_target)
                                   if args.codec_target else get_codec(args.codec))
    conn = path = None
    peers: list[int] = []
    path_meta: dict[str, str] = {}
    if args.scenario in SOCKET_SCENARIOS and is_path(args.transport):  # not a socket
        path = path_loops.open_cell_path(args, cleanup, server_cpu)
    elif args.scenario in SOCKET_SCENARIOS and args.connect:
        conn = cleanup.enter_context(_remote_connection(args))
    elif args.scenario in SOCKET_SCENARIOS:
        # Fork the server before the payload exists: the child then shares no payload pages
        # with the client (no copy-on-write faults in the timed loop, no doubled memory).
        link = None
        if args.link_endpoints:  # across a link: this process joins the client namespace

            link = Endpoints.from_arg(args.link_endpoints)
            link.enter_client()
        server = cleanup.enter_context(ServerProcess(
            args.codec, args.transport, cpu=server_cpu, gc_policy=args.gc,
            max_frame=args.max_frame, timeout_s=args.io_timeout, start_method="fork",
            payload=args.payload, payload_cache=args.payload_cache, link=link))
        conn = cleanup.enter_context(server.connect())
        if server.pid is not None:
            peers.append(server.pid)
    made = made_payload(args.payload, args.payload_cache)
    codec = bound_codec(codec, made)  # a schema or typed codec derives its schema here
    obj = codec.prepared(made.obj)
    encoded, first_encode = first_call(lambda: codec.encode(obj))
    size = encoded_size(encoded)
    # Only a decode cell keeps the encoding: a socket cell's heap stays as it was before.
    view = memoryview(joined(encoded)) if args.scenario == "decode" else memoryview(b"")
    batch = None
    if args.scenario == "stream":
        batch = args.stream_batch or stream_batch(size)

    samples: list[array[int]] = []
    timed: Callable[[int], float]
    first: FirstCall | None = None
    if args.scenario == "encode":
        timed, first = loops.encode_loop(codec, obj), first_encode
    elif args.scenario == "decode":
        timed = loops.decode_loop(codec, view)
        first = first_call(lambda: codec.decode(view))[1]
    elif path is not None:
        timed = path_loops.path_loop(args.scenario, codec, obj, path, size, batch, samples)
        path_meta = path_metadata(path)
        if path.pid is not None:
            peers.append(path.pid)
        if args.scenario == "roundtrip":
            first = first_call(lambda: timed(1))[1]
    elif args.scenario == "roundtrip":
        assert conn is not None
        conn.start_roundtrip()
        timed = loops.roundtrip_loop(codec, obj, conn, samples)
        first = first_call(lambda: timed(1))[1]
    else:
        assert conn is not None and batch is not None
        conn.start_stream(batch)
        timed = loops.stream_loop(codec, obj, conn, batch)
    del encoded
    placement.apply_gc_policy(args.gc)
    # `--warmups 0` (serbench run's -w 0, --debug-single-value) means no warm-up at all.
    warming = args.warmups is None or args.warmups > 0
    faults = fault_counter(peers)
    chunk = chunk_calls(args.loops, timed) if warming else 1
    rule = STREAM_SETTLE if args.scenario == "stream" else SettleRule()
    warm = settle(timed, chunk, faults, rule) if warming else Warmup()
    memory = None
    # Traced sizes do not vary between workers: the first round's workers take them.
    if args.scenario in ("encode", "decode") and (args.round or 1) == 1:
        memory = (measure_call(codec.encode, obj) if args.scenario == "encode"
                  else measure_call(codec.decode, view))
        placement.apply_gc_policy(args.gc)
        if warming:  # tracing disturbed a warm heap: a short settle again
            after = settle(timed, chunk, faults, RESETTLE)
            warm.chunks += after.chunks
            warm.settled = after.settled
    samples.clear()  # warm-up round trips are not samples
    if warming:  # the settled warm-up replaces pyperf's fixed warm-up values
        runner.args.warmups = 0
    meta = _metadata(args, codec, made, size, batch)
    meta.update(warm.metadata(batch or 1), **cold_metadata(import_s, first),
                serbench_malloc=args.malloc, serbench_malloc_applied=malloc_applied)
    if memory is not None:
        meta.update(memory.metadata())
    runner.metadata.update(meta, **path_meta)
    runner.bench_time_func(args.bench_name, timed, inner_loops=batch)
    keep_samples(args, samples)


def _remote_connection(args: argparse.Namespace) -> Any:
    """A connection to the `--connect` server, in this cell's codec (and payload)."""

    if not args.secret_file:
        raise SystemExit("--connect needs --secret-file")
    conn = Connection.open(parse_address(args.connect), read_secret_file(Path(args.secret_file)),
                           args.max_frame, args.io_timeout)
    try:
        conn.select(args.codec, args.payload)
    except BaseException:
        conn.close()
        raise
    return conn


def _metadata(args: argparse.Namespace, codec: Any, made: Any, size: int,
              batch: int | None) -> dict[str, str | int | float]:
    meta: dict[str, str | int | float] = {
        "serbench_codec": codec.name,
        "serbench_codec_library": codec.library,
        "serbench_codec_version": codec.version,
        "serbench_codec_options": codec.options,
        "serbench_call_path": codec.call_path,
        "serbench_payload": made.label,
        "serbench_payload_spec": made.spec,
        "serbench_encoded_bytes": size,
        "serbench_scenario": args.scenario,
        "serbench_scenario_version": SCENARIO_VERSION,
        "serbench_transport": args.transport or "in-process",
        "serbench_pin": args.pin,
        "serbench_gc": args.gc,
    }
    if made.size is not None:
        meta["serbench_payload_size"] = made.size
    if made.seed is not None:
        meta["serbench_payload_seed"] = made.seed
    if batch is not None:
        meta["serbench_stream_batch"] = batch
    if args.round is not None:
        meta["serbench_round"] = args.round
    if args.connect and args.transport:
        meta["serbench_server"] = args.connect
    return meta


def keep_samples(args: argparse.Namespace, samples: list[array[int]]) -> None:
    """Save a worker's per-request samples, minus its warm-ups; calibration runs keep none."""
    calibrating = (args.calibrate_loops or args.recalibrate_loops or args.calibrate_warmups
                   or args.recalibrate_warmups)
    if samples and args.samples_dir and not calibrating:
        _save_samples(Path(args.samples_dir), samples[args.warmups or 0 :])


def _save_samples(directory: Path, measured: list[array[int]]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{os.getpid()}-{time.time_ns()}"  # unique even if a pid comes back
    tmp = directory / f".{name}.tmp"
    with open(tmp, "wb") as out:
        for chunk in measured:
            chunk.tofile(out)
    tmp.replace(directory / f"{name}.ns")


if __name__ == "__main__":
    main()
