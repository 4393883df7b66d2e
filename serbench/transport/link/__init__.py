"""A real link on one machine: network namespaces, a veth pair, `tbf` and a delay.

`serbench run --link 100mbit,1ms` runs the socket scenarios with the client (the pyperf
worker) in one network namespace and the scenario server in another, joined by a veth pair
whose egress is shaped by `tbf`; propagation delay comes from `netem` where the kernel has it,
else from a relay process in a middle namespace. See docs/link.md.

- `spec`: parse `100mbit,1ms` into a `LinkSpec`.
- `netns`: namespaces, `ip`/`tc` commands, `setns`, leftover clean-up, the capability check.
- `topology`: build and always remove one link (`Link`, a context manager).
- `relay`: the delay relay process (`python -m serbench.transport.link.relay`).
- `endpoints`: what a worker needs to cross the link (namespaces and addresses).
- `measure`: the link's own RTT and throughput (`python -m serbench.transport.link.gauge`).
- `session`: the link of one `serbench run`: build, measure, record, or skip with a reason.
"""

from serbench.transport.link.spec import LinkSpec, parse_link

__all__ = ["LinkSpec", "parse_link"]
