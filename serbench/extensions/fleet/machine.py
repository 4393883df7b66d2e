"""Which machine a results directory was measured on: the name `serbench merge` files it under.

asv files results under `results/<machine>/`; serbench does the same with a name made from the
host name and the CPU model recorded in environment.json, or one the user gives (`serbench run
--machine`, `serbench merge --name`): the pods of a Kubernetes Job, or a CI label's runners,
have a host name each but are one kind of machine.
"""

from __future__ import annotations

import re
from typing import Any

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_NAME = 80


def slug(text: str) -> str:
    """`text` as a safe directory name: letters, digits, `.`, `_`, `-` only."""
    cleaned = _UNSAFE.sub("-", text).strip("-.")[:MAX_NAME].strip("-.")
    return cleaned or "machine"


def machine_name(environment: dict[str, Any], override: str | None = None) -> str:
    """`override`, the name the run was given (`serbench run --machine`), or host name + CPU
    model, as a directory name."""
    if override or environment.get("machine"):
        return slug(str(override or environment["machine"]))
    host = str(environment.get("hostname") or "unknown-host")
    cpu = str(environment.get("cpu_model") or "unknown-cpu")
    return slug(f"{host}-{cpu}")
