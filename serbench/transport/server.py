"""The scenario server's process: decodes what the client sends and answers, in its own
process, serving with `serve_loop.serve`.

Run as `python -m serbench.transport.server --codec NAME --transport tcp|uds ...`; it reads the
run's secret (hex) from the first line of stdin, prints one `READY <transport> <address>` line
when it listens, and exits when its stdin closes (its parent is gone), on SIGTERM or SIGINT.
`serbench serve` runs the same server (`run`) with a secret from a file and no stdin watch.
The connection modes and the memory bounds: `serbench.transport.serve_loop`.

This module is the program `python -m` runs, so nothing it imports imports it back (that
would load it a second time under its package name): the serve loop and the listeners live
in their own modules, and are re-exported here for the server's callers.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable
from types import FrameType

from serbench.codecs import Codec, get_codec
from serbench.codecs.bind import bound_codec
from serbench.common.vocabulary import DEFAULT_MAX_FRAME
from serbench.payloads.cache import made_payload
from serbench.transport import placement
from serbench.transport.auth import check_secret
from serbench.transport.listeners import listen_tcp, listen_unix, ready_line
from serbench.transport.protocol import DEFAULT_TIMEOUT_S
from serbench.transport.serve_loop import DEFAULT_MAX_CONNECTIONS, ServerConfig, serve

__all__ = [
    "add_payload_arguments",
    "bind_to_payload",
    "configure_logging",
    "install_shutdown",
    "main",
    "run",
    "serve_from_command_line",
]

log = logging.getLogger("serbench.server")


def configure_logging(with_time: bool = False) -> None:
    """One line per event on stderr, prefixed with the server's process id."""
    stamp = "%(asctime)s " if with_time else ""
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format=f"{stamp}serbench-server[%(process)d]: %(message)s")


def install_shutdown(listener: socket.socket, stop: threading.Event, *,
                     watch_stdin: bool) -> None:
    """Stop serving on SIGTERM, SIGINT or SIGHUP, and (with `watch_stdin`) when stdin reaches
    EOF: the parent died or closed it. Call from the main thread."""

    def shutdown() -> None:
        stop.set()
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)
        listener.close()

    def watch() -> None:
        # os.read on the descriptor, not sys.stdin: a daemon thread blocked inside the
        # buffered reader holds its lock, and interpreter shutdown then aborts the process
        # ("could not acquire lock for <stdin> at interpreter shutdown") after a 1 s wait.
        with contextlib.suppress(OSError, ValueError):
            while os.read(fd, 4096):
                pass
        shutdown()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        shutdown()

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, on_signal)
    if watch_stdin:
        fd = sys.stdin.fileno()
        threading.Thread(target=watch, name="serbench-stdin-watch", daemon=True).start()


def run(listener: socket.socket, config: ServerConfig, *, watch_stdin: bool,
        gc_policy: str = "on") -> None:
    """Serve on `listener` until a signal (or stdin EOF): print the READY line on stdout once
    the server listens and is set up, then accept connections. Used by both entry points."""
    check_secret(config.secret)
    stop = threading.Event()
    install_shutdown(listener, stop, watch_stdin=watch_stdin)
    placement.apply_gc_policy(gc_policy)
    print(ready_line(listener), flush=True)
    serve(listener, config, stop)


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m serbench.transport.server")
    parser.add_argument("--codec", required=True)
    parser.add_argument("--transport", choices=["tcp", "uds"], required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--path", help="Unix socket path (uds)")
    parser.add_argument("--max-frame", type=int, default=DEFAULT_MAX_FRAME)
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S)
    parser.add_argument("--cpu", type=int, default=None, help="pin to this CPU")
    parser.add_argument("--gc", choices=["on", "off"], default="on")
    parser.add_argument("--max-connections", type=int, default=DEFAULT_MAX_CONNECTIONS)
    add_payload_arguments(parser)
    return parser.parse_args(argv)


def add_payload_arguments(parser: argparse.ArgumentParser) -> None:
    """`--payload` and `--payload-cache`, which every server kind takes for `bind_to_payload`."""
    parser.add_argument("--payload", default=None, metavar="SPEC",
                        help="the payload a shape-derived codec (schema, typed) is bound to")
    parser.add_argument("--payload-cache", default=None, metavar="FILE",
                        help="the run's pickled payload, read instead of generating it")


def bind_to_payload(codec: Codec, spec: str | None, cache: str | None) -> Codec:
    """The codec this server decodes with: a codec derived from the payload's shape (schema
    codecs, typed models) is bound to the payload first, as the client binds its own."""
    if codec.specialise is None:
        return codec
    if spec is None:
        raise SystemExit(f"codec {codec.name} is derived from the payload's shape: "
                         "start the server with --payload SPEC")

    return bound_codec(codec, made_payload(spec, cache))


def serve_from_command_line(args: argparse.Namespace,
                            serve: Callable[[socket.socket, Codec, bytes], None]) -> int:
    """What every server kind's `main` does around `serve(listener, codec, secret)`: the secret
    from stdin, the pinning, the codec (bound to its payload), the listener, and the Unix socket
    removed afterwards. 2 when stdin holds no usable secret."""
    try:
        secret = check_secret(bytes.fromhex(sys.stdin.readline().strip()))
    except ValueError as exc:
        log.error("no usable secret on stdin (expected at least 32 hex digits): %s", exc)
        return 2
    placement.pin_self(args.cpu)
    codec = bind_to_payload(get_codec(args.codec), args.payload, args.payload_cache)
    listener = (listen_tcp(args.host, args.port) if args.transport == "tcp"
                else listen_unix(args.path))
    try:
        serve(listener, codec, secret)
    finally:
        if args.transport == "uds" and args.path:
            with contextlib.suppress(OSError):
                os.unlink(args.path)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Server process entry point: secret from stdin, READY line on stdout."""
    configure_logging()
    args = _parse_args(argv)

    def serve(listener: socket.socket, codec: Codec, secret: bytes) -> None:
        config = ServerConfig(codec, secret, args.max_frame, args.timeout,
                              args.max_connections)
        run(listener, config, watch_stdin=True, gc_policy=args.gc)

    return serve_from_command_line(args, serve)


if __name__ == "__main__":
    raise SystemExit(main())
