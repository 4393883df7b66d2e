"""The inputs of the cross-check: the four JSON documents orjson benchmarks on, and a
filesystem tree in the shape of msgspec's benchmark data.

msgspec's benchmarks generate a tree of 1 000 `directory` and `file` records (name, owner,
creation and optional update times, a file's size and permissions, a directory's contents).
Its generator is not packaged with msgspec, so serbench writes its own, seeded, of the same
shape and size, to a JSON file that both sides read: the comparison is between methods on one
input, not against msgspec's published numbers.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import string
from pathlib import Path
from typing import Any

#: orjson's documents (serbench's corpus payloads), and the filesystem tree's node count.
CORPUS_DOCUMENTS = ("twitter", "citm_catalog", "canada", "github")
FILESYSTEM_NODES = 1000
FILESYSTEM_FILE = "filesystem-1000.json"

_OWNERS = ("ada", "bo", "chen", "dara", "eli", "femi", "gus", "hana", "ivo", "june", "kai",
           "lena", "mo", "nia", "otto", "pia", "quin", "rosa", "sami", "tove", "uli", "vera",
           "wim", "xu", "yara", "zed")
_PERMISSIONS = ("READ", "WRITE", "READ_WRITE")
_START = dt.datetime(2018, 1, 1, tzinfo=dt.UTC)
_SPAN_S = 5 * 365 * 86400


class _Tree:
    """A seeded generator of one directory tree with `nodes` records in all."""

    def __init__(self, nodes: int, seed: int) -> None:
        self.left = nodes
        self.rng = random.Random(seed)

    def _stamp(self, after: float = 0.0) -> tuple[float, str]:
        offset = self.rng.uniform(after, _SPAN_S)
        return offset, (_START + dt.timedelta(seconds=int(offset))).isoformat()

    def node(self, directory: bool) -> dict[str, Any]:
        """One record; a directory takes its children's count from what is left up front,
        so the tree stays broad and shallow, as msgspec's is."""
        created, created_at = self._stamp()
        record: dict[str, Any] = {
            "type": "directory" if directory else "file",
            "name": "".join(self.rng.choices(string.ascii_letters, k=self.rng.randint(4, 30))),
            "created_by": self.rng.choice(_OWNERS),
            "created_at": created_at,
        }
        if self.rng.random() < 0.25:
            record["updated_by"] = self.rng.choice(_OWNERS)
            record["updated_at"] = self._stamp(created)[1]
        if directory:
            count = min(self.rng.randint(0, 30), self.left)
            self.left -= count
            record["contents"] = [self.node(self.rng.random() < 0.2) for _ in range(count)]
        else:
            record["nbytes"] = self.rng.randint(0, 1_000_000)
            record["permissions"] = self.rng.choice(_PERMISSIONS)
        return record

    def root(self) -> dict[str, Any]:
        self.left -= 1
        top = self.node(self.left > 0)
        while self.left > 0:
            self.left -= 1
            top["contents"].append(self.node(self.rng.random() < 0.2))
        return top


def filesystem_tree(nodes: int = FILESYSTEM_NODES, seed: int = 42) -> dict[str, Any]:
    """A directory tree of exactly `nodes` records (the root included)."""
    return _Tree(max(1, nodes), seed).root()


def count_nodes(tree: dict[str, Any]) -> int:
    """Records in a tree (for tests and the docs)."""
    return 1 + sum(count_nodes(child) for child in tree.get("contents", ()))


def write_filesystem(directory: Path) -> Path:
    """Write the tree as compact JSON; returns its path (a `--payload-file` for serbench)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / FILESYSTEM_FILE
    path.write_text(json.dumps(filesystem_tree(), separators=(",", ":")), encoding="utf-8")
    return path


def payload_specs(filesystem: Path | None, documents: tuple[str, ...] = CORPUS_DOCUMENTS
                  ) -> dict[str, str]:
    """Document name -> serbench payload spec."""
    specs = {name: f"corpus:{name}" for name in documents}
    if filesystem is not None:
        specs["filesystem"] = f"file:{filesystem}"
    return specs
