"""`serbench run --connect HOST:PORT`: check the server once, before anything runs.

A dead server, a wrong secret, another protocol version or a codec the server will not serve is
one clear line (a `UserError`, exit code 2) here, not a column of failed cells later. What the
server reports about itself (`info` mode) goes into environment.json beside this host's record,
and decides whether `same_python_only` codecs can run at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from serbench.codecs import get_codec
from serbench.common.errors import UserError
from serbench.transport.auth import read_secret_file
from serbench.transport.connection import Connection, Refused
from serbench.transport.errors import HandshakeFailed, PeerClosed, TransportError
from serbench.transport.hostinfo import identity_of, python_identity, python_mismatch
from serbench.transport.protocol import PROTOCOL_VERSION, parse_address

#: How long the up-front check waits for the server (connect, handshake, each reply).
CHECK_TIMEOUT_S = 10.0



def server_info(address: str, secret_file: Path) -> dict[str, Any]:
    """The server's `info` frame (protocol version and host), or a `UserError` saying what is
    wrong: unreachable, wrong secret, not a serbench server, another protocol version."""

    secret = read_secret_file(secret_file)
    where = f"--connect {address}"
    try:
        conn = Connection.open(parse_address(address), secret, timeout_s=CHECK_TIMEOUT_S)
    except (PeerClosed, HandshakeFailed) as exc:
        raise UserError(f"{where}: the handshake failed ({exc}): is {secret_file} the "
                        "server's secret?") from exc
    except TransportError as exc:
        raise UserError(f"{where}: the handshake failed ({exc})") from exc
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise UserError(f"{where}: cannot reach a server there ({reason}); start one with: "
                        "serbench serve --codec all --listen HOST:PORT --allow-remote "
                        "--secret-file FILE") from exc
    with conn:
        try:
            info = conn.info()
        except (TransportError, OSError) as exc:
            raise UserError(f"{where}: the server does not answer serbench protocol version "
                            f"{PROTOCOL_VERSION}'s info request ({exc}); run the same serbench "
                            "version on both hosts") from exc
    if info.get("protocol") != PROTOCOL_VERSION or not isinstance(info.get("host"), dict):
        raise UserError(f"{where}: the server speaks serbench protocol version "
                        f"{info.get('protocol')!r}, this serbench speaks {PROTOCOL_VERSION}; "
                        "run the same serbench version on both hosts")
    return info


def check_codecs(address: str, secret_file: Path, codecs: Iterable[str]) -> None:
    """Ask the server, once per codec, whether it serves it; `UserError` on the first refusal.
    Shape-derived codecs are bound to a payload on the server, so they are checked by their
    cells (a refusal there fails the cell with the reason)."""

    secret = read_secret_file(secret_file)
    for name in codecs:
        if get_codec(name).specialise is not None:
            continue
        try:
            with Connection.open(parse_address(address), secret,
                                 timeout_s=CHECK_TIMEOUT_S) as conn:
                conn.select(name)
        except Refused as exc:
            raise UserError(f"--connect {address}: {exc}") from exc
        except (TransportError, OSError) as exc:
            raise UserError(f"--connect {address}: asking for codec {name} failed: {exc}"
                            ) from exc


def same_python_refusals(codecs: Iterable[str], server_host: dict[str, Any]) -> dict[str, str]:
    """The `same_python_only` codecs that cannot run against this server, with the reason."""

    mismatch = python_mismatch(python_identity(), identity_of(server_host))
    if mismatch is None:
        return {}
    return {name: mismatch for name in codecs if get_codec(name).same_python_only}
