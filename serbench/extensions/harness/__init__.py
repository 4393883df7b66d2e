"""The harness's own cost: serbench's transport and codec paths against the physical floor.

`serbench harness` runs, alternating and with the same CPU placement, minimal raw-socket
programs (plain `socket`, 4-byte length prefix, `recv_into`) against serbench's `null` codec,
and `python -m pyperf timeit` of each built-in codec's documented library call
(`serbench.extensions.harness.floors`) against serbench's encode/decode cells.
"""
