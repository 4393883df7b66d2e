"""`serbench corpus fetch`: download one package, verify every document, then cache them.

The download step is a parameter so tests (and offline users, via `--archive`) can hand over
an archive instead of asking a registry.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from serbench.common.errors import unknown_name
from serbench.payloads.corpus.cache import write_documents
from serbench.payloads.corpus.download import download_archive
from serbench.payloads.corpus.extract import read_documents
from serbench.payloads.corpus.table import SOURCES, Source

Downloader = Callable[[Source, Path], Path]


def get_source(name: str) -> Source:
    """The source called `name`, or a `UserError` listing the known ones."""
    if name not in SOURCES:
        raise unknown_name("corpus source", name, list(SOURCES))
    return SOURCES[name]


def fetch(source: Source, directory: Path, download: Downloader = download_archive,
          archive: Path | None = None) -> list[Path]:
    """Cache every document of `source` in `directory` and return their paths.

    All documents are read and verified before the first is written: a wrong hash leaves the
    cache exactly as it was. With `archive`, that file is used and nothing is downloaded.
    """
    if archive is not None:
        documents = read_documents(archive, source)
    else:
        with tempfile.TemporaryDirectory(prefix="serbench-corpus-") as work:
            documents = read_documents(download(source, Path(work)), source)
    return write_documents(documents, directory)
