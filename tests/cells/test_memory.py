"""The memory pass against synthetic codecs whose allocations are known."""

from __future__ import annotations

import sys
import tracemalloc

from serbench.cells.memory import measure_call

MIB = 2**20


def test_a_result_of_known_size_is_retained_and_peaks_at_its_size() -> None:
    seen = measure_call(lambda n: bytearray(n), MIB)
    overhead = sys.getsizeof(bytearray(MIB)) - MIB
    assert MIB <= seen.retained_bytes <= MIB + overhead + 256
    assert MIB <= seen.alloc_peak_bytes <= MIB + overhead + 256
    assert 1 <= seen.retained_blocks <= 3


def test_a_transient_buffer_peaks_but_is_not_retained() -> None:
    def encode(n: int) -> bytes:
        scratch = bytearray(n)  # freed before the call returns
        return bytes(scratch[:16])

    seen = measure_call(encode, 4 * MIB)
    assert seen.alloc_peak_bytes >= 4 * MIB
    assert seen.retained_bytes < 1024


def test_blocks_count_the_objects_a_decode_keeps() -> None:
    seen = measure_call(lambda n: [object() for _ in range(n)], 1000)
    assert 1000 <= seen.retained_blocks <= 1010
    assert seen.retained_bytes >= 1000 * sys.getsizeof(object())


def test_tracing_is_left_as_it_was() -> None:
    assert not tracemalloc.is_tracing()
    measure_call(len, b"abc")
    assert not tracemalloc.is_tracing()
    tracemalloc.start()
    try:
        measure_call(len, b"abc")
        assert tracemalloc.is_tracing()
    finally:
        tracemalloc.stop()
    assert measure_call(len, b"").metadata().keys() == {
        "serbench_alloc_peak_bytes", "serbench_retained_bytes", "serbench_retained_blocks"}
