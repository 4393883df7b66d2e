"""`--link`: a real link on one machine (namespaces, veth, tbf, the delay relay).

The fast tests check specs, the matrix key, the records and the skip without permission; the
slow ones build real links and need root (skipped with the reason otherwise)."""

from __future__ import annotations

import ipaddress
import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from serbench.cli.main import main
from serbench.common.errors import UserError
from serbench.runner.matrix import load_matrix
from serbench.transport.link import netns
from serbench.transport.link.endpoints import Endpoints
from serbench.transport.link.gauge import gauge_link
from serbench.transport.link.session import LinkSession, link_label
from serbench.transport.link.spec import LinkSpec, parse_link
from serbench.transport.link.topology import NETWORK, Link, tbf_args, wait_gone
from tests.conftest import ROOT, assert_one_line_error, run_serbench

REFUSAL = netns.link_refusal()
needs_link = pytest.mark.skipif(REFUSAL is not None, reason=f"no link here: {REFUSAL}")


# -- specs and records (fast) -------------------------------------------------------------
@pytest.mark.parametrize(("text", "rate", "delay"), [
    ("100mbit,1ms", 100_000_000, 0.001), ("1gbit", 10**9, 0.0),
    ("unlimited,2ms", None, 0.002), ("1.5mbit,200us", 1_500_000, 0.0002),
    (" 10MBIT , 1s ", 10_000_000, 1.0)])
def test_link_specs_parse(text: str, rate: int | None, delay: float) -> None:
    spec = parse_link(text)
    assert spec.rate_bit_s == rate
    assert spec.delay_s == pytest.approx(delay)
    assert spec.one_way_delay_s == pytest.approx(delay / 2)


@pytest.mark.parametrize(("text", "needle"), [
    ("", "RATE[,DELAY]"), ("100mbps", "bytes per second"), ("fast", "bad rate"),
    ("100mbit,1", "bad delay"), ("100mbit,1ms,2", "RATE[,DELAY]"), ("1kbit", "below"),
    ("1gbit,1h", "bad delay"), ("1gbit,20s", "not a link")])
def test_bad_link_specs_say_what_is_wrong(text: str, needle: str) -> None:
    with pytest.raises(UserError, match=None) as info:
        parse_link(text)
    assert needle in str(info.value)


def test_tbf_bucket_holds_two_frames_and_the_queue_holds_large_bursts() -> None:
    slow = tbf_args(10_000_000)
    fast = tbf_args(10**9)
    assert int(slow[slow.index("burst") + 1]) >= 2 * 1514
    assert int(fast[fast.index("burst") + 1]) == 125_000  # 1 ms at 1 Gbit/s
    assert int(slow[slow.index("limit") + 1]) >= 256 * 1024
    assert slow[slow.index("rate") + 1] == "10000000bit"


def test_endpoints_survive_the_command_line() -> None:
    ep = Endpoints("a-c", "a-s", ("198.18.0.6", 40000), ("198.18.0.2", 40000), "a-m")
    assert Endpoints.from_arg(ep.to_arg()) == ep
    plain = Endpoints("a-c", "a-s", ("198.18.0.2", 40000), ("198.18.0.2", 40000))
    assert Endpoints.from_arg(plain.to_arg()) == plain
    with pytest.raises(UserError):
        Endpoints.from_arg("a,b")


def test_cells_that_cannot_cross_a_link_say_why() -> None:
    built = LinkSession(parse_link("1gbit"), link=None, refusal=None)
    assert built.skip_reason("encode", None) is None
    assert built.skip_reason("roundtrip", "tcp") is None
    assert "uds does not cross a link" in str(built.skip_reason("stream", "uds"))
    refused = LinkSession(parse_link("1gbit"), refusal="needs root")
    assert "needs root" in str(refused.skip_reason("roundtrip", "tcp"))
    assert refused.record()["built"] is False and refused.record()["refusal"] == "needs root"


def test_link_label_goes_in_titles_only_for_link_runs() -> None:
    assert link_label({}) is None
    env = {"link": {"spec": "100mbit,1ms",
                    "measured": {"rtt_s": 0.00105, "throughput_bit_s": 95.1e6}}}
    assert link_label(env) == "link 100mbit,1ms (measured: RTT 1.05 ms, 95.1 Mbit/s)"


def test_matrix_files_take_a_link_key(tmp_path: Path) -> None:
    good = tmp_path / "m.toml"
    good.write_text('codecs = ["pickle"]\npayloads = ["small"]\nlink = "100mbit,1ms"\n')
    assert load_matrix(good).link == "100mbit,1ms"
    bad = tmp_path / "bad.toml"
    bad.write_text('codecs = ["pickle"]\npayloads = ["small"]\n\nlink = "100mbps"\n')
    with pytest.raises(UserError, match="line 4") as info:
        load_matrix(bad)
    assert "bytes per second" in str(info.value)


def test_a_bad_link_on_the_command_line_is_one_line() -> None:
    proc = run_serbench("run", "--link", "fast", "--codecs", "pickle", "--payloads", "small",
                        "--no-report")
    assert_one_line_error(proc, "link 'fast'", "bad rate")


def test_without_permission_the_link_cells_are_skipped_with_one_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(netns, "link_refusal", lambda: "building a link needs root (test)")
    code = main(["run", "--link", "50mbit,2ms", "--codecs", "pickle", "--payloads", "small",
                 "--scenarios", "roundtrip", "--transports", "tcp", "--debug-single-value",
                 "--no-report", "--concurrent", "-o", str(tmp_path / "run")])
    out = capsys.readouterr().out
    assert code == 0
    lines = [line for line in out.splitlines() if "needs root (test)" in line]
    assert len(lines) == 1 and "skipped" in lines[0]
    env = json.loads((tmp_path / "run" / "environment.json").read_text())
    assert env["link"]["built"] is False
    summary = (tmp_path / "run" / "summary.csv").read_text()
    assert "skipped" in summary and "needs root (test)" in summary


# -- real links (slow, root) ----------------------------------------------------------------
def _host_links() -> str:
    return subprocess.run(["ip", "-o", "link"], capture_output=True, text=True,
                          check=True).stdout


@pytest.mark.slow
@needs_link
def test_a_link_is_built_inside_its_namespaces_and_removed() -> None:
    before = _host_links()
    with Link(parse_link("100mbit,1ms")) as link:
        names = list(link.created)
        assert len(names) == 3 and set(names) <= set(netns.namespaces())
        network = ipaddress.ip_network(NETWORK)
        for name, addrs in link.addresses().items():
            outside = [a for a in addrs
                       if not ipaddress.ip_interface(a).ip.is_loopback
                       and ipaddress.ip_interface(a).ip not in network]
            assert outside == [], (name, addrs)
            assert any(ipaddress.ip_interface(a).ip in network for a in addrs)
        assert "tbf" in netns.tc("qdisc", "show", "dev", "veth0", ns=names[0])
        assert _host_links() == before  # nothing was added to the host's namespace
        relay = link.relay_pid
        assert relay is not None
    assert wait_gone(names)
    assert _host_links() == before
    assert not Path(f"/proc/{relay}").exists() or "zombie" in Path(
        f"/proc/{relay}/status").read_text()


@pytest.mark.slow
@needs_link
def test_a_link_is_removed_after_an_exception() -> None:
    held: list[str] = []
    with pytest.raises(RuntimeError), Link(parse_link("10mbit")) as link:
        held.extend(link.created)
        raise RuntimeError("a failed cell")
    assert held and wait_gone(held)


_HOLDER = """
import sys, time
from serbench.transport.link.spec import parse_link
from serbench.transport.link.topology import Link
with Link(parse_link("10mbit,2ms")) as link:
    print(" ".join(link.created), flush=True)
    time.sleep(60)
"""


@pytest.mark.slow
@needs_link
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_link_is_removed_when_its_holder_is_interrupted(sig: signal.Signals) -> None:
    with subprocess.Popen([sys.executable, "-c", _HOLDER], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, cwd=ROOT) as proc:
        assert proc.stdout is not None
        names = proc.stdout.readline().split()
        assert len(names) == 3 and set(names) <= set(netns.namespaces())
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode != 0 and "Error" not in err.replace("KeyboardInterrupt", "")
    assert wait_gone(names)


@pytest.mark.slow
@needs_link
def test_leftovers_of_a_dead_run_are_removed() -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    name = netns.namespace_name("c", int(dead.stdout))
    netns.ip("netns", "add", name)
    try:
        assert name in netns.remove_leftovers()
        assert name not in netns.namespaces()
    finally:
        netns.remove_namespace(name)


@pytest.mark.slow
@needs_link
def test_tbf_limits_the_throughput() -> None:
    spec = parse_link("10mbit")
    with Link(spec) as link:
        assert link.endpoints is not None and link.delay_by == "none"
        figures = gauge_link(link.endpoints, spec.delay_s)
    # a behaviour check, not a benchmark: far below what a veth carries unshaped
    assert 5e6 <= figures["throughput_bit_s"] <= 12e6


@pytest.mark.slow
@needs_link
def test_the_relay_adds_the_delay() -> None:
    spec = parse_link("unlimited,5ms")
    with Link(spec) as link:
        assert link.endpoints is not None and link.delay_by in ("relay", "netem")
        figures = gauge_link(link.endpoints, spec.delay_s, stream_s=0.2)
    assert figures["rtt_s"] >= 0.005
    if link.delay_by == "relay":
        assert figures["relay_zero_rtt_s"] < figures["rtt_s"]
        assert "relay_overhead_s" in figures


@pytest.mark.slow
@needs_link
def test_a_run_across_a_link_records_it(tmp_path: Path) -> None:
    out = tmp_path / "run"
    proc = run_serbench("run", "--link", "50mbit,2ms", "--codecs", "pickle,null",
                        "--payloads", "small", "--scenarios", "roundtrip", "--transports",
                        "tcp,uds", "--debug-single-value", "--no-report", "--concurrent",
                        "-o", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    env = json.loads((out / "environment.json").read_text())
    link = env["link"]
    assert (link["spec"], link["rate_bit_s"], link["delay_s"]) == ("50mbit,2ms", 50e6, 0.002)
    assert link["built"] and link["measured"]["rtt_s"] >= 0.002
    assert env["matrix"]["link"] == "50mbit,2ms"
    rows = (out / "summary.csv").read_text().splitlines()
    tcp = [r for r in rows if ",roundtrip,tcp," in r]
    uds = [r for r in rows if ",roundtrip,uds," in r]
    assert len(tcp) == 2 and all(",ok," in r for r in tcp)
    assert len(uds) == 2 and all("does not cross a link" in r for r in uds)
    assert not [n for n in netns.namespaces() if n.startswith(f"{netns.PREFIX}")
                and not _owner_alive(n)]


def _owner_alive(name: str) -> bool:
    pid = int(name.split("-")[1])
    return Path(f"/proc/{pid}").exists()


def test_link_spec_is_frozen() -> None:
    spec = LinkSpec("1gbit", 10**9, 0.0)
    with pytest.raises(AttributeError):
        spec.delay_s = 1.0  # type: ignore[misc]


def test_every_chart_title_names_the_link() -> None:
    from matplotlib.figure import Figure

    from serbench.report.chart_files import _with_link

    fig = Figure()
    fig.suptitle("Streaming throughput")
    _with_link(fig, "link 100mbit,1ms")
    assert fig.get_suptitle() == "Streaming throughput\nlink 100mbit,1ms"
    plain = Figure()
    plain.suptitle("Sizes")
    assert _with_link(plain, None).get_suptitle() == "Sizes"
