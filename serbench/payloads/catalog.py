"""The built-in payload shapes: seeded generators, each scaled by one size knob.

Generators use `random.Random(seed)` (and numpy's PCG64 for arrays) and never iterate over a
str-keyed set, so the same name, size and seed give the same object on every run and machine.
"""

from __future__ import annotations

import datetime as dt
import random
import string
from dataclasses import dataclass
from typing import Any

from serbench.payloads import shapes
from serbench.payloads.payload import Payload
from serbench.payloads.shapes import Field, ListOf, MapOf, OptionalOf, Record, Scalar, UnionOf

_SCRIPTS = [
    "The quick brown fox jumps over the lazy dog",
    "Falsches Üben von Xylophonmusik quält jeden größeren Zwerg",
    "Съешь же ещё этих мягких французских булок",
    "いろはにほへと ちりぬるを わかよたれそ つねならむ",
    "敏捷的棕色狐狸跳过了懒狗",
    "الثعلب البني السريع يقفز فوق الكلب الكسول",
    "דג סקרן שט בים מאוכזב ולפתע מצא חברה",
    "Ξεσκεπάζω την ψυχοφθόρα βδελυγμία 🦊🐶✨",
]


def _word(rng: random.Random, lo: int = 3, hi: int = 10) -> str:
    return "".join(rng.choices(string.ascii_lowercase, k=rng.randint(lo, hi)))


def small(size: int, seed: int) -> dict[str, Any]:
    """The seeds' message: a name and an age, plus `size - 2` extra short fields."""
    rng = random.Random(seed)
    msg: dict[str, Any] = {"name": "Alice", "age": 30}
    for i in range(max(0, size - 2)):
        msg[f"field{i}"] = rng.choice([rng.randint(0, 1000), _word(rng)])
    return msg


def records(size: int, seed: int) -> list[dict[str, Any]]:
    """`size` flat records of str, int, float, bool and None, like rows of a query result."""
    rng = random.Random(seed)
    rows = []
    for i in range(size):
        rows.append(
            {
                "id": i,
                "name": f"{_word(rng).title()} {_word(rng).title()}",
                "email": f"{_word(rng)}@{_word(rng)}.example",
                "score": round(rng.uniform(0, 100), 3),
                "active": rng.random() < 0.7,
                "balance": rng.randint(-(2**40), 2**40),
                "note": None if rng.random() < 0.5 else _word(rng, 10, 40),
            }
        )
    return rows


def nested(size: int, seed: int) -> dict[str, Any]:
    """A tree of dicts and lists about `size` nodes, up to 8 levels deep (config/AST-like)."""
    rng = random.Random(seed)
    budget = [size]

    def node(depth: int) -> Any:
        budget[0] -= 1
        if depth >= 8 or budget[0] <= 0 or rng.random() < 0.3:
            return rng.choice([rng.randint(-1000, 1000), rng.random(), _word(rng), True, None])
        if rng.random() < 0.6:
            return {_word(rng): node(depth + 1) for _ in range(rng.randint(1, 5))}
        return [node(depth + 1) for _ in range(rng.randint(1, 5))]

    tree: dict[str, Any] = {}
    while budget[0] > 0:
        tree[f"k{len(tree)}"] = node(1)
    return tree


def blob(size: int, seed: int) -> dict[str, Any]:
    """A small header dict holding `size` bytes of random binary data (a file or image chunk)."""
    rng = random.Random(seed)
    return {"id": seed, "content_type": "application/octet-stream", "data": rng.randbytes(size)}


def floats(size: int, seed: int) -> list[float]:
    """A flat list of `size` Python floats (a time series or feature vector)."""
    rng = random.Random(seed)
    return [rng.gauss(0.0, 1e3) for _ in range(size)]


def text(size: int, seed: int) -> list[str]:
    """`size` unicode strings mixing Latin, Cyrillic, CJK, Arabic, Hebrew, Greek and emoji."""
    rng = random.Random(seed)
    return [" ".join(rng.choices(_SCRIPTS, k=rng.randint(1, 3))) for _ in range(size)]


def numpy_array(size: int, seed: int) -> Any:
    """A float64 numpy array of `size` elements (features, a tensor)."""
    import numpy as np

    return np.random.default_rng(seed).standard_normal(size)


@dataclass
class Point:
    """A custom class instance in the `objects` payload (dataclasses are pickle's home turf)."""

    x: float
    y: float
    label: str


@dataclass
class Event:
    """One `objects` item: a dataclass with a tuple, a frozenset of ints, a datetime, bytes."""

    id: int
    when: dt.datetime
    where: Point
    span: tuple[int, int]
    tags: frozenset[int]
    raw: bytes
    scores: dict[int, float]


def objects(size: int, seed: int) -> list[Event]:
    """`size` dataclass instances holding tuples, sets, datetimes, bytes and int keys."""
    rng = random.Random(seed)
    epoch = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    out = []
    for i in range(size):
        start = rng.randint(0, 10**6)
        out.append(
            Event(
                id=i,
                when=epoch + dt.timedelta(seconds=rng.randint(0, 10**8)),
                where=Point(rng.random(), rng.random(), _word(rng)),
                span=(start, start + rng.randint(1, 1000)),
                tags=frozenset(rng.sample(range(100), 3)),
                raw=rng.randbytes(16),
                scores={rng.randint(0, 99): rng.random() for _ in range(3)},
            )
        )
    return out


# The declared shapes: what each generator makes, in the shape description every schema codec
# and typed model is derived from (tests check that inference from the objects agrees).
_INT, _FLOAT, _STR = Scalar("int"), Scalar("float"), Scalar("str")


def small_shape(size: int) -> shapes.Shape:
    """name, age, then `size - 2` fields each an int or a short word."""
    extra = tuple(Field(f"field{i}", UnionOf((_INT, _STR))) for i in range(max(0, size - 2)))
    return Record("Small", (Field("name", _STR), Field("age", _INT), *extra))


def records_shape(size: int) -> shapes.Shape:
    """A list of one flat record type; `note` may be None."""
    return ListOf(Record("Row", (
        Field("id", _INT), Field("name", _STR), Field("email", _STR), Field("score", _FLOAT),
        Field("active", Scalar("bool")), Field("balance", _INT),
        Field("note", OptionalOf(_STR)))))


def nested_shape(size: int) -> shapes.Shape:
    """No schema states it: random keys and values of every kind at every level."""
    raise shapes.ShapeUnsupported("nested is an irregular tree (random keys; a value may be a "
                                  "scalar of any kind, a dict or a list): no record, map or list "
                                  "type fits")


def blob_shape(size: int) -> shapes.Shape:
    """A header record with one bytes field."""
    return Record("Blob", (Field("id", _INT), Field("content_type", _STR),
                           Field("data", Scalar("bytes"))))


def objects_shape(size: int) -> shapes.Shape:
    """A list of `Event` dataclasses, each holding a `Point`."""
    point = Record("Point", (Field("x", _FLOAT), Field("y", _FLOAT), Field("label", _STR)),
                   f"{__name__}:Point")
    return ListOf(Record("Event", (
        Field("id", _INT), Field("when", Scalar("datetime")), Field("where", point),
        Field("span", ListOf(_INT, "tuple")), Field("tags", ListOf(_INT, "frozenset")),
        Field("raw", Scalar("bytes")), Field("scores", MapOf(_INT, _FLOAT))),
        f"{__name__}:Event"))


SMALL = Payload("small", "dict with a name and an age (+ size-2 short fields)", 2, "fields", small,
                small_shape)
RECORDS = Payload("records", "list of flat records: str/int/float/bool/None", 1000, "records",
                  records, records_shape)
NESTED = Payload("nested", "tree of dicts and lists, up to 8 levels deep", 1000, "nodes", nested,
                 nested_shape)
BLOB = Payload("blob", "small dict holding one large bytes value", 1_000_000, "bytes", blob,
               blob_shape)
FLOATS = Payload("floats", "flat list of Python floats", 10_000, "floats", floats,
                 lambda size: ListOf(_FLOAT))
TEXT = Payload("text", "unicode strings in 8 scripts, with emoji", 1000, "strings", text,
               lambda size: ListOf(_STR))
NUMPY = Payload("numpy", "float64 numpy array", 100_000, "elements", numpy_array,
                lambda size: ListOf(_FLOAT, "ndarray"))
OBJECTS = Payload("objects", "dataclasses with tuples, frozensets, datetimes, bytes, int keys",
                  100, "objects", objects, objects_shape)
