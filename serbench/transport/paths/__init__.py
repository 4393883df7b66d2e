"""The transports Python programs use besides raw sockets, each a *path* to a forked peer:
multiprocessing's Pipe and Queue, a process pool, shared memory, ZeroMQ and Redis.

Every path offers a cell the same calls (`base.PathBase`: `start`, `roundtrip`, `send`,
`read_ack`) and is opened with `open_path(transport, config)`; `skip_reason` says in one line
why a cell cannot run here (pyzmq or redis-server missing, a codec the path cannot carry).
"""

from __future__ import annotations

from serbench.common.vocabulary import DEFAULT_MAX_FRAME, NATIVE_CODEC, PATH_TRANSPORTS
from serbench.transport.paths.base import PathBase, PathConfig, PathFailed, PathUnavailable
from serbench.transport.paths.mp_paths import PipePath, QueuePath
from serbench.transport.paths.pool_path import PoolPath
from serbench.transport.paths.redis_path import RedisPath
from serbench.transport.paths.redis_server import redis_missing, redis_server_program
from serbench.transport.paths.shm_path import ShmPath, region_bytes
from serbench.transport.paths.zmq_path import ZmqIpcPath, ZmqTcpPath, zmq_missing

__all__ = ["PATHS", "PathBase", "PathConfig", "PathFailed", "PathUnavailable", "describe_paths",
           "is_path",
           "open_path", "path_metadata", "skip_reason"]

#: Transport name -> its path class (the same names as `vocabulary.PATH_TRANSPORTS`).
PATHS: dict[str, type[PathBase]] = {
    cls.name: cls
    for cls in (PipePath, QueuePath, PoolPath, ShmPath, ZmqIpcPath, ZmqTcpPath, RedisPath)
}
assert tuple(PATHS) == PATH_TRANSPORTS, "vocabulary.PATH_TRANSPORTS and PATHS disagree"

#: Paths without a pickling of their own: the native codec has no cell there.
NO_NATIVE = {"shm": "shm has no pickling of its own (it moves the codec's bytes)"}


def is_path(transport: str | None) -> bool:
    """Whether `transport` is one of the paths (not tcp or uds)."""
    return transport in PATHS


def skip_reason(transport: str | None, codec: str) -> str | None:
    """Why this cell cannot run here (None: it can). The native codec runs only on paths."""
    if transport not in PATHS:
        if codec == NATIVE_CODEC and transport is not None:
            return (f"{transport} has no pickling of its own for the native codec "
                    "(serbench's framing moves a codec's bytes)")
        return None
    if codec == NATIVE_CODEC and transport in NO_NATIVE:
        return NO_NATIVE[transport]
    if transport.startswith("zmq-"):
        return zmq_missing()
    if transport == "redis":
        return redis_missing()
    return None


def open_path(transport: str, config: PathConfig) -> PathBase:
    """The path called `transport`, not yet opened (use it as a context manager)."""
    return PATHS[transport](config)


def path_metadata(path: PathBase) -> dict[str, str]:
    """A cell's pyperf metadata for its path: how it was configured and what it copies."""
    return {f"serbench_path_{key}": " ".join(str(value).split())
            for key, value in path.config.described.items()}


def describe_paths(transports: list[str]) -> dict[str, dict[str, str]]:
    """environment.json's `transports`: each path's configuration and library versions (or why
    it is skipped here), without opening anything; each cell's metadata adds what it used."""
    out: dict[str, dict[str, str]] = {}
    for transport in transports:
        if transport not in PATHS:
            continue
        why = skip_reason(transport, "")
        entry = {"about": (PATHS[transport].__doc__ or "").strip().splitlines()[0]}
        entry.update(_versions(transport))
        if why:
            entry["skipped"] = why
        out[transport] = entry
    return out


def _versions(transport: str) -> dict[str, str]:
    import platform

    versions = {"python": platform.python_version(), "start_method": "fork"}
    if transport.startswith("zmq-") and zmq_missing() is None:
        import zmq

        versions.update(pyzmq=zmq.pyzmq_version(), libzmq=zmq.zmq_version(),
                        sockets="DEALER (cell) -> ROUTER (peer)")
    elif transport == "redis" and redis_missing() is None:
        import redis
        from redis.utils import HIREDIS_AVAILABLE

        versions.update(redis_py=redis.__version__, hiredis=str(HIREDIS_AVAILABLE),
                        server="redis-server started per cell worker: private Unix socket, "
                               "--save '' --appendonly no",
                        program=redis_server_program() or "")
    elif transport == "shm":
        versions.update(region_bytes=str(region_bytes(DEFAULT_MAX_FRAME)))
    return versions
