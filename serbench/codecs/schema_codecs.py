"""Schema codecs derived from the payload's shape: protobuf, Avro, Arrow, Cap'n Proto, Thrift.

Each factory returns an unbound codec: its `specialise(obj, shape)` generates the schema
(`serbench.codecs.schemas.<language>_schema`), builds the library's classes or parsed schema once,
and returns the bound codec, or raises `ShapeUnsupported` saying what the language cannot
state. Two variants per language, in different families and never ranked against each other
(docs/schemas.md):
- `<lib>`: "populate + encode" — `encode(obj)` builds the library's message from the payload's
  Python object and serializes it, `decode` parses and converts back to the payload's types;
- `<lib>-prepared`: "encode (prepared message)" — `prepare` builds the message outside the
  timed region, `encode` only serializes it, `decode` only parses (to the library's object).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from serbench.codecs.base import Codec, dist_version, require
from serbench.codecs.schemas import LANGUAGES
from serbench.common.vocabulary import FAMILY_GENERAL, FAMILY_PREPARED
from serbench.payloads.shapes.shape import Shape

__all__ = [
    "arrow_codec",
    "arrow_prepared_codec",
    "avro_codec",
    "avro_prepared_codec",
    "capnp_codec",
    "capnp_prepared_codec",
    "protobuf_codec",
    "protobuf_prepared_codec",
    "thrift_codec",
    "thrift_prepared_codec",
]

POPULATE_TIMING = "populate + encode"
PREPARED_TIMING = "encode (prepared message)"


def _unbound(name: str, what: str) -> Callable[[Any], Any]:
    def refuse(_: Any) -> Any:
        raise RuntimeError(f"{name} {what}s only once bound to a payload's shape: call "
                           "serbench.codecs.bind.bound_codec(codec, made) first")

    return refuse


def _schema_codec(language: str, prepared: bool) -> Codec:
    spec = LANGUAGES[language]
    require(spec.module, spec.distribution)
    name = f"{language}-prepared" if prepared else language

    def specialise(obj: Any, shape: Shape) -> Codec:
        binding = spec.bind(shape, prepared)
        return dataclasses.replace(
            unbound, encode=binding.encode, decode=binding.decode, prepare=binding.prepare,
            call_path=binding.call_path, specialise=None)

    unbound = Codec(
        name=name,
        library=spec.distribution,
        version=dist_version(spec.distribution),
        options=spec.options,
        encode=_unbound(name, "encode"),
        decode=_unbound(name, "decode"),
        call_path="derived from the payload's shape when bound (serbench.codecs.schemas."
        f"{language}_schema)",
        safe_for_untrusted_input=spec.safe_for_untrusted_input,
        cross_language=True,
        same_python_only=False,
        human_readable=False,
        specialise=specialise,
        family=FAMILY_PREPARED if prepared else FAMILY_GENERAL,
        timing=PREPARED_TIMING if prepared else POPULATE_TIMING,
    )
    return unbound


def protobuf_codec() -> Codec:
    """protobuf (proto3, runtime descriptors): populate a message from the object, encode."""
    return _schema_codec("protobuf", prepared=False)


def protobuf_prepared_codec() -> Codec:
    """protobuf: `SerializeToString` of a message built outside the timed region."""
    return _schema_codec("protobuf", prepared=True)


def avro_codec() -> Codec:
    """Avro via fastavro's schemaless writer/reader, from the payload object."""
    return _schema_codec("avro", prepared=False)


def avro_prepared_codec() -> Codec:
    """Avro via fastavro, from the plain dict tree built outside the timed region."""
    return _schema_codec("avro", prepared=True)


def arrow_codec() -> Codec:
    """Arrow IPC stream: build a RecordBatch from the object, write the stream."""
    return _schema_codec("arrow", prepared=False)


def arrow_prepared_codec() -> Codec:
    """Arrow IPC stream of a RecordBatch built outside the timed region."""
    return _schema_codec("arrow", prepared=True)


def capnp_codec() -> Codec:
    """Cap'n Proto (pycapnp, IDL generated and loaded at run time): new_message + to_bytes."""
    return _schema_codec("capnp", prepared=False)


def capnp_prepared_codec() -> Codec:
    """Cap'n Proto: `to_bytes` of a builder made outside the timed region."""
    return _schema_codec("capnp", prepared=True)


def thrift_codec() -> Codec:
    """Thrift (thriftpy2, IDL generated and loaded at run time): build structs, serialize."""
    return _schema_codec("thrift", prepared=False)


def thrift_prepared_codec() -> Codec:
    """Thrift: `serialize` of structs built outside the timed region."""
    return _schema_codec("thrift", prepared=True)
