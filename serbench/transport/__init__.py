"""Length-prefixed frames over a stream socket, a server in another process, and its client.

The same code serves the scenarios, `serbench serve` and the robustness tests. The modules, by
side:

- both: `framing` (frames), `auth` (the handshake, secrets), `protocol` (mode frames,
  acknowledgements, READY line, limits, addresses), `errors`, `placement` (CPU pinning, GC
  policy), `hostinfo` (what a host reports of itself);
- client: `connection` (`Connection`: one authenticated connection), `server_process`
  (`ServerProcess`: start, reach and always stop a server process);
- server: `server` (runs as `python -m serbench.transport.server`, and for `serbench serve`),
  `serve_loop` (the accept loop and connection modes), `listeners` (listening sockets, READY
  line), `async_server` (the asyncio server of `serbench load`);
- `link/`: a real, shaped link between network namespaces on this machine (docs/link.md).

The package itself holds no code: import the module you need, so `python -m
serbench.transport.server` never finds its own module already imported.
"""
