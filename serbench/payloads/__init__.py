"""The payload registry and payload specs.

A spec names one payload instance:

- `records` or `records:5000` (or `records:5k`): a registered shape at a size;
- `file:PATH`: a user's file (`.json`, `.msgpack`, `.cbor`, `.pickle`);
- `corpus:NAME`: a real-world JSON document (`twitter`, `citm_catalog`, `canada`, `github`)
  fetched by `serbench corpus fetch` (docs/corpus.md); `corpus:` is reserved, so a factory
  module or a payload shape called `corpus` is not reachable through a spec;
- `package.module:function`: a user's factory, called with no arguments.

Shapes come from the `serbench.payloads` entry-point group (the built-ins register there too),
through `serbench.common.registry`: a shape that cannot be loaded fails alone.
"""

from __future__ import annotations

import functools
import importlib
import re
from pathlib import Path

from serbench.common.errors import UserError, unknown_name
from serbench.common.registry import Entry, EntryFailed, build, scan
from serbench.common.units import parse_size
from serbench.payloads.corpus import DOCUMENTS, document_path, load_document
from serbench.payloads.payload import DEFAULT_SEED, MadePayload, Payload
from serbench.payloads.shapes.infer import infer_shape
from serbench.payloads.shapes.shape import Shape
from serbench.payloads.user_files import load_payload_file

GROUP = "serbench.payloads"

#: The registry (`payload_entries`, `get_payload`), specs (`make_payload`; sizes are read by
#: `serbench.common.units.parse_size`) and the payload records.
__all__ = ["DEFAULT_SEED", "GROUP", "MadePayload", "Payload", "get_payload", "make_payload",
           "payload_entries", "payload_failures"]

_FACTORY = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
CORPUS_PREFIX = "corpus:"


@functools.cache
def payload_entries() -> dict[str, Payload]:
    """Every registered payload shape that loads, by name (sorted). Two targets claiming one
    name is an error naming both; a shape that cannot be loaded is left out, and naming it is a
    `UserError` saying why (`payload_failures`), so the others stay usable."""
    found: dict[str, Payload] = {}
    for name, entry in scan(GROUP, "payload").items():
        try:
            found[name] = _load(entry)
        except EntryFailed:
            continue
    return found


def payload_failures() -> dict[str, str]:
    """The registered payload shapes that cannot be loaded, each with its one-line reason."""
    failures: dict[str, str] = {}
    for name, entry in scan(GROUP, "payload").items():
        try:
            _load(entry)
        except EntryFailed as exc:
            failures[name] = str(exc)
    return failures


def _load(entry: Entry) -> Payload:
    try:
        return build(entry.target, Payload, call=False)
    except EntryFailed as exc:
        raise EntryFailed(f"payload {entry.name!r} from {entry.distribution} cannot be "
                          f"loaded: {exc}") from exc


def get_payload(name: str) -> Payload:
    """The registered shape called `name`, or a `UserError`: why it cannot be loaded, or the
    known names."""
    entries = payload_entries()
    if name in entries:
        return entries[name]
    entry = scan(GROUP, "payload").get(name)
    if entry is None:
        raise unknown_name("payload", name, list(entries))
    return _load(entry)  # it did not load when the registry was read: this says why


def make_payload(spec: str, seed: int = DEFAULT_SEED) -> MadePayload:
    """Generate the payload named by `spec` (see the module docstring)."""
    if spec.startswith("file:"):
        path = Path(spec[len("file:"):])
        obj = load_payload_file(path)
        return MadePayload(spec, path.stem, path.stem, None, None, f"user file {path}", obj)
    if spec.startswith(CORPUS_PREFIX):
        return _from_corpus(spec[len(CORPUS_PREFIX):])
    name, sep, size_text = spec.partition(":")
    if sep and name not in payload_entries() and _FACTORY.match(spec):
        return _from_factory(spec)
    payload = get_payload(name)
    size = parse_size(size_text.strip(), "payload size") if sep else payload.default_size
    if size < 1:
        raise UserError(f"payload size must be at least 1, got {size} in {spec!r}")
    obj = payload.generate(size, seed)
    return MadePayload(
        spec=f"{name}:{size}",
        label=f"{name}-{size}",
        name=name,
        size=size,
        seed=seed,
        description=f"{payload.description} ({size} {payload.unit})",
        obj=obj,
    )


def _from_factory(spec: str) -> MadePayload:
    module_name, _, attr = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise UserError(f"payload factory {spec!r}: cannot import {module_name}: {exc}") from exc
    factory = getattr(module, attr, None)
    if not callable(factory):
        raise UserError(f"payload factory {spec!r}: {module_name} has no callable {attr!r}")
    return MadePayload(spec, attr, attr, None, None, f"factory {spec}", factory())


def _from_corpus(name: str) -> MadePayload:
    """A corpus document. Its `name` is the whole spec, `corpus:twitter`: that is what makes it
    again, and it cannot collide with a shape or a user's `twitter.json` (whose name is
    `twitter`). The label uses `-`, like every other label, since labels go into benchmark and
    file names."""

    obj = load_document(name)  # UserError for an unknown or unfetched document
    size = document_path(name).stat().st_size
    spec = f"{CORPUS_PREFIX}{name}"
    return MadePayload(spec, f"corpus-{name}", spec, None, None,
                       f"{name}.json: {DOCUMENTS[name].description} ({size:,} bytes)", obj)


def shape_of(made: MadePayload) -> Shape:
    """The shape of `made`: its catalog entry's declaration at its size, else inferred.

    Raises `ShapeUnsupported` when neither states one.
    """
    payload = payload_entries().get(made.name) if made.size is not None else None
    if payload is not None and payload.shape is not None and made.size is not None:
        return payload.shape(made.size)
    return infer_shape(made.obj)
