"""What `serbench run --shard` and `--connect` change before a run starts.

Both act on the matrix and the facts environment.json records; the run itself is unchanged
(a shard is a smaller matrix; a remote server is where the workers connect).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from serbench.common.errors import UserError
from serbench.extensions.fleet.remote import check_codecs, same_python_refusals, server_info
from serbench.transport.hostinfo import host_info


def remote_matrix(matrix: Any, address: str, secret_file: Path, chosen: bool
                  ) -> tuple[Any, dict[str, Any]]:
    """Check the server at `address` once (reachable, secret, protocol, codecs, same Python)
    and return the matrix it can run with what environment.json records about both hosts.

    Only TCP leaves the host: `uds` cells are dropped. A `same_python_only` codec against
    another Python is one error line when the user chose it, else dropped with a note.
    """

    info = server_info(address, secret_file)
    server = info["host"]
    refused = same_python_refusals(matrix.codecs, server)
    if refused and chosen:
        name, why = next(iter(refused.items()))
        raise UserError(f"codec {name} needs the same Python on both hosts ({why}); drop it "
                        "from --codecs or run the same Python there")
    for name, why in refused.items():
        print(f"serbench run: note: codec {name} needs the same Python on both hosts ({why}); "
              "skipped", flush=True)
    codecs = [c for c in matrix.codecs if c not in refused]
    if not codecs:
        raise UserError("no codec of the matrix can run against this server")
    check_codecs(address, secret_file, codecs)
    transports = [t for t in matrix.transports if t == "tcp"]
    if transports != list(matrix.transports):
        print("serbench run: note: --connect measures over TCP only (a Unix socket does not "
              "leave this host)", flush=True)
    facts = {"remote": {"address": address, "protocol": info.get("protocol"),
                        "skipped_codecs": refused},
             "hosts": {"client": host_info(), "server": server}}
    return dataclasses.replace(matrix, codecs=codecs, transports=transports or ["tcp"]), facts
