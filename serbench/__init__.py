"""serbench: what each serializer costs on the wire, for your payload shapes.

The public surface is small on purpose: the codec and payload registries, the fidelity check and
the results reader. Everything else lives in modules named for their one job.
"""

from serbench.codecs import Codec, CodecUnavailable, available_codecs, get_codec
from serbench.errors import UserError
from serbench.payloads import Payload, get_payload

__version__ = "0.1.0"

__all__ = [
    "Codec",
    "CodecUnavailable",
    "Payload",
    "UserError",
    "__version__",
    "available_codecs",
    "get_codec",
    "get_payload",
]
