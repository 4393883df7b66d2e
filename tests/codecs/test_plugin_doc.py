"""docs/plugins.md's plugins, taken from the page itself, installed and checked as it says.

Every fenced block whose first line names a file (`# serbench_example.py`, `# pyproject.toml`)
is that file; the page's `serbench verify` line is run as written. A change to the page that
breaks its own example fails here, and so does a change to serbench that breaks the page.
"""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from pathlib import Path

import pytest
from conftest import make_distribution, run_serbench

PAGE = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _blocks(language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(PAGE.read_text(encoding="utf-8"))
            if lang == language]


def _files(language: str, suffix: str) -> dict[str, str]:
    """The blocks of `language` whose first line is `# <name><suffix>`, by name."""
    files = {}
    for body in _blocks(language):
        first = body.splitlines()[0]
        match = re.fullmatch(r"# (\S+)" + re.escape(suffix), first.strip())
        if match:
            files[match.group(1)] = body
    return files


def _entry_points() -> dict[str, dict[str, str]]:
    """Every entry point the page's pyproject.toml blocks declare, merged by group."""
    groups: dict[str, dict[str, str]] = {}
    tomls = [body for body in _blocks("toml") if body.startswith("# pyproject.toml\n")]
    assert len(tomls) == 2, tomls  # the five-line plugin's and the complete one's
    for body in tomls:
        for group, names in tomllib.loads(body).get("project", {}).get(
                "entry-points", {}).items():
            groups.setdefault(group, {}).update(names)
    return groups


def _verify_args() -> list[str]:
    lines = [line.removeprefix("$ ").strip() for body in _blocks("console")
             for line in body.splitlines() if line.startswith("$ serbench verify")]
    assert len(lines) == 1, lines
    words = shlex.split(lines[0])
    assert words[0] == "serbench"
    return words[1:]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The page's modules and entry points laid out as `pip install` leaves them."""
    modules = _files("python", ".py")
    assert {"tinyplug", "serbench_example"} <= set(modules), sorted(modules)
    names = [tomllib.loads(body)["project"]["name"] for body in _blocks("toml")
             if "name" in tomllib.loads(body).get("project", {})]
    assert names == ["serbench-example"], names
    return make_distribution(tmp_path_factory.mktemp("site"), names[0], modules, _entry_points())


def test_the_page_declares_a_codec_and_a_payload() -> None:
    groups = _entry_points()
    assert groups["serbench.codecs"] == {"tiny": "tinyplug:codec",
                                         "msgpack-oneshot": "serbench_example:msgpack_oneshot"}
    assert groups["serbench.payloads"] == {"orders": "serbench_example:ORDERS"}


def test_the_plugins_are_listed_available(installed: Path) -> None:
    proc = run_serbench("list", "--json", pythonpath=installed)
    assert proc.returncode == 0, proc.stderr
    listing = json.loads(proc.stdout)
    codecs = {c["name"]: c for c in listing["codecs"]}
    for name in ("tiny", "msgpack-oneshot"):
        assert codecs[name]["available"] is True, codecs[name]
        assert codecs[name]["distribution"] == "serbench-example"
    oneshot = codecs["msgpack-oneshot"]
    assert oneshot["library"] == "msgpack"
    # derived from the two callables' modules and names (unpackb lives in msgpack's C module)
    encode_path, decode_path = oneshot["call_path"].split(" / ")
    assert encode_path == "msgpack.packb(obj)"
    assert decode_path.startswith("msgpack.") and decode_path.endswith(".unpackb(view)")
    assert oneshot["safe_for_untrusted_input"] is True and oneshot["same_python_only"] is False
    assert "orders" in {p["name"] for p in listing["payloads"]}


def test_the_pages_verify_line_round_trips_every_payload_exactly(installed: Path) -> None:
    args = _verify_args()
    proc = run_serbench(*args, "--json", pythonpath=installed)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    cells = json.loads(proc.stdout)
    codecs = args[args.index("--codecs") + 1].split(",")
    payloads = args[args.index("--payloads") + 1].split(",")
    assert len(cells) == len(codecs) * len(payloads), cells
    assert {c["status"] for c in cells} == {"exact"}, cells
