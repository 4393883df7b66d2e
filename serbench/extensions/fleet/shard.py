"""`serbench run --shard i/N`: a deterministic i-th of a matrix, for a fleet of machines.

A shard takes whole payloads: payload k of the matrix (0-based, in matrix order) goes to shard
k mod N + 1. A comparison group (payload, scenario, transport; `runner.plan.groups`) never
spans two shards, so every codec's ratio to pickle, and to the `null` floor, is measured in one
machine's run in the same rounds, and the shards' results merge (`serbench merge`) into exactly
the cells of the unsharded run. A shard is itself a matrix (the same codecs, scenarios and
transports, its payloads), so it runs, resumes and reports like any other run.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from serbench.common.errors import UserError


@dataclass(frozen=True)
class Shard:
    """Shard `index` (1-based) of `count`."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(text: str) -> Shard:
    """`i/N` with 1 <= i <= N."""
    index, sep, count = text.partition("/")
    if not sep or not index.strip().isdigit() or not count.strip().isdigit():
        raise UserError(f"--shard {text!r}: expected i/N, e.g. 1/4")
    shard = Shard(int(index), int(count))
    if not 1 <= shard.index <= shard.count:
        raise UserError(f"--shard {text!r}: i must be from 1 to N")
    return shard


def shard_payloads(payloads: list[str], shard: Shard) -> list[str]:
    """The payloads of one shard: every N-th, starting at the i-th."""
    return [p for k, p in enumerate(payloads) if k % shard.count == shard.index - 1]


def shard_matrix(matrix: Any, shard: Shard) -> tuple[Any, dict[str, Any]]:
    """The shard's matrix and what environment.json records about it."""
    if shard.count > len(matrix.payloads):
        raise UserError(f"--shard {shard}: the matrix has {len(matrix.payloads)} payloads, so "
                        f"at most {len(matrix.payloads)} shards (a shard takes whole payloads, "
                        "keeping each comparison group on one machine)")
    mine = shard_payloads(list(matrix.payloads), shard)
    record = {"index": shard.index, "count": shard.count, "payloads": mine,
              "matrix_payloads": list(matrix.payloads)}
    return dataclasses.replace(matrix, payloads=mine), {"shard": record}
