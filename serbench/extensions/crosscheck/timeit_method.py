"""msgspec's benchmark method as a program: `python -m serbench.extensions.crosscheck.timeit_method
CASE...` prints one JSON line per case.

As msgspec's `benchmarks/bench_encodings.py` does: one process for every case of a document,
`timeit.Timer("func(data)").autorange()` (calls doubling until one batch takes 0.2 s; timeit
disables the GC while it times), and the last batch's time per call.
"""

from __future__ import annotations

import json
import sys
import timeit

from serbench.extensions.crosscheck.cases import Case, prepared_call


def time_case(case: Case) -> float:
    """Seconds per call, msgspec's way."""
    call, arg = prepared_call(case)
    number, seconds = timeit.Timer("func(data)", globals={"func": call, "data": arg}).autorange()
    return float(seconds / number)


def main(argv: list[str]) -> int:
    """Time each case named on the command line, in order."""
    for ident in argv:
        case = Case.parse(ident)
        print(json.dumps({"case": ident, "seconds": time_case(case)}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
