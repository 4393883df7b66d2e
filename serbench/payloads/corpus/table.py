"""The pinned corpus: which documents exist, and where each registry package keeps them.

Both packages carry the same four documents, formatted differently: the bytes (and so the
hashes and sizes) differ per source, the parsed objects do not. The hashes were computed once
from the real packages; a package republished with other bytes is refused, not trusted.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Document:
    """One corpus document: its payload name, what it is, and the JSON type at its top."""

    name: str
    description: str
    top_level: type


@dataclass(frozen=True)
class Pinned:
    """Where a source's archive holds a document, and the bytes it must have."""

    member: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Source:
    """A registry package holding the corpus, fetched with that registry's own client."""

    name: str
    package: str
    client: str
    files: dict[str, Pinned]


DOCUMENTS: dict[str, Document] = {
    "twitter": Document(
        "twitter", "Twitter search API results: 100 statuses, string- and Unicode-heavy", dict),
    "citm_catalog": Document(
        "citm_catalog", "a concert-ticket catalogue: many small objects, integers, nulls", dict),
    "canada": Document(
        "canada", "Canada's outline as GeoJSON: 111,080 floats in nested arrays", dict),
    "github": Document(
        "github", "GitHub public events API: 30 events of nested objects", list),
}

NPM = Source(
    name="npm",
    package="simdjson@0.9.2",
    client="npm",
    files={
        "twitter": Pinned(
            "package/jsonexamples/twitter.json",
            "a08b769f32b95f426cbc3abafcec65c1a19d3eb544d4ddf320eae142c99efc5d", 631514),
        "citm_catalog": Pinned(
            "package/jsonexamples/citm_catalog.json",
            "a73e7a883f6ea8de113dff59702975e60119b4b58d451d518a929f31c92e2059", 1727204),
        "canada": Pinned(
            "package/jsonexamples/canada.json",
            "f83b3b354030d5dd58740c68ac4fecef64cb730a0d12a90362a7f23077f50d78", 2251051),
        "github": Pinned(
            "package/jsonexamples/github_events.json",
            "c9eebb2cf2d46649059e9d48700919bacb3e8e0fb58452065a1a9de7778fd22e", 65132),
    },
)

PYPI = Source(
    name="pypi",
    package="ssrjson==0.0.24",
    client="pip",
    files={
        "twitter": Pinned(
            "ssrjson-0.0.24/bench/twitter.json",
            "b38bf4b2f11110f67e4cea20c147f73ef844f431b82bfedf8af7d2698770607b", 755433),
        "citm_catalog": Pinned(
            "ssrjson-0.0.24/bench/ctm.json",
            "018c49fe4fd2b124a89633dfa2c347215b85e26c909456c14c683d1f72409360", 1691678),
        "canada": Pinned(
            "ssrjson-0.0.24/bench/canada.json",
            "1d33b52e68627944f74b3e20ab01bcfa391a57ea9cfa796ead0d01c435604e7c", 3489802),
        "github": Pinned(
            "ssrjson-0.0.24/bench/github.json",
            "65323a6415212874d786eb65ebf4e79d31ae308b1f907a1f57922de280432ffb", 67831),
    },
)

#: Every source by its `--source` name; npm first: `npm pack` runs no code from the package,
#: while `pip download` of an sdist runs its build backend to read the metadata.
SOURCES: dict[str, Source] = {"npm": NPM, "pypi": PYPI}
DEFAULT_SOURCE = "npm"
