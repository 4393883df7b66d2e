"""`serbench serve`: the scenario server alone, for a fuzzer, a test or (later) a second machine.

    serbench serve --codec msgpack [--listen HOST:PORT | --unix PATH] [--secret-file PATH]

It is the very server the scenarios start (`serbench.transport.server.run`): the same framing,
handshake, limits and log lines. When it is ready it prints one line on stdout,

    READY tcp 127.0.0.1 40123        or        READY uds /run/user/1000/serbench/s

and logs to stderr, one line per connection that ends badly. It stops on Ctrl-C, SIGTERM or
SIGHUP (and, with `--exit-on-stdin-eof`, when its stdin closes: for a supervising parent).

The secret: a client must prove it holds the server's secret before the server decodes any of
its frames. `--secret-file PATH` names a file holding it as one line of hex; if the file does
not exist, serve creates it (mode 0600) with a fresh random secret, and it refuses a file that
other users can read. Without `--secret-file`, serve makes a fresh secret in a new private
directory, prints that file's path on stderr and deletes it on exit. A client (Python):

    secret = serbench.transport.auth.read_secret_file(Path(PATH))
    conn = serbench.transport.connection.Connection.open(("127.0.0.1", 40123), secret)
    conn.start_roundtrip(); reply = conn.request(codec.encode(obj))

Listening: loopback only by default (`127.0.0.1`, port 0 = any free port). Any other address
needs `--allow-remote`, and serve then warns that the traffic is not encrypted and, for a codec
that is not safe for untrusted input (the pickle family), that a peer holding the secret can
run code as you. A Unix socket must sit in a directory only you can open: serve creates a
missing directory with mode 0700 and refuses one that other users can enter.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import os
import shutil
import socket
import stat
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from serbench.cli.common import duration, say, split_list
from serbench.cli.helptext import command_help
from serbench.codecs import CodecUnavailable, get_codec
from serbench.codecs.compression import limit_decompression
from serbench.common.errors import UserError
from serbench.common.vocabulary import DEFAULT_MAX_FRAME
from serbench.extensions.fleet.catalogue import CodecCatalogue
from serbench.transport import auth, listeners, serve_loop, server
from serbench.transport.protocol import DEFAULT_TIMEOUT_S, UNIX_PATH_MAX
from serbench.transport.serve_loop import DEFAULT_MAX_CONNECTIONS

if TYPE_CHECKING:
    from serbench.cli.common import Subparsers

DEFAULT_HOST = "127.0.0.1"
MAX_TIMEOUT_S = 24 * 3600.0


def add_serve_command(sub: Subparsers) -> None:
    """Register `serve` on the CLI's subparsers."""

    p = sub.add_parser("serve", **command_help("serve"))
    p.add_argument("--codecs", "--codec", dest="codec", required=True, metavar="NAME[,NAME...]|all",
                   help="the codec the server decodes and encodes; a list (or `all`) lets "
                   "each connection name one of them (`serbench run --connect`), the first "
                   "(`all`: null) serving connections that name none")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--listen", metavar="HOST:PORT",
                       help=f"TCP address (default {DEFAULT_HOST}:0; port 0 picks a free "
                       "port; IPv6 as [::1]:PORT); non-loopback needs --allow-remote")
    where.add_argument("--unix", metavar="PATH",
                       help="listen on a Unix socket at PATH, in a directory only you can "
                       "open (created with mode 0700 if missing)")
    p.add_argument("--secret-file", metavar="PATH",
                   help="the secret clients must prove they hold: one line of hex, mode 0600; "
                   "created with a new random secret if missing (default: a temporary file "
                   "whose path is printed on stderr)")
    p.add_argument("--max-frame", type=int, default=DEFAULT_MAX_FRAME, metavar="BYTES",
                   help=f"refuse frames larger than this (default {DEFAULT_MAX_FRAME})")
    p.add_argument("--timeout", type=duration, default=DEFAULT_TIMEOUT_S, metavar="DURATION",
                   help="close a connection that sends nothing for this long, or whose "
                   f"handshake takes longer (default {DEFAULT_TIMEOUT_S:g})")
    p.add_argument("--max-connections", type=int, default=DEFAULT_MAX_CONNECTIONS, metavar="N",
                   help=f"connections served at once; more are refused (default "
                   f"{DEFAULT_MAX_CONNECTIONS})")
    p.add_argument("--allow-remote", action="store_true",
                   help="allow a non-loopback --listen address (traffic is not encrypted)")
    p.add_argument("--exit-on-stdin-eof", action="store_true",
                   help="also stop when stdin closes (for a parent process that supervises "
                   "the server)")
    p.set_defaults(func=cmd_serve)


def parse_listen(text: str) -> tuple[str, int]:
    """`HOST:PORT` or `[V6]:PORT` as (host, port); an empty host means every interface."""
    host, sep, port_text = text.rpartition(":")
    if not sep or not port_text.isdigit() or int(port_text) > 65535:
        raise UserError(f"--listen {text!r}: expected HOST:PORT with a port from 0 to 65535")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise UserError(f"--listen {text!r}: write an IPv6 address in brackets, [::1]:PORT")
    return host, int(port_text)


def resolve_listen(host: str, port: int) -> tuple[str, bool]:
    """The numeric address to bind and whether it is a loopback address."""
    if host == "":
        return "0.0.0.0", False
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise UserError(f"--listen: cannot resolve {host!r}: {exc.strerror}") from exc
    address = str(infos[0][4][0])
    return address, ipaddress.ip_address(address.split("%")[0]).is_loopback


def check_private_dir(directory: Path, what: str) -> bool:
    """Make sure `directory` exists and only this user can open it; returns True when it was
    created here (mode 0700)."""
    try:
        directory.mkdir(mode=0o700)
        created = True
    except FileExistsError:
        created = False
    except OSError as exc:
        raise UserError(f"{what}: cannot create the directory {directory} "
                        f"({exc.strerror or exc})") from exc
    info = directory.lstat()
    if not stat.S_ISDIR(info.st_mode):
        raise UserError(f"{what}: {directory} is not a directory")
    if info.st_uid != os.geteuid():
        raise UserError(f"{what}: the directory {directory} belongs to user id {info.st_uid}, "
                        "not to you")
    if info.st_mode & 0o077:
        raise UserError(f"{what}: other users can open the directory {directory} (mode "
                        f"{stat.S_IMODE(info.st_mode):04o}); use a directory only you can "
                        f"open (chmod 700), or a path in a new directory")
    return created


def _clear_stale_socket(path: Path) -> None:
    """Remove a socket file left by a server that is gone; refuse a live one or a non-socket."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(info.st_mode):
        raise UserError(f"--unix {path}: exists and is not a socket")
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(str(path))
    except (ConnectionRefusedError, FileNotFoundError):
        path.unlink(missing_ok=True)
        return
    except OSError as exc:
        raise UserError(f"--unix {path}: cannot check the existing socket ({exc})") from exc
    finally:
        probe.close()
    raise UserError(f"--unix {path}: another server is listening there")


def cmd_serve(args: argparse.Namespace) -> int:
    """Validate everything, listen, print the READY line, serve until stopped."""

    if not 1 <= args.max_frame <= 2**32 - 1:
        raise UserError(f"--max-frame must be between 1 and {2**32 - 1} bytes")
    if not 0 < args.timeout <= MAX_TIMEOUT_S:
        raise UserError(f"--timeout must be more than 0 and at most {MAX_TIMEOUT_S:g} s")
    if args.max_connections < 1:
        raise UserError("--max-connections must be at least 1")

    limit_decompression(args.max_frame)  # a compression bomb fails at the frame limit
    names = split_list(args.codec)
    served = None if names == ["all"] else names
    try:
        codecs = [get_codec(name) for name in served or ["null"]]
    except CodecUnavailable as exc:
        raise UserError(f"codec {args.codec!r} is unavailable: {exc}") from exc
    codec = codecs[0]
    unsafe = [c.name for c in codecs if not c.safe_for_untrusted_input] if served else ["pickle"]

    cleanup = contextlib.ExitStack()
    with cleanup:
        listener, where, remote = _listen(args, cleanup)
        cleanup.callback(listener.close)
        secret, secret_note = _secret(args, cleanup, auth)
        server.configure_logging(with_time=True)
        say = _stderr
        if remote:
            say(f"warning: listening on {where}, beyond this machine: the traffic is neither "
                "encrypted nor integrity-protected after the handshake; only the handshake "
                "proves a peer holds the secret")
            if unsafe:
                how = "every codec may be named" if served is None else "it is served"
                say(f"warning: the {', '.join(unsafe)} codec is not safe for untrusted input "
                    f"({how}): any peer holding the secret, or anyone who can inject into an "
                    f"established connection on the network, can run code as user id "
                    f"{os.geteuid()} on this machine")
        say(f"{args.codec} server on {where}; {secret_note}; max frame {args.max_frame} bytes, "
            f"timeout {args.timeout:g} s, at most {args.max_connections} connections; "
            "stop with Ctrl-C")
        config = serve_loop.ServerConfig(codec, secret, args.max_frame, args.timeout,
                                     args.max_connections, choose=CodecCatalogue(served))
        server.run(listener, config, watch_stdin=args.exit_on_stdin_eof)
        say("stopped")
    return 0


def _stderr(text: str) -> None:
    say("serve", text)


def _listen(args: argparse.Namespace, cleanup: contextlib.ExitStack
            ) -> tuple[socket.socket, str, bool]:
    """The listening socket, a description of where, and whether it reaches beyond loopback."""

    if args.unix:
        path = Path(args.unix).absolute()
        if len(os.fsencode(str(path))) > UNIX_PATH_MAX:
            raise UserError(f"--unix {path}: the path is longer than the "
                            f"{UNIX_PATH_MAX} bytes a Unix socket path may have")
        if check_private_dir(path.parent, f"--unix {path}"):
            cleanup.callback(_rmdir_quietly, path.parent)
        _clear_stale_socket(path)
        try:
            listener = listeners.listen_unix(str(path))
        except OSError as exc:
            raise UserError(f"--unix {path}: cannot listen there ({exc.strerror or exc})"
                            ) from exc
        cleanup.callback(_unlink_quietly, path)
        return listener, str(path), False
    host, port = parse_listen(args.listen) if args.listen else (DEFAULT_HOST, 0)
    address, loopback = resolve_listen(host, port)
    if not loopback and not args.allow_remote:
        raise UserError(f"--listen {args.listen}: {address} is not a loopback address; other "
                        "machines could connect. Pass --allow-remote if that is what you want")
    try:
        listener = listeners.listen_tcp(address, port)
    except OSError as exc:
        raise UserError(f"--listen {args.listen}: cannot listen on {address} port {port} "
                        f"({exc.strerror or exc})") from exc
    bound_host, bound_port = listener.getsockname()[:2]
    shown = f"[{bound_host}]:{bound_port}" if ":" in bound_host else f"{bound_host}:{bound_port}"
    return listener, shown, not loopback


def _secret(args: argparse.Namespace, cleanup: contextlib.ExitStack, auth: Any
            ) -> tuple[bytes, str]:
    """The secret and a note for the start-up line saying where it is."""
    if args.secret_file:
        path = Path(args.secret_file).absolute()
        secret, created = auth.load_or_create_secret_file(path)
        return secret, f"secret in {path}" + (" (created)" if created else "")
    directory = Path(tempfile.mkdtemp(prefix="serbench-serve-"))  # mode 0700
    cleanup.callback(shutil.rmtree, directory, True)
    path = directory / "secret"
    secret, _ = auth.load_or_create_secret_file(path)
    return secret, f"secret in {path} (removed on exit)"


def _unlink_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def _rmdir_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.rmdir()
