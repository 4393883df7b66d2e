"""One side of the alternating check, as a program: `python -m
serbench.extensions.crosscheck.side_process METHOD CASE [EARLIER_CASE ...]`.

The process sets itself up as METHOD's process would be when it reaches CASE, prints one JSON
line (`{"ready": ...}`), then answers every line `N` on its standard input with the seconds N
calls took and the minor faults they took (one JSON line), until its input ends. It never
times anything unasked, so two of these can take turns on one CPU (`alternating`): each pins
itself to the last CPU it may use.

- `serbench`: a worker of `serbench run --gc off --pin none --malloc POLICY`: the allocator
  policy first, the codec and payload built and bound as a cell builds them, the first call,
  the GC disabled, then the worker's warm-up rule (`cells.steady`) with chunks of a quarter of a
  20 ms value; timed by the cell's loop (`cells.loops.call_loop`).
- `orjson` (pytest-benchmark, `--benchmark-disable-gc --random-order`): glibc's allocator as it
  starts; the EARLIER_CASEs (the document's cases that the random order put first) each called
  for a while and let go, as pytest ran and released them; then pytest-benchmark's calibration
  as the warm-up and its runner's loop (`function_to_benchmark(*args)`) with the GC disabled.
- `msgspec` (`timeit.Timer(...).autorange()`): glibc's allocator as it starts; each EARLIER_CASE
  through `autorange` (the cases before it in the same process); then `autorange` of CASE as
  the warm-up, and `Timer.timeit(N)` (which disables the GC while it times).

Errors go to stderr, one line, and the exit code is 1.
"""

from __future__ import annotations

import gc
import json
import sys
import time
import timeit
from collections.abc import Callable, Sequence
from typing import Any

from serbench.cells.allocator import apply_malloc_policy
from serbench.cells.faults import own_minor_faults
from serbench.cells.loops import TimeFunc, call_loop
from serbench.cells.steady import SettleRule, chunk_calls, settle
from serbench.common.vocabulary import MALLOC_POLICIES, MALLOC_STEADY
from serbench.extensions.crosscheck.cases import Case, prepared_call
from serbench.transport import placement

METHODS = ("serbench", "orjson", "msgspec")
#: A worker's value lasts about this long (`serbench run`'s min_time); its warm-up chunks are
#: a quarter of one.
VALUE_S = 0.02
#: How long each earlier case of orjson's method is called: its heap and allocator state, not
#: its figure, is what the case under test inherits.
EARLIER_CASE_S = 0.1
#: pytest-benchmark's calibration before its rounds, with orjson's `--benchmark-min-time=1`
#: split over serbench crosscheck's three rounds.
PYTEST_CALIBRATION_S = 0.33


def run_for(timed: TimeFunc, seconds: float) -> None:
    """Call `timed` in doubling batches until `seconds` have gone by."""
    n, spent = 1, 0.0
    while spent < seconds:
        spent += timed(n)
        n *= 2


def serbench_side(case: Case, malloc: str) -> TimeFunc:
    """A `serbench run` worker's call and state, settled by its warm-up rule."""
    apply_malloc_policy(malloc)
    call, arg = prepared_call(case)
    call(arg)  # a worker's first call (its cold-start figure) comes before its warm-up
    timed = call_loop(call, arg)
    placement.apply_gc_policy("off")
    per_call = timed(1)
    loops = max(1, int(VALUE_S / max(per_call, 1e-9)))
    settle(timed, chunk_calls(loops, timed), own_minor_faults, SettleRule())
    return timed


def pytest_loop(call: Callable[[Any], Any], arg: Any) -> TimeFunc:
    """pytest-benchmark's runner: `for _ in loops_range: function_to_benchmark(*args)`."""
    args = (arg,)
    clock = time.perf_counter

    def timed(loops: int) -> float:
        start = clock()
        for _ in range(loops):
            call(*args)
        return clock() - start

    return timed


def orjson_side(case: Case, earlier: Sequence[Case]) -> TimeFunc:
    """orjson's pytest-benchmark process when it reaches `case`."""
    for other in earlier:
        run_for(pytest_loop(*prepared_call(other)), EARLIER_CASE_S)
    timed = pytest_loop(*prepared_call(case))
    gc.disable()
    run_for(timed, PYTEST_CALIBRATION_S)
    return timed


def msgspec_side(case: Case, earlier: Sequence[Case]) -> TimeFunc:
    """msgspec's timeit process when it reaches `case`."""
    for other in earlier:
        call, arg = prepared_call(other)
        timeit.Timer("func(data)", globals={"func": call, "data": arg}).autorange()
    call, arg = prepared_call(case)
    timer = timeit.Timer("func(data)", globals={"func": call, "data": arg})
    timer.autorange()
    return timer.timeit


def build_side(method: str, case: Case, earlier: Sequence[Case], malloc: str) -> TimeFunc:
    """The set-up side's timed function (`timed(n)` -> seconds)."""
    if method == "serbench":
        return serbench_side(case, malloc)
    if method == "orjson":
        return orjson_side(case, earlier)
    return msgspec_side(case, earlier)


def serve(timed: TimeFunc, lines: Any, out: Any) -> None:
    """Answer each line `N` with `{"seconds": ..., "faults": ...}` until the input ends."""
    for line in lines:
        calls = int(line)
        before = own_minor_faults()
        seconds = timed(calls)
        out.write(json.dumps({"seconds": seconds, "faults": own_minor_faults() - before}) + "\n")
        out.flush()


def main(argv: list[str]) -> int:
    """METHOD [--malloc POLICY] CASE [EARLIER_CASE ...]"""
    malloc = MALLOC_STEADY
    if len(argv) > 1 and argv[0] == "--malloc":
        malloc, argv = argv[1], argv[2:]
    if len(argv) < 2 or argv[0] not in METHODS or malloc not in MALLOC_POLICIES:
        print(f"usage: side_process [--malloc {'|'.join(MALLOC_POLICIES)}] "
              f"{'|'.join(METHODS)} CASE [EARLIER_CASE ...]", file=sys.stderr)
        return 2
    # Both sides on one CPU (the last this process may use), so each pair of blocks shares that
    # CPU's phase; the methods themselves do not pin, and no side runs while the other does.
    placement.pin_self(placement.cpus_for("same")[0])
    try:
        started = time.perf_counter()
        timed = build_side(argv[0], Case.parse(argv[1]), [Case.parse(a) for a in argv[2:]],
                           malloc)
        print(json.dumps({"ready": argv[0], "setup_s": time.perf_counter() - started}),
              flush=True)
        serve(timed, sys.stdin, sys.stdout)
    except Exception as exc:  # one line for the parent, whatever the codec raised
        print(f"{argv[0]} side of {argv[1]}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
