#!/bin/bash
# The allocator policy's effect (docs/crosscheck.md): for each case, fresh processes under
# `default` and `steady`, alternating, three of each; every process warms up for 0.5 s, then
# keeps the fastest of 5 batches and its minor faults per call (scripts/allocator_one.py).
# Usage: scripts/allocator_effect.sh FILESYSTEM_JSON  (serbench crosscheck writes one)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
PY="${PYTHON:-python3}"
FS="$1"
for case in "ormsgpack|file:$FS|encode" "ormsgpack|file:$FS|decode" "orjson|file:$FS|encode" \
            "orjson|file:$FS|decode" "msgpack|file:$FS|encode" "msgspec-msgpack|file:$FS|encode" \
            "json|file:$FS|encode" "orjson|corpus:canada|decode" "json|corpus:canada|decode" \
            "ormsgpack|records:1000|encode" "orjson|records:1000|encode" \
            "pickle|records:1000|encode" "pickle|numpy:100000|decode"; do
  for rep in 1 2 3; do
    for policy in default steady; do "$PY" "$here/allocator_one.py" "$policy" "$case"; done
  done
done
