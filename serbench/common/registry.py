"""The entry-point registry every plugin group goes through (`serbench.codecs`,
`serbench.payloads`, `serbench.report_sections`): one scan, one duplicate rule, one failure
policy.

- Duplicate rule: two entries of one group with the same name and different targets are a
  `UserError` naming both distributions and targets. The same target seen twice (one
  distribution on `sys.path` both editable and built) is one entry.
- Failure policy: an entry is imported only when it is loaded, and an entry whose target cannot
  be imported, raises while it is built or builds the wrong type fails alone, with one line that
  names its target and why (the caller's exception type: `CodecUnavailable` for a codec, which
  `serbench list` then shows as unavailable). The other entries of the group stay usable.
"""

from __future__ import annotations

import importlib
import importlib.metadata
from dataclasses import dataclass
from typing import Any, TypeVar

from serbench.common.errors import UserError

__all__ = ["Entry", "EntryFailed", "build", "load_target", "scan"]

T = TypeVar("T")


class EntryFailed(UserError):
    """An entry's target cannot be imported or built; the message is one line naming it."""


@dataclass(frozen=True)
class Entry:
    """One registered name: the distribution that registered it and its `module:attr` target."""

    name: str
    distribution: str
    target: str

    def load(self, failure: type[Exception] = EntryFailed) -> Any:
        """The object the target names (imported now), or `failure` with one line."""
        return load_target(self.target, failure)


def scan(group: str, kind: str) -> dict[str, Entry]:
    """Every entry of the entry-point `group` by name, sorted; nothing is imported.

    Raises `UserError` when two targets claim one name (`kind` names what they are in it).
    """
    entries: dict[str, Entry] = {}
    names: dict[int, str] = {}
    for ep in importlib.metadata.entry_points(group=group):
        dist = _distribution_name(ep.dist, names)
        first = entries.get(ep.name)
        if first is None:
            entries[ep.name] = Entry(ep.name, dist, ep.value)
        elif first.target != ep.value:
            raise UserError(f"{kind} name {ep.name!r} is registered twice: by "
                            f"{first.distribution} ({first.target}) and by {dist} ({ep.value})")
    return dict(sorted(entries.items()))


def _distribution_name(dist: importlib.metadata.Distribution | None,
                       names: dict[int, str]) -> str:
    """The distribution's name, parsed once per distribution (`Distribution.name` parses its
    whole METADATA, README included, each time: 46 times in a worker, ~50 ms)."""
    if dist is None:
        return "unknown distribution"
    key = id(dist)
    if key not in names:
        names[key] = dist.name
    return names[key]


def load_target(target: str, failure: type[Exception] = EntryFailed) -> Any:
    """Import `module:attr.attr` and return the object it names (what `EntryPoint.load` does),
    raising `failure` with "cannot import TARGET: why" when the module or attribute is missing
    or the module raises."""
    module, _, attrs = target.partition(":")
    try:
        found: Any = importlib.import_module(module.strip())
        for attr in filter(None, attrs.strip().split(".")):
            found = getattr(found, attr)
    except failure:
        raise
    except Exception as exc:  # a module that raises while it is imported fails alone too
        raise failure(f"cannot import {target}: {_why(exc)}") from exc
    return found


def build(target: str, kind: type[T], *, call: bool,
          failure: type[Exception] = EntryFailed) -> T:
    """The `kind` instance at `target`: the object itself, or what it returns when called
    (`call`, a factory). Whatever goes wrong becomes `failure` with one line naming `target`;
    a `failure` raised by the factory itself (a codec's missing library) passes through."""
    found = load_target(target, failure)
    if call:
        try:
            found = found()
        except failure:
            raise
        except (ImportError, AttributeError) as exc:  # its library is missing or too old
            raise failure(f"cannot import {target}: {_why(exc)}") from exc
        except Exception as exc:
            raise failure(f"{target} raised {_why(exc)}") from exc
    if not isinstance(found, kind):
        verb = "returned" if call else "is"
        raise failure(f"{target} {verb} {type(found).__name__}, not a {kind.__name__}")
    return found


def _why(exc: Exception) -> str:
    """The first line of the exception, after its type unless it is a missing import."""
    lines = str(exc).strip().splitlines()
    if isinstance(exc, ImportError | AttributeError) and lines:
        return lines[0]
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
