"""The schemas a run's schema codecs derived from each payload's shape, written into the
results directory (`schemas/<codec>.<payload>.<suffix>`), so a reader sees exactly which
protobuf message, Avro schema, Arrow schema, Cap'n Proto or Thrift IDL was timed."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from serbench.codecs.schemas import LANGUAGES, schema_text
from serbench.payloads import shape_of
from serbench.results.files import atomic_write_text
from serbench.runner.probe import CodecOnPayload

__all__ = ["SCHEMAS_DIR", "write_schemas"]

SCHEMAS_DIR = "schemas"


def write_schemas(out: Path, pairs: Iterable[CodecOnPayload]) -> list[Path]:
    """Write the schema of every timed schema-codec x payload pair; return the files."""
    written = []
    for prep in pairs:
        if not prep.timed or prep.codec is None:
            continue
        base = prep.codec.name.partition("+")[0]
        if base.removesuffix("-prepared") not in LANGUAGES:
            continue
        suffix, text = schema_text(base, shape_of(prep.payload))
        path = out / SCHEMAS_DIR / f"{base}.{prep.payload.label}.{suffix}"
        atomic_write_text(path, text)
        written.append(path)
    return written
