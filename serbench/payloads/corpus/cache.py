"""Where fetched documents live, how they are written (atomically) and read back (verified).

The cache is per user, not per checkout: the documents are large, identical for every project,
and must not end up in a repository.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from serbench.common.errors import UserError, unknown_name
from serbench.payloads.corpus.table import DOCUMENTS, SOURCES

ENV_DIR = "SERBENCH_CORPUS_DIR"


def corpus_dir() -> Path:
    """`$SERBENCH_CORPUS_DIR`, else `$XDG_CACHE_HOME/serbench/corpus`, else
    `~/.cache/serbench/corpus` (an empty variable counts as unset, as XDG says)."""
    if explicit := os.environ.get(ENV_DIR):
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "serbench" / "corpus"


def document_path(name: str, directory: Path | None = None) -> Path:
    """The cache file of a document (it may not exist)."""
    return (directory or corpus_dir()) / f"{name}.json"


def write_documents(documents: dict[str, bytes], directory: Path) -> list[Path]:
    """Write each document via a temporary file and `os.replace`, so a reader never sees a
    half-written file and an interrupted fetch leaves the old one in place."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in documents.items():
        target = document_path(name, directory)
        fd, temp = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
        written.append(target)
    return written


@dataclass(frozen=True)
class Status:
    """What the cache holds for one document; `source` names the pin its bytes match."""

    name: str
    path: Path
    size: int | None
    source: str | None

    @property
    def cached(self) -> bool:
        """The file exists."""
        return self.size is not None

    @property
    def verified(self) -> bool:
        """The file's bytes match a pinned SHA-256."""
        return self.source is not None


def matching_source(name: str, data: bytes) -> str | None:
    """The source whose pin these bytes match, or None."""
    digest = hashlib.sha256(data).hexdigest()
    return next((s.name for s in SOURCES.values()
                 if name in s.files and s.files[name].sha256 == digest), None)


def document_status(name: str, directory: Path | None = None) -> Status:
    """Whether a document is cached, its size, and whether its hash is a pinned one."""
    path = document_path(name, directory)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return Status(name, path, None, None)
    except OSError as exc:
        raise UserError(f"corpus document {path}: cannot read it ({exc.strerror or exc})") from exc
    return Status(name, path, len(data), matching_source(name, data))


def load_document(name: str, directory: Path | None = None) -> Any:
    """The document as a Python object (stdlib `json`), verified against the pins.

    Parsed once per process and file version: the same object is returned to every caller,
    who must not mutate it.
    """
    if name not in DOCUMENTS:
        raise unknown_name("corpus document", name, list(DOCUMENTS))
    path = document_path(name, directory)
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise UserError(f"corpus document {name!r} is not fetched (no {path}); "
                        "run `serbench corpus fetch`") from None
    return _parse(name, str(path), stat.st_mtime_ns, stat.st_size)


@functools.cache
def _parse(name: str, path: str, _mtime_ns: int, _size: int) -> Any:
    data = Path(path).read_bytes()
    if matching_source(name, data) is None:
        raise UserError(f"corpus document {path} does not match its pinned SHA-256; "
                        "run `serbench corpus fetch` again")
    return json.loads(data)
