"""serbench's shared words: the names that model, execution, results and report code all use.

One home, so that a scenario, a fidelity class or a summary column is spelled once; importing
this module imports nothing else (no pyperf, no sockets), so any layer may depend on it.
"""

from __future__ import annotations

#: What a cell measures. `roundtrip` and `stream` go over a transport to another process.
SCENARIOS = ("roundtrip", "stream", "encode", "decode")
SOCKET_SCENARIOS = frozenset({"roundtrip", "stream"})
#: Bump when what a scenario times changes, so old results are not compared with new ones.
SCENARIO_VERSION = "2"
#: serbench's own framing over a socket (the default run's transports) ...
SOCKET_TRANSPORTS = ("tcp", "uds")
#: ... and the paths Python programs use (serbench.transport.paths): multiprocessing's Pipe and
#: Queue, a process pool, shared memory, ZeroMQ over ipc:// and tcp://, a Redis list queue.
PATH_TRANSPORTS = ("mp-pipe", "mp-queue", "pool", "shm", "zmq-ipc", "zmq-tcp", "redis")
TRANSPORTS = SOCKET_TRANSPORTS + PATH_TRANSPORTS
#: A matrix that names no transports runs these.
DEFAULT_TRANSPORTS = SOCKET_TRANSPORTS
IN_PROCESS = "in-process"

#: CPU placement of client and server, and the garbage-collector policy during timing.
PIN_MODES = ("same", "split", "none")
GC_POLICIES = ("on", "off")
#: The allocator policy of a worker (serbench.cells.allocator): glibc's thresholds fixed where
#: a long-running process ends up, or left at their start-up values.
MALLOC_STEADY, MALLOC_DEFAULT = "steady", "default"
MALLOC_POLICIES = (MALLOC_STEADY, MALLOC_DEFAULT)

#: Fidelity classes of a round trip; only the timed ones are ever measured or ranked.
EXACT, LOSSY, UNSUPPORTED, WRONG = "exact", "lossy", "unsupported", "wrong"
FIDELITY_CLASSES = (EXACT, LOSSY, UNSUPPORTED, WRONG)
TIMED_CLASSES = frozenset({EXACT, LOSSY})

#: The reference codec every ratio is taken against, and the transport floor.
REFERENCE_CODEC = "pickle"
FLOOR_CODEC = "null"
#: The codec that is a path's own pickling (`Queue.put(obj)`, `send_pyobj`): codecs/native.py.
NATIVE_CODEC = "native"
PICKLE_PROTOCOL = 5

#: Latency percentiles: summary key -> percentile; p99.9 wants this many samples to be read
#: from the data rather than interpolated between the few largest.
PERCENTILES = {"p50": 50.0, "p90": 90.0, "p99": 99.0, "p999": 99.9}
PERCENTILE_KEYS = ("p50_s", "p90_s", "p99_s", "p999_s", "max_s")
P999_MIN_SAMPLES = 10_000

#: A cell's status in summary.csv.
OK, SKIPPED, FAILED = "ok", "skipped", "failed"

#: Confidence level of every interval serbench reports.
CONFIDENCE = 0.95

#: The largest frame a peer accepts (and a compressed codec decompresses) by default.
DEFAULT_MAX_FRAME = 256 * 2**20

#: Give up on one worker process after this long (a hang guard, not a budget).
DEFAULT_CELL_TIMEOUT_S = 900.0


def bench_name(scenario: str, transport: str | None, payload_label: str) -> str:
    """Benchmark names never contain the codec, so pyperf lines codecs up by name."""
    if scenario in SOCKET_SCENARIOS:
        return f"{scenario}/{transport}/{payload_label}"
    return f"{scenario}/{payload_label}"


# Codec families: codecs are ranked only within their family (`Codec.family`).
FAMILY_GENERAL = "general"                    # from the Python object to bytes and back
FAMILY_PREPARED = "prepared message"          # a schema codec timed from a built message
FAMILY_TYPED = "typed, validating"            # decodes into validated models of the shape
FAMILY_UNVALIDATED = "typed, no validation"   # decodes into models but accepted a bad document
FAMILIES = (FAMILY_GENERAL, FAMILY_PREPARED, FAMILY_TYPED, FAMILY_UNVALIDATED)
