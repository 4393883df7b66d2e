"""Network namespaces through `ip`/`tc`, entering one with `setns`, and leftover clean-up.

Every namespace serbench makes is named `serbench-<pid>-<role>`: the owner's pid tells a later
run whether the owner is gone (a crash, `kill -9`), so its namespaces can be removed at start.
Deleting a namespace deletes its veth ends, and a veth pair dies with either end.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator

from serbench.common.errors import UserError
from serbench.common.processes import pid_alive

PREFIX = "serbench-"
NETNS_DIR = "/var/run/netns"
_CLONE_NEWNET = 0x40000000
_OURS = re.compile(rf"^{re.escape(PREFIX)}(\d+)-[a-z]$")
_netem: bool | None = None


class LinkError(UserError):
    """Building or removing the link failed: one clear line (the failing command's)."""


def namespace_name(role: str, pid: int | None = None) -> str:
    """`serbench-<pid>-<role>`: unique per run, and its owner findable after a crash."""
    return f"{PREFIX}{os.getpid() if pid is None else pid}-{role}"


def link_refusal() -> str | None:
    """Why this process may not build a link (None: it may). Only root may: `ip netns add`
    mounts under /var/run/netns. `unshare -rn` is not supported: a user namespace cannot make
    the named namespaces the worker processes and the server join."""
    if not sys.platform.startswith("linux"):
        return "network namespaces need Linux"
    if os.geteuid() != 0:
        return ("building a link needs root (ip netns add); unshare -rn is not supported; "
                "run as root, or without --link")
    missing = [tool for tool in ("ip", "tc") if shutil.which(tool) is None]
    if missing:
        return f"building a link needs {' and '.join(missing)} (Debian: iproute2)"
    return None


def ip(*args: str, ns: str | None = None, tool: str = "ip") -> str:
    """Run `ip`/`tc` (inside `ns` with `-n`); its stdout, or a `LinkError` with its stderr."""
    cmd = [tool, *(["-n", ns] if ns else []), *args]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise LinkError(f"{' '.join(cmd)}: {exc}") from exc
    if done.returncode != 0:
        raise LinkError(f"{' '.join(cmd)}: {done.stderr.strip() or done.returncode}")
    return done.stdout


def tc(*args: str, ns: str) -> str:
    """`tc -n ns ...`."""
    return ip(*args, ns=ns, tool="tc")


def namespaces() -> list[str]:
    """Names of every named network namespace (`ip netns list`)."""
    return [line.split()[0] for line in ip("netns", "list").splitlines() if line.strip()]


def remove_namespace(name: str) -> None:
    """Kill what still runs in `name` (a relay, a worker), then delete it. Never raises."""
    with contextlib.suppress(UserError):
        for pid in ip("netns", "pids", name).split():
            with contextlib.suppress(OSError, ValueError):
                os.kill(int(pid), signal.SIGKILL)
    with contextlib.suppress(UserError):
        ip("netns", "delete", name)


def remove_leftovers() -> list[str]:
    """Delete serbench namespaces whose owner process is dead; returns their names."""
    removed = []
    with contextlib.suppress(UserError):
        for name in namespaces():
            match = _OURS.match(name)
            if match and not pid_alive(int(match.group(1))):
                remove_namespace(name)
                removed.append(name)
    return removed


def _setns(fd: int) -> None:
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    if libc.setns(fd, _CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns: {os.strerror(err)}")


def enter(name: str) -> None:
    """Move this thread into namespace `name` for good (Python 3.11 has no os.setns). Sockets
    made afterwards live there; sockets made before stay where they were made."""
    fd = os.open(os.path.join(NETNS_DIR, name), os.O_RDONLY | os.O_CLOEXEC)
    try:
        _setns(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def entered(name: str) -> Iterator[None]:
    """In namespace `name` for the block, then back where this thread was."""
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    try:
        enter(name)
        try:
            yield
        finally:
            _setns(home)
    finally:
        os.close(home)


def netem_available(ns: str, dev: str) -> bool:
    """Whether this kernel has `netem` (tried once per process on a device of ours)."""
    global _netem
    if _netem is None:
        try:
            tc("qdisc", "add", "dev", dev, "root", "netem", "delay", "0ms", ns=ns)
        except LinkError:
            _netem = False
        else:
            _netem = True
            tc("qdisc", "del", "dev", dev, "root", ns=ns)
    return _netem
