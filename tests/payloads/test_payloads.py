"""Payload specs, the catalog's determinism and size knob, user files and user factories."""

from __future__ import annotations

import hashlib
import json
import pickle
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import cbor2
import msgpack
import numpy as np
import pytest
from conftest import run_python

from serbench.common.errors import UserError
from serbench.payloads import DEFAULT_SEED, get_payload, make_payload, payload_entries
from serbench.payloads.catalog import Event
from serbench.payloads.user_files import FORMATS

CATALOG = ["blob", "floats", "nested", "numpy", "objects", "records", "small", "text"]

DIGEST_SCRIPT = """
import hashlib, json, pickle, sys
from serbench.payloads import make_payload, payload_entries
out = {}
for name in sorted(payload_entries()):
    for spec in (name, f"{name}:7"):
        made = make_payload(spec)
        out[made.spec] = hashlib.sha256(pickle.dumps(made.obj, protocol=5)).hexdigest()
json.dump(out, sys.stdout)
"""


def test_catalog_is_registered() -> None:
    assert sorted(payload_entries()) == CATALOG
    for name, payload in payload_entries().items():
        assert payload.name == name
        assert payload.description and payload.unit and payload.default_size >= 1


def test_every_catalog_payload_is_deterministic_across_processes() -> None:
    digests = []
    for hash_seed in ("0", "4242"):
        proc = run_python("-c", DIGEST_SCRIPT, env={"PYTHONHASHSEED": hash_seed})
        assert proc.returncode == 0, proc.stderr
        digests.append(json.loads(proc.stdout))
    assert digests[0] == digests[1]
    assert sorted(digests[0]) == sorted(
        [f"{n}:{get_payload(n).default_size}" for n in CATALOG] + [f"{n}:7" for n in CATALOG])
    # ... and the subprocesses made what this process makes.
    here = make_payload("objects:7").obj
    assert hashlib.sha256(pickle.dumps(here, protocol=5)).hexdigest() == digests[0]["objects:7"]


def _digest(obj: Any) -> str:
    return hashlib.sha256(pickle.dumps(obj, protocol=5)).hexdigest()


@pytest.mark.parametrize("name", CATALOG)
def test_seed_changes_the_payload(name: str) -> None:
    assert make_payload(f"{name}:10").seed == DEFAULT_SEED
    one, again, other = (make_payload(f"{name}:10", seed=s).obj for s in (1, 1, 2))
    assert _digest(one) == _digest(again)
    assert _digest(one) != _digest(other)


def _count_nodes(tree: Any) -> int:
    if isinstance(tree, dict):
        return 1 + sum(_count_nodes(v) for v in tree.values())
    if isinstance(tree, list):
        return 1 + sum(_count_nodes(v) for v in tree)
    return 1


SIZE_OF: dict[str, Callable[[Any], int]] = {
    "records": len,
    "floats": len,
    "text": len,
    "objects": len,
    "small": len,  # fields
    "blob": lambda obj: len(obj["data"]),
    "numpy": lambda obj: int(obj.size),
}


@pytest.mark.parametrize("name", sorted(SIZE_OF))
@pytest.mark.parametrize("size", [3, 10, 1234])
def test_size_knob(name: str, size: int) -> None:
    made = make_payload(f"{name}:{size}")
    assert SIZE_OF[name](made.obj) == size
    assert made.size == size
    assert made.label == f"{name}-{size}"
    assert made.spec == f"{name}:{size}"


def test_size_knob_nested() -> None:
    for size in (10, 100, 1000):
        nodes = _count_nodes(make_payload(f"nested:{size}").obj) - 1
        assert size <= nodes <= size + 40


def test_catalog_shapes() -> None:
    records = make_payload("records:10").obj
    assert len(records) == 10
    assert [r["id"] for r in records] == list(range(10))
    assert {type(v) for r in records for v in r.values()} <= {int, str, float, bool, type(None)}
    assert make_payload("small").obj["name"] == "Alice"
    assert len(make_payload("small").obj) == 2
    blob = make_payload("blob:1234").obj
    assert isinstance(blob["data"], bytes) and len(blob["data"]) == 1234
    arr = make_payload("numpy:33").obj
    assert isinstance(arr, np.ndarray) and arr.dtype == np.float64 and arr.shape == (33,)
    floats = make_payload("floats:5").obj
    assert all(type(x) is float for x in floats)
    text = make_payload("text:50").obj
    assert any(ord(ch) > 0xFFFF for s in text for ch in s)  # emoji beyond the BMP
    events = make_payload("objects:4").obj
    assert all(isinstance(e, Event) for e in events)
    assert isinstance(events[0].tags, frozenset) and isinstance(events[0].span, tuple)


def test_default_size() -> None:
    made = make_payload("records")
    assert made.size == get_payload("records").default_size == 1000
    assert len(made.obj) == 1000
    assert made.spec == "records:1000" and made.label == "records-1000"
    assert made.description.endswith("(1000 records)")


@pytest.mark.parametrize(("spec", "size"), [
    ("records:5", 5), ("records:5k", 5000), ("records:5K", 5000), ("records: 12 ", 12),
    ("blob:2M", 2_000_000), ("blob:2m", 2_000_000),
])
def test_size_suffixes(spec: str, size: int) -> None:
    assert make_payload(spec).size == size


@pytest.mark.parametrize("spec", ["records:abc", "records:5x", "records:-3", "records:1.5k",
                                  "records:", "records:k5"])
def test_bad_size_is_a_user_error(spec: str) -> None:
    with pytest.raises(UserError, match="bad payload size"):
        make_payload(spec)


def test_zero_size_is_a_user_error() -> None:
    with pytest.raises(UserError, match="at least 1"):
        make_payload("records:0")


@pytest.mark.parametrize("spec", ["nope", "nope:5", "Records"])
def test_unknown_payload_lists_known_names(spec: str) -> None:
    with pytest.raises(UserError, match="unknown payload") as info:
        make_payload(spec)
    message = str(info.value)
    assert repr(spec.partition(":")[0]) in message
    for name in CATALOG:
        assert name in message


# -- user files ------------------------------------------------------------------------------

USER_OBJ = {"name": "Alice", "tags": ["a", "ü", "🦊"], "n": 3, "x": 1.5, "nested": {"k": None},
            "ok": True}

WRITERS: dict[str, Callable[[Any], bytes]] = {
    ".json": lambda obj: json.dumps(obj).encode(),
    ".msgpack": msgpack.packb,
    ".cbor": cbor2.dumps,
    ".pickle": lambda obj: pickle.dumps(obj, protocol=5),
    ".pkl": pickle.dumps,
}


def test_every_format_has_a_writer() -> None:
    assert set(WRITERS) == set(FORMATS)


@pytest.mark.parametrize("suffix", sorted(WRITERS))
def test_user_file_loads(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"my-data{suffix}"
    path.write_bytes(WRITERS[suffix](USER_OBJ))
    made = make_payload(f"file:{path}")
    assert made.obj == USER_OBJ
    assert made.label == "my-data"
    assert made.size is None and made.seed is None
    assert str(path) in made.description


def test_user_msgpack_file_with_int_keys(tmp_path: Path) -> None:
    path = tmp_path / "keys.msgpack"
    path.write_bytes(msgpack.packb({1: "a", 2: [1, 2]}))
    assert make_payload(f"file:{path}").obj == {1: "a", 2: [1, 2]}


def test_user_file_suffix_is_case_insensitive(tmp_path: Path) -> None:
    path = tmp_path / "upper.JSON"
    path.write_text('{"a": 1}')
    assert make_payload(f"file:{path}").obj == {"a": 1}


@pytest.mark.parametrize("suffix", sorted(WRITERS))
def test_missing_user_file_names_the_file(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"absent{suffix}"
    with pytest.raises(UserError, match="cannot read it") as info:
        make_payload(f"file:{path}")
    assert str(path) in str(info.value)


@pytest.mark.parametrize("suffix", sorted(WRITERS))
def test_unparsable_user_file_names_the_file(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"garbage{suffix}"
    path.write_bytes(b"\xc1{not valid")
    with pytest.raises(UserError, match="does not parse") as info:
        make_payload(f"file:{path}")
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)  # the CLI prints it as one line


def test_user_file_with_unknown_format(tmp_path: Path) -> None:
    path = tmp_path / "data.txt"
    path.write_text("hello")
    with pytest.raises(UserError, match=r"unknown format '\.txt'") as info:
        make_payload(f"file:{path}")
    assert str(path) in str(info.value)
    for suffix in FORMATS:
        assert suffix in str(info.value)


def test_user_file_that_is_a_directory(tmp_path: Path) -> None:
    path = tmp_path / "dir.json"
    path.mkdir()
    with pytest.raises(UserError, match="cannot read it"):
        make_payload(f"file:{path}")


# -- user factories --------------------------------------------------------------------------

@pytest.fixture
def factory_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A uniquely named module on sys.path with a few payload factories."""
    name = f"sb_factory_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text(
        "def build():\n"
        "    return {'from': 'factory', 'items': [(1, 2), (3, 4)]}\n"
        "NOT_CALLABLE = 3\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    sys.modules.pop(name, None)


def test_factory_spec(factory_module: str) -> None:
    made = make_payload(f"{factory_module}:build")
    assert made.obj == {"from": "factory", "items": [(1, 2), (3, 4)]}
    assert made.label == "build"
    assert made.spec == f"{factory_module}:build"
    assert made.size is None


def test_factory_without_that_function(factory_module: str) -> None:
    for attr in ("missing", "NOT_CALLABLE"):
        with pytest.raises(UserError, match="has no callable") as info:
            make_payload(f"{factory_module}:{attr}")
        assert factory_module in str(info.value)


def test_factory_module_that_does_not_import() -> None:
    with pytest.raises(UserError, match="cannot import no_such_module_xyz"):
        make_payload("no_such_module_xyz.sub:build")
