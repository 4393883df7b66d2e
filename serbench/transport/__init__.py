"""Length-prefixed frames over a stream socket, a server in another process, and its client.

The same code serves the scenarios, `serbench serve` and the robustness tests.
"""
