"""The run's environment: what a reader needs to judge (or reproduce) the figures."""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.metadata
import os
import platform
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from serbench import __version__
from serbench.common.vocabulary import PICKLE_PROTOCOL

LIBRARIES = ("pyperf", "numpy", "matplotlib", "msgpack", "cbor2", "orjson", "cloudpickle",
             "msgspec", "zstandard", "lz4",
             # the zoo ([zoo]) and open-loop load ([load])
             "ujson", "python-rapidjson", "simplejson", "pysimdjson", "ormsgpack", "pymongo",
             "dill", "jsonpickle", "serpent", "protobuf", "fastavro", "pyarrow", "pycapnp",
             "thriftpy2", "pydantic", "cattrs", "attrs", "mashumaro", "hdrhistogram", "uvloop")


def now_iso() -> str:
    """The current time, ISO 8601 with the UTC offset."""
    return dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds")


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo (or platform.processor())."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def library_versions() -> dict[str, str | None]:
    """Installed version of every library serbench can use (None: not installed)."""
    versions: dict[str, str | None] = {}
    for name in LIBRARIES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def git_commit() -> str | None:
    """serbench's git commit when running from a checkout (with '-dirty' for local edits)."""
    root = Path(__file__).resolve().parent.parent.parent
    if not (root / ".git").exists():
        return None
    try:
        out = subprocess.run(["git", "-C", str(root), "describe", "--always", "--dirty",
                              "--abbrev=12"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None


#: Facts the command line established before the run (the remote server's record, the shard):
#: part of every environment block collected while `noted` is active.
_NOTED: dict[str, Any] = {}


@contextlib.contextmanager
def noted(facts: dict[str, Any]) -> Iterator[None]:
    """Add `facts` to every environment collected inside the block (and only there)."""
    saved = dict(_NOTED)
    _NOTED.update(facts)
    try:
        yield
    finally:
        _NOTED.clear()
        _NOTED.update(saved)


def collect(extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The environment block of a run."""

    env: dict[str, Any] = {
        "hostname": socket.gethostname(),
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpu_affinity": sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
        else None,
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "python_implementation": platform.python_implementation(),
        "python_build": " ".join(platform.python_build()),
        "serbench_version": __version__,
        "serbench_commit": git_commit(),
        "libraries": library_versions(),
        "pickle_protocol": PICKLE_PROTOCOL,
        "load_average_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "start": now_iso(),
        **_NOTED,
    }
    if extra:
        env.update(extra)
    return env
