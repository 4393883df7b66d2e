"""Cap'n Proto from a shape, through pycapnp: the IDL text is generated, written to a temporary
file and loaded once with `capnp.load` (pycapnp compiles schemas only from files), then each
message is a `Root.new_message()` builder filled by attribute assignment (code generated per
record from the shape), `builder.to_bytes()`, and `Root.from_bytes(view)`. The IDL and its
names: `capnp_idl`; the conversions to and from builders and readers: `capnp_convert`.

Unpacked encoding (`to_bytes`/`from_bytes`) is chosen: it is Cap'n Proto's native wire form
and its reader is zero-copy; the packed form trades CPU for size, which the compression
columns already measure. `from_bytes` is a context manager in pycapnp 2: its reader points into
the buffer and is valid only inside the `with`, so decoding converts inside it (the prepared
variant keeps it open, on a copy of the bytes). The traversal limit, Cap'n Proto's guard
against amplification, is set from the message's size (`traversal_limit`).
"""

from __future__ import annotations

from typing import Any

from serbench.codecs.schemas.binding import Binding, Parts, root_value
from serbench.codecs.schemas.capnp_convert import CapnpFill, CapnpRebuild
from serbench.codecs.schemas.capnp_idl import generate
from serbench.payloads.shapes import Shape

__all__ = ["CapnpMessage", "bind", "generate", "parts", "text"]


def traversal_limit(size: int) -> int:
    """Words a reader may traverse in a message of `size` bytes: 4x its size in words (one
    full read, as decoding does, plus the comparison fidelity makes, with margin) plus 1024.
    pycapnp's default, 8 Mi words whatever the size, let a 200-byte corrupt message keep
    `to_dict()` busy for 7 s under fuzzing (zero-sized list elements each count a word)."""
    return size // 2 + 1024


class CapnpMessage:
    """A Cap'n Proto message that compares by content (pycapnp's builders and readers compare
    by identity), so the prepared variant's fidelity can be checked: `message` is the
    prepared builder, or a decoded reader with `owner`, the open `from_bytes` context that
    keeps the reader valid (closed when this object is collected)."""

    __slots__ = ("message", "owner")

    def __init__(self, message: Any, owner: Any = None) -> None:
        self.message = message
        self.owner = owner

    def content(self) -> Any:
        """The message as pycapnp's `to_dict()` gives it."""
        return self.message.to_dict()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CapnpMessage) and bool(self.content() == other.content())

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"CapnpMessage({self.content()!r})"


def parts(shape: Shape) -> Parts:
    """The root struct (`Root`), populate (→ builder) and to_python (reader →) for `shape`."""
    schema = generate(shape)
    root_cls = getattr(schema.load(), schema.record_names[schema.root.name])
    fill = CapnpFill(schema).fill(schema.root)
    new_message = root_cls.new_message
    if schema.wrapped:
        def populate(obj: Any) -> Any:
            return fill(new_message(), {"items": obj})
    else:
        def populate(obj: Any) -> Any:
            return fill(new_message(), obj)
    return Parts(populate=populate, to_python=root_value(CapnpRebuild(schema), shape),
                 objects={"Root": root_cls}, schema=("capnp", schema.text))


def bind(shape: Shape, prepared: bool) -> Binding:
    """The pycapnp calls for `shape`: populate + encode, or encode of a prepared builder."""
    kit = parts(shape)
    root_cls = kit.objects["Root"]
    from_bytes = root_cls.from_bytes
    root_name = root_cls.schema.node.displayName.rpartition(":")[2]
    populate, to_python = kit.populate, kit.to_python

    if prepared:
        def prepare(obj: Any) -> CapnpMessage:
            return CapnpMessage(populate(obj))

        def encode_prepared(message: CapnpMessage) -> bytes:
            builder = message.message
            if message.owner is not None:
                # A decoded reader is read-only (the roundtrip server's reply): rebuilt from
                # its content, since `as_builder()` aborts the process on a corrupt message.
                builder = root_cls.new_message(**builder.to_dict())
            data: bytes = builder.to_bytes()
            builder.clear_write_flag()  # else pycapnp warns on every later write
            return data

        def decode_prepared(view: memoryview) -> CapnpMessage:
            data = view.tobytes()  # the reader points into its buffer
            owner = from_bytes(data, traversal_limit_in_words=traversal_limit(len(data)))
            return CapnpMessage(owner.__enter__(), owner)

        return Binding(
            encode=encode_prepared, decode=decode_prepared, prepare=prepare,
            call_path="def: builder.to_bytes(); builder.clear_write_flag() [builder built by "
            f"prepare, untimed] / def: {root_name}.from_bytes(view.tobytes(), "
            "traversal_limit_in_words=size // 2 + 1024) entered → "
            "the reader (Cap'n Proto reads lazily: this is the whole parse), wrapped to "
            "compare by content and to keep the context open while the reader lives (the "
            "receive buffer is copied: the reader points into it)",
            schema=kit.schema)

    def encode(obj: Any) -> bytes:
        data: bytes = populate(obj).to_bytes()
        return data

    def decode(view: memoryview) -> Any:
        # Cap'n Proto reads word-aligned segments in place; the frame sits after serbench's
        # 4-byte length prefix, so the view is unaligned: one copy (a `bytes` body is aligned).
        data = view.tobytes()
        with from_bytes(data, traversal_limit_in_words=traversal_limit(len(data))) as reader:
            return to_python(reader)

    return Binding(
        encode=encode, decode=decode,
        call_path=f"def: populate(obj).to_bytes() [{root_name}.new_message(), fields set by "
        f"attribute and init] / def: with {root_name}.from_bytes(view.tobytes(), "
        "traversal_limit_in_words=size // 2 + 1024) as r: to_python(r) "
        "[populate/to_python: "
        "shape-driven conversion and Cap'n Proto names]",
        schema=kit.schema)


def text(shape: Shape) -> tuple[str, str]:
    """(file suffix, Cap'n Proto IDL) of `shape`."""
    return "capnp", generate(shape).text
