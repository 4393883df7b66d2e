"""Unique names in one namespace: inference names a shape's records with it, and every schema
generator its types and fields, so a clash is numbered the same way everywhere (`Row`,
`Row2`, …) and the same shape always gives the same names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

__all__ = ["Names"]


class Names:
    """Unique names in one namespace, mangled to a language's rules deterministically (the same
    shape always gives the same schema); `mangle` turns a wanted name into a legal one."""

    def __init__(self, mangle: Callable[[str], str], taken: Iterable[str] = ()) -> None:
        self.mangle = mangle
        self.taken = set(taken)

    def get(self, wanted: str) -> str:
        """A legal, so far unused name close to `wanted`: its mangled form, numbered from 2
        on a clash."""
        base = self.mangle(wanted)
        name, n = base, 1
        while name in self.taken:
            n += 1
            name = f"{base}{n}"
        self.taken.add(name)
        return name
