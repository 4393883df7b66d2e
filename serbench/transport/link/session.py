"""The link of one `serbench run`: build it, measure it, record it, or skip with a reason.

Only the socket scenarios cross the link, and only over TCP (a Unix socket never leaves the
host: such cells are skipped saying so). Where a link may not be built (not root, no `ip`),
one line says why and the socket cells are skipped with that reason; nothing crashes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from serbench.common.vocabulary import SOCKET_SCENARIOS
from serbench.transport.link import netns
from serbench.transport.link.gauge import gauge_link
from serbench.transport.link.spec import LinkSpec, parse_link
from serbench.transport.link.topology import Link, tbf_burst_bytes


@dataclass
class LinkSession:
    """A run's link: built (`link`) or refused (`refusal`), with its measured figures."""

    spec: LinkSpec
    link: Link | None = None
    refusal: str | None = None
    figures: dict[str, Any] = field(default_factory=dict)

    def skip_reason(self, scenario: str, transport: str | None) -> str | None:
        """Why a cell cannot run across this link (None: it can, or does not use it)."""
        if scenario not in SOCKET_SCENARIOS:
            return None
        if self.refusal is not None:
            return f"link {self.spec.text} not built: {self.refusal}"
        if transport != "tcp":
            return f"{transport} does not cross a link (only tcp does): --link {self.spec.text}"
        return None

    @property
    def worker_arg(self) -> str | None:
        """The workers' `--link-endpoints` value (None when the link was not built)."""
        if self.link is None or self.link.endpoints is None:
            return None
        return self.link.endpoints.to_arg()

    def record(self) -> dict[str, Any]:
        """environment.json's `link`: the spec, how it was built, and what it measured."""
        out: dict[str, Any] = {
            "spec": self.spec.text, "rate_bit_s": self.spec.rate_bit_s,
            "delay_s": self.spec.delay_s, "delay_means": "added round-trip time",
            "built": self.link is not None}
        if self.refusal is not None:
            out["refusal"] = self.refusal
        if self.link is not None:
            out["delay_by"] = self.link.delay_by
            if self.spec.rate_bit_s:
                out["burst_bytes"] = tbf_burst_bytes(self.spec.rate_bit_s)
            out["addresses"] = {name.rsplit("-", 1)[1]: addrs
                                for name, addrs in self.link.addresses().items()}
        out["measured"] = dict(self.figures)
        return out


def link_label(environment: dict[str, Any]) -> str | None:
    """`link 100mbit,1ms (measured: RTT 1.06 ms, 95.1 Mbit/s)` for chart titles, or None."""
    link = environment.get("link")
    if not isinstance(link, dict) or not link.get("spec"):
        return None
    measured = link.get("measured") or {}
    rtt, rate = measured.get("rtt_s"), measured.get("throughput_bit_s")
    if isinstance(rtt, int | float) and isinstance(rate, int | float):
        return f"link {link['spec']} (measured: RTT {rtt * 1e3:.3g} ms, {rate / 1e6:.4g} Mbit/s)"
    return f"link {link['spec']}"


@contextlib.contextmanager
def open_link(text: str | None, progress: Callable[[str], None]
              ) -> Iterator[LinkSession | None]:
    """The run's link for the block (None without `--link`); always removed afterwards."""
    if text is None:
        yield None
        return
    spec = parse_link(text)
    refusal = netns.link_refusal()
    if refusal is not None:
        progress(f"serbench run: --link {spec.text}: {refusal}; its socket cells are skipped")
        yield LinkSession(spec, refusal=refusal)
        return
    with Link(spec) as link:
        assert link.endpoints is not None
        figures = gauge_link(link.endpoints, spec.delay_s)
        overhead = figures.get("relay_overhead_s")
        extra = (f", relay's own hop {overhead * 1e3:.3f} ms" if overhead is not None else "")
        progress(f"serbench run: link {spec.text} built ({link.delay_by} delay); measured "
                 f"RTT {figures['rtt_s'] * 1e3:.3f} ms, "
                 f"{figures['throughput_bit_s'] / 1e6:.1f} Mbit/s{extra}")
        yield LinkSession(spec, link, figures=figures)


__all__ = ["LinkSession", "link_label", "open_link", "parse_link"]
