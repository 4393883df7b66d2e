"""Schemas derived from a payload's shape (`serbench.payloads.shapes`), one module per language:
each
generates its schema, builds the library's classes once, and returns a codec's calls
(`bind(shape, prepared)`). `schema_text` gives the generated schema for the results directory.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from serbench.codecs.schemas.binding import Binding, Parts
from serbench.payloads.shapes.shape import Shape

__all__ = ["LANGUAGES", "Binding", "Language", "Parts", "parts", "schema_text"]


@dataclass(frozen=True)
class Language:
    """A schema language: its library and its generator module (imported when first used)."""

    name: str
    module: str
    distribution: str
    options: str
    #: Decoding hostile bytes neither runs code nor crashes, hangs or balloons (fuzzed).
    safe_for_untrusted_input: bool = True

    def _generator(self) -> Any:
        return importlib.import_module(f"serbench.codecs.schemas.{self.name}_schema")

    def bind(self, shape: Shape, prepared: bool) -> Binding:
        """The codec's calls for `shape` (raises `ShapeUnsupported`)."""
        bind: Callable[[Shape, bool], Binding] = self._generator().bind
        return bind(shape, prepared)

    def parts(self, shape: Shape) -> Parts:
        """The codec's pieces for `shape` (populate, to_python, library objects)."""
        parts: Callable[[Shape], Parts] = self._generator().parts
        return parts(shape)

    def text(self, shape: Shape) -> tuple[str, str]:
        """(file suffix, schema text) of `shape` in this language."""
        text: Callable[[Shape], tuple[str, str]] = self._generator().text
        return text(shape)


LANGUAGES: dict[str, Language] = {lang.name: lang for lang in (
    Language("protobuf", "google.protobuf", "protobuf",
             "proto3 from the shape via runtime descriptors (descriptor_pool + "
             "message_factory.GetMessageClass, no protoc); datetime as int64 µs"),
    Language("avro", "fastavro", "fastavro",
             "parse_schema once; schemaless_writer/schemaless_reader on io.BytesIO; datetime "
             "as long timestamp-micros"),
    Language("arrow", "pyarrow", "pyarrow",
             "IPC stream (schema + one RecordBatch), default write options (no compression); "
             "datetime as timestamp('us', tz='UTC')"),
    Language("capnp", "capnp", "pycapnp",
             "IDL generated and loaded with capnp.load; unpacked to_bytes/from_bytes, default "
             "traversal limit; datetime as Int64 µs"),
    Language("thrift", "thriftpy2", "thriftpy2",
             "IDL generated and loaded with thriftpy2.load_fp; TCyBinaryProtocolFactory "
             "(Cython binary protocol); datetime as i64 µs",
             # thriftpy2 allocates whatever container length a message declares: 8 bytes
             # claiming a list of 1,000,000 structs decode (to empty structs) in 0.9 s and
             # 150 MB, and a larger count hangs the decoder; it has no length limit.
             safe_for_untrusted_input=False),
)}


def schema_text(codec_name: str, shape: Shape) -> tuple[str, str]:
    """(file suffix, text) of the schema codec `codec_name` (with or without `-prepared`)
    generates for `shape`; raises `ShapeUnsupported` when the language cannot state it and
    KeyError for a codec that is not a schema codec."""
    return LANGUAGES[codec_name.removesuffix("-prepared")].text(shape)


def parts(language: str, shape: Shape) -> Parts:
    """`language`'s codec pieces for `shape`: what the harness floors' set-up builds."""
    return LANGUAGES[language].parts(shape)
