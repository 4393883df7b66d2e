"""Length-prefixed frames over a stream socket, a server in another process, and its client.

The same code serves the scenarios, `serbench serve` and the robustness tests. The modules, by
side:

- both: `framing` (frames), `auth` (the handshake, secrets), `protocol` (mode frames,
  acknowledgements, READY line, limits), `errors`, `placement` (CPU pinning, GC policy);
- client: `connection` (`Connection`: one authenticated connection), `server_process`
  (`ServerProcess`: start, reach and always stop a server process);
- server: `server` (runs as `python -m serbench.transport.server`, and for `serbench serve`).

The package itself holds no code: import the module you need, so `python -m
serbench.transport.server` never finds its own module already imported.
"""
