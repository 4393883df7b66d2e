"""The `native` codec: a transport's own pickling, so a cell shows what another serializer buys.

On a path (serbench.transport.paths) the cell hands the object itself to the transport and the
transport pickles it as programs using it do: `Pipe.send(obj)`, `Queue.put(obj)`,
`pool.submit(fn, obj)`, `send_pyobj(obj)`, and for Redis `pickle.dumps(obj, HIGHEST_PROTOCOL)`
as kombu's and RQ's pickle serializers do. In process (fidelity, sizes, the encode and decode
scenarios) it is what multiprocessing's `ForkingPickler` does: `pickle.dumps(obj)` at the
default protocol, `pickle.loads`. On tcp and uds, which have no pickling of their own, its cells
are skipped.
"""

from __future__ import annotations

import pickle

from serbench.codecs.base import Codec


def native_codec() -> Codec:
    """The transport's own pickling (in process: `pickle.dumps(obj)` / `pickle.loads(view)`)."""
    return Codec(
        name="native",
        library="python",
        version="-",
        options=f"the transport's own pickling; in process pickle.dumps at the default "
                f"protocol ({pickle.DEFAULT_PROTOCOL}), as multiprocessing's ForkingPickler",
        encode=pickle.dumps,
        decode=pickle.loads,
        call_path="the transport pickles the object itself (Queue.put(obj), Pipe.send(obj), "
                  "submit(fn, obj), send_pyobj(obj)); in process pickle.dumps(obj) / "
                  "pickle.loads(view)",
        safe_for_untrusted_input=False,
        cross_language=False,
        same_python_only=False,
        human_readable=False,
    )
