"""One model generator per library: from a shape, the classes (msgspec `defstruct`, pydantic
`create_model`, `attrs.make_class`, `dataclasses.make_dataclass`), the top-level annotation the
library's encoder/decoder is built for, and the payload → models converter. Built once per
payload, outside every timed region.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Union

from serbench.codecs.typed.annotations import annotation_for, check_modelable
from serbench.codecs.typed.convert import Convert, converter
from serbench.payloads.shapes import NEVER, OptionalOf, Record, Shape, ShapeUnsupported, records_in

__all__ = [
    "FieldSpec",
    "Models",
    "attrs_models",
    "dataclass_models",
    "msgspec_models",
    "plain_models",
    "pydantic_models",
]


@dataclass(frozen=True)
class FieldSpec:
    """One model field: its name, annotation, and whether it defaults to None (an optional
    value, or a key some instances omit)."""

    name: str
    annotation: Any
    optional: bool


@dataclass(frozen=True)
class Models:
    """The generated models for one shape."""

    #: The annotation of the whole payload (`list[Row]`, `Small`, `list[float]`).
    top: Any
    #: The generated class of each record, by record name.
    classes: Mapping[str, type]
    #: Payload object → model instances (untimed: a codec's `prepare`).
    prepare: Convert


#: A library's class factory: record name and fields → class.
MakeClass = Callable[[str, list[FieldSpec]], type]


def _field_specs(record: Record, classes: Mapping[str, type]) -> list[FieldSpec]:
    specs = []
    for f in record.fields:
        annotation = annotation_for(f.shape, classes)
        optional = isinstance(f.shape, OptionalOf) or not f.required
        if optional and not isinstance(f.shape, OptionalOf) and f.shape != NEVER:
            annotation = Union[annotation, None]  # noqa: UP007
        specs.append(FieldSpec(f.name, annotation, optional))
    return specs


def _generate(shape: Shape, make: MakeClass, library: str) -> Models:
    check_modelable(shape)
    classes: dict[str, type] = {}
    for record in records_in(shape):
        try:
            classes[record.name] = make(record.name, _field_specs(record, classes))
        except (TypeError, ValueError, NameError) as exc:
            raise ShapeUnsupported(f"{library} cannot model record {record.name}: {exc}"
                                   ) from exc
    return Models(annotation_for(shape, classes), classes, converter(shape, classes))


def _msgspec_class(name: str, fields: list[FieldSpec]) -> type:
    import msgspec

    spec: list[tuple[str, Any] | tuple[str, Any, Any]] = [
        (f.name, f.annotation, None) if f.optional else (f.name, f.annotation) for f in fields]
    return msgspec.defstruct(name, spec, kw_only=True)


def msgspec_models(shape: Shape) -> Models:
    """msgspec Structs (`defstruct`, keyword-only so optional fields may come first)."""
    return _generate(shape, _msgspec_class, "msgspec")


def _pydantic_class(name: str, fields: list[FieldSpec]) -> type:
    import pydantic

    for f in fields:
        if f.name.startswith("_"):
            raise ValueError(f"field {f.name!r} starts with an underscore (pydantic makes it a "
                             "private attribute, not a field)")
        if hasattr(pydantic.BaseModel, f.name):
            raise ValueError(f"field {f.name!r} shadows pydantic.BaseModel.{f.name}")
    config = pydantic.ConfigDict(ser_json_bytes="base64", val_json_bytes="base64",
                                 protected_namespaces=())
    definitions: dict[str, Any] = {
        f.name: (f.annotation, None if f.optional else ...) for f in fields}
    model: type = pydantic.create_model(name, __config__=config, **definitions)
    return model


def pydantic_models(shape: Shape) -> Models:
    """pydantic v2 models (`create_model`), bytes as base64 in JSON both ways (pydantic's
    default writes bytes as UTF-8 text, which random bytes are not)."""
    return _generate(shape, _pydantic_class, "pydantic")


def _attrs_class(name: str, fields: list[FieldSpec]) -> type:
    import attrs

    for f in fields:
        if f.name.startswith("_"):
            raise ValueError(f"field {f.name!r} starts with an underscore (attrs strips it "
                             "from the __init__ argument)")
    definitions = {f.name: attrs.field(type=f.annotation, default=None) if f.optional
                   else attrs.field(type=f.annotation) for f in fields}
    cls: type = attrs.make_class(name, definitions, kw_only=True, slots=True)
    return cls


def attrs_models(shape: Shape) -> Models:
    """attrs classes (`attrs.make_class`, slotted like `@attrs.define`), cattrs' native kind."""
    return _generate(shape, _attrs_class, "attrs")


def _dataclass(name: str, fields: list[FieldSpec]) -> type:
    import dataclasses

    spec: list[tuple[str, Any] | tuple[str, Any, Any]] = [
        (f.name, f.annotation, dataclasses.field(default=None)) if f.optional
        else (f.name, f.annotation) for f in fields]
    return dataclasses.make_dataclass(name, spec, kw_only=True)


def dataclass_models(shape: Shape) -> Models:
    """Plain dataclasses (`dataclasses.make_dataclass`), as a user would write them."""
    return _generate(shape, _dataclass, "dataclasses")


def plain_models(shape: Shape) -> Models:
    """No classes: the payload object as it is (the orjson → dict baseline)."""
    check_modelable(shape)
    return Models(Any, {}, _identity)


def _identity(value: Any) -> Any:
    return value
