"""One process of scripts/allocator_effect.sh: apply an allocator policy, warm up 0.5 s, print
the fastest of 5 batches of one crosscheck case and its minor faults per call, as JSON."""

from __future__ import annotations

import gc
import json
import resource
import sys
import time

from serbench.cells.allocator import apply_malloc_policy
from serbench.extensions.crosscheck.cases import Case, prepared_call


def main(policy: str, ident: str) -> None:
    """Measure one case under one policy in this (fresh) process."""
    applied = apply_malloc_policy(policy)
    call, arg = prepared_call(Case.parse(ident))
    gc.disable()
    start, calls = time.perf_counter(), 0
    while time.perf_counter() - start < 0.5:
        call(arg)
        calls += 1
    batch = max(1, calls // 5)
    best = float("inf")
    faults_before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(batch):
            call(arg)
        best = min(best, (time.perf_counter() - t0) / batch)
    faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults_before) / (5 * batch)
    print(json.dumps({"policy": policy, "applied": applied, "case": ident, "s": best,
                      "faults": faults}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
