"""Third-party codecs and payloads through entry points, missing libraries, lazy imports.

A third-party distribution is simulated the way pip would leave it: a module plus a
`<name>-<version>.dist-info/` directory (METADATA, entry_points.txt) in a directory that goes on
PYTHONPATH; serbench itself is not touched.
"""

from __future__ import annotations

import json
import pickle
import sys
from collections.abc import Iterator
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest
from conftest import assert_one_line_error, make_distribution, run_python, run_serbench

from serbench.cli.inventory import describe_codecs, describe_compressors, fidelity_matrix
from serbench.codecs import (
    GROUP,
    CodecEntry,
    CodecUnavailable,
    available_codecs,
    codec_entries,
    get_codec,
    known_names,
)
from serbench.codecs.compression import compressor_status
from serbench.common.errors import UserError
from serbench.fidelity.roundtrip import check
from serbench.payloads import make_payload, payload_entries

PLUGIN_SOURCE = '''
"""A third-party serbench plugin: pickle written backwards, behind a 3-byte magic."""
import pickle

from serbench.codecs import Codec
from serbench.payloads import Payload

MAGIC = b"ROT"


def _encode(obj):
    return MAGIC + pickle.dumps(obj, protocol=5)[::-1]


def _decode(view):
    data = bytes(view)
    if not data.startswith(MAGIC):
        raise ValueError("not a fake-rot frame")
    return pickle.loads(data[len(MAGIC):][::-1])


def fake_rot_codec():
    return Codec(
        name="fake-rot", library="fakecodec-plugin", version="1.0", options="reversed pickle",
        encode=_encode, decode=_decode, call_path="reverse(pickle.dumps(obj)) / ...",
        safe_for_untrusted_input=False, cross_language=False, same_python_only=False,
        human_readable=False,
    )


def broken_codec():
    import serbench_test_missing_dependency  # noqa: F401  (not installed anywhere)


def misnamed_codec():
    codec = fake_rot_codec()
    import dataclasses
    return dataclasses.replace(codec, name="something-else")


def not_a_codec():
    return {"name": "fake-dict"}


def _pairs(size, seed):
    return [(i, seed) for i in range(size)]


SHAPE = Payload("fake-shape", "pairs as tuples", 3, "pairs", _pairs)
'''


def plugin(tmp_path: Path, codecs: dict[str, str] | None = None,
           payloads: dict[str, str] | None = None) -> Path:
    """The fake distribution `fakecodec-plugin` in tmp_path/site, with these entry points."""
    groups = {}
    if codecs:
        groups["serbench.codecs"] = codecs
    if payloads:
        groups["serbench.payloads"] = payloads
    return make_distribution(tmp_path / "site", "fakecodec-plugin",
                             {"fakecodec_plugin": PLUGIN_SOURCE}, groups)



# -- third-party codecs, end to end ----------------------------------------------------------

def test_third_party_codec_is_listed_and_verified(tmp_path: Path) -> None:
    site = plugin(tmp_path, codecs={"fake-rot": "fakecodec_plugin:fake_rot_codec"})

    listing = run_serbench("list", "--json", pythonpath=site)
    assert listing.returncode == 0, listing.stderr
    codecs = {c["name"]: c for c in json.loads(listing.stdout)["codecs"]}
    fake = codecs["fake-rot"]
    assert fake["available"] is True and fake["reason"] is None
    assert fake["distribution"] == "fakecodec-plugin"
    assert (fake["library"], fake["version"]) == ("fakecodec-plugin", "1.0")
    assert fake["safe_for_untrusted_input"] is False
    assert codecs["pickle"]["distribution"] == "serbench"  # built-ins are still there

    text = run_serbench("list", pythonpath=site)
    assert text.returncode == 0, text.stderr
    assert any(line.split()[:2] == ["fake-rot", "fakecodec-plugin"]
               for line in text.stdout.splitlines())

    verify = run_serbench("verify", "--codecs", "fake-rot,fake-rot+zlib", "--payloads",
                          "small,objects:3", "--json", pythonpath=site)
    assert verify.returncode == 0, verify.stderr
    rows = {(r["codec"], r["payload"]): r for r in json.loads(verify.stdout)}
    assert {k: r["status"] for k, r in rows.items()} == {
        ("fake-rot", "small-2"): "exact", ("fake-rot", "objects-3"): "exact",
        ("fake-rot+zlib", "small-2"): "exact", ("fake-rot+zlib", "objects-3"): "exact",
    }
    # It really ran the plugin's encoder: pickle's size plus the 3-byte magic.
    small = make_payload("small").obj
    assert rows["fake-rot", "small-2"]["encoded_bytes"] == len(pickle.dumps(small, protocol=5)) + 3

    table = run_serbench("verify", "--codecs", "fake-rot", "--payloads", "small", pythonpath=site)
    assert table.returncode == 0, table.stderr
    assert ["fake-rot", "exact"] in [line.split() for line in table.stdout.splitlines()]


@pytest.mark.parametrize("command", [["list"], ["list", "--json"],
                                     ["verify", "--codecs", "pickle", "--payloads", "small"]])
def test_plugin_claiming_a_builtin_name_is_an_error(tmp_path: Path, command: list[str]) -> None:
    site = plugin(tmp_path, codecs={"pickle": "fakecodec_plugin:fake_rot_codec"})
    proc = run_serbench(*command, pythonpath=site)
    line = assert_one_line_error(proc)
    assert "'pickle' is registered twice" in line
    assert "serbench (serbench.codecs.pickle_codecs:pickle_codec)" in line
    assert "fakecodec-plugin (fakecodec_plugin:fake_rot_codec)" in line
    assert proc.stdout == ""


def test_plugin_whose_factory_cannot_import_is_unavailable(tmp_path: Path) -> None:
    site = plugin(tmp_path, codecs={
        "broken-codec": "fakecodec_plugin:broken_codec",
        "no-module": "serbench_test_missing_module:factory",
        "no-attr": "fakecodec_plugin:no_such_factory",
        "misnamed": "fakecodec_plugin:misnamed_codec",
        "not-codec": "fakecodec_plugin:not_a_codec",
        "fake-rot": "fakecodec_plugin:fake_rot_codec",
    })
    listing = run_serbench("list", "--json", pythonpath=site)
    assert listing.returncode == 0, listing.stderr
    assert "Traceback" not in listing.stderr
    codecs = {c["name"]: c for c in json.loads(listing.stdout)["codecs"]}
    reasons = {
        "broken-codec": "No module named 'serbench_test_missing_dependency'",
        "no-module": "No module named 'serbench_test_missing_module'",
        "no-attr": "no_such_factory",
        "misnamed": "built a codec named 'something-else', registered as 'misnamed'",
        "not-codec": "returned dict, not a Codec",
    }
    for name, reason in reasons.items():
        assert codecs[name]["available"] is False, name
        assert reason in codecs[name]["reason"], codecs[name]
        assert codecs[name]["distribution"] == "fakecodec-plugin"
    assert codecs["fake-rot"]["available"] is True

    text = run_serbench("list", pythonpath=site)
    assert text.returncode == 0, text.stderr
    assert "no: cannot import fakecodec_plugin:broken_codec" in text.stdout

    verify = run_serbench("verify", "--codecs", "broken-codec,pickle", "--payloads", "small",
                          "--json", pythonpath=site)
    assert verify.returncode == 0, verify.stderr
    rows = json.loads(verify.stdout)
    assert [(r["codec"], r["status"]) for r in rows] == [("broken-codec", "unsupported"),
                                                        ("pickle", "exact")]
    assert rows[0]["detail"].startswith("codec unavailable: cannot import")


def test_third_party_payload(tmp_path: Path) -> None:
    site = plugin(tmp_path, payloads={"fake-shape": "fakecodec_plugin:SHAPE"})
    listing = run_serbench("list", "--json", pythonpath=site)
    assert listing.returncode == 0, listing.stderr
    payloads = {p["name"]: p for p in json.loads(listing.stdout)["payloads"]}
    assert payloads["fake-shape"] == {"name": "fake-shape", "description": "pairs as tuples",
                                      "default_size": 3, "unit": "pairs"}
    assert "records" in payloads

    verify = run_serbench("verify", "--codecs", "pickle,json", "--payloads",
                          "fake-shape,fake-shape:5", "--json", pythonpath=site)
    assert verify.returncode == 0, verify.stderr
    rows = [(r["codec"], r["payload"], r["status"], r["detail"]) for r in json.loads(verify.stdout)]
    assert rows == [
        ("pickle", "fake-shape-3", "exact", ""),
        ("pickle", "fake-shape-5", "exact", ""),
        ("json", "fake-shape-3", "lossy", "tuple→list"),
        ("json", "fake-shape-5", "lossy", "tuple→list"),
    ]


def test_third_party_payload_claiming_a_builtin_name(tmp_path: Path) -> None:
    site = plugin(tmp_path, payloads={"records": "fakecodec_plugin:SHAPE"})
    line = assert_one_line_error(run_serbench("list", pythonpath=site))
    assert "payload name 'records' is registered twice" in line
    assert "serbench (serbench.payloads.catalog:RECORDS)" in line
    assert "fakecodec-plugin (fakecodec_plugin:SHAPE)" in line


@pytest.mark.parametrize(("target", "why"), [
    ("serbench_test_missing_module:SHAPE", "No module named 'serbench_test_missing_module'"),
    ("fakecodec_plugin:NO_SUCH_SHAPE", "NO_SUCH_SHAPE"),
    ("fakecodec_plugin:fake_rot_codec", "is not a serbench Payload"),
])
def test_broken_third_party_payload_is_one_line_error(tmp_path: Path, target: str,
                                                      why: str) -> None:
    site = plugin(tmp_path, payloads={"bad-shape": target})
    line = assert_one_line_error(run_serbench("list", pythonpath=site))
    assert "'bad-shape'" in line
    assert why in line


# -- the registry in-process -----------------------------------------------------------------

@pytest.fixture
def installed_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                     fresh_registries: None) -> Iterator[Path]:
    site = plugin(tmp_path, codecs={"fake-rot": "fakecodec_plugin:fake_rot_codec"},
                  payloads={"fake-shape": "fakecodec_plugin:SHAPE"})
    monkeypatch.syspath_prepend(str(site))
    yield site
    sys.modules.pop("fakecodec_plugin", None)


def test_registry_sees_an_installed_plugin(installed_plugin: Path) -> None:
    assert "fake-rot" in known_names()
    assert "fake-rot" in available_codecs()
    entry = codec_entries()["fake-rot"]
    assert (entry.distribution, entry.target) == ("fakecodec-plugin",
                                                  "fakecodec_plugin:fake_rot_codec")
    codec = get_codec("fake-rot+lz4")
    assert codec.name == "fake-rot+lz4"
    assert check(codec, "x", {"a": (1, 2)}).status == "exact"
    assert make_payload("fake-shape:2").obj == [(0, 42), (1, 42)]
    assert "fake-shape" in payload_entries()


def _entry(name: str, target: str) -> CodecEntry:
    return CodecEntry(name, "tests", target, EntryPoint(name=name, value=target, group=GROUP))


def test_codec_entry_build_failures(installed_plugin: Path) -> None:
    assert _entry("fake-rot", "fakecodec_plugin:fake_rot_codec").build().name == "fake-rot"
    cases = {
        ("misnamed", "fakecodec_plugin:misnamed_codec"): "registered as 'misnamed'",
        ("not-codec", "fakecodec_plugin:not_a_codec"): "returned dict, not a Codec",
        ("broken", "fakecodec_plugin:broken_codec"): "cannot import fakecodec_plugin:broken_codec",
        ("no-attr", "fakecodec_plugin:nothing_here"): "nothing_here",
        ("no-mod", "serbench_test_missing_module:f"): "serbench_test_missing_module",
    }
    for (name, target), why in cases.items():
        with pytest.raises(CodecUnavailable, match=why):
            _entry(name, target).build()


# -- missing optional libraries --------------------------------------------------------------

@pytest.mark.parametrize("codec_name", ["msgspec-json", "msgspec-msgpack"])
def test_missing_library_makes_codec_unavailable(monkeypatch: pytest.MonkeyPatch,
                                                 codec_name: str) -> None:
    monkeypatch.setitem(sys.modules, "msgspec", None)  # `import msgspec` now fails
    with pytest.raises(CodecUnavailable, match="pip install msgspec") as info:
        get_codec(codec_name)
    assert "msgspec is not installed" in str(info.value)
    rows = {row["name"]: row for row in describe_codecs()}
    assert rows[codec_name]["available"] is False
    assert "pip install msgspec" in rows[codec_name]["reason"]
    assert rows[codec_name]["library"] is None
    assert rows["pickle"]["available"] is True and rows["msgpack"]["available"] is True
    assert codec_name not in available_codecs()
    assert "pickle" in available_codecs()
    results = fidelity_matrix([codec_name, "pickle"], ["small"])
    assert [r.status for r in results] == ["unsupported", "exact"]
    assert results[0].detail.startswith("codec unavailable: msgspec is not installed")


@pytest.mark.parametrize(("modules", "compressor", "dist"), [
    (["zstandard"], "zstd", "zstandard"),
    (["lz4", "lz4.frame"], "lz4", "lz4"),
])
def test_missing_compressor_library(monkeypatch: pytest.MonkeyPatch, modules: list[str],
                                    compressor: str, dist: str) -> None:
    for module in modules:
        monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(CodecUnavailable, match=f"pip install {dist}"):
        get_codec(f"pickle+{compressor}")
    status = {c["name"]: c for c in describe_compressors()}
    assert status[compressor]["available"] is False
    assert f"pip install {dist}" in status[compressor]["reason"]
    assert status["zlib"] == {"name": "zlib", "available": True, "reason": None}
    assert compressor_status()["zlib"] is None
    get_codec("pickle+zlib")


def test_unknown_names_are_user_errors_not_unavailable() -> None:
    with pytest.raises(UserError):
        get_codec("msgspec")
    with pytest.raises(UserError):
        get_codec("msgspec-json+brotli")


LAZY_SCRIPT = """
import json, sys
import serbench, serbench.codecs, serbench.payloads
serbench.codecs.codec_entries()
serbench.codecs.known_names()
serbench.payloads.payload_entries()
heavy = ["msgpack", "cbor2", "orjson", "cloudpickle", "msgspec", "zstandard", "lz4", "numpy",
         "matplotlib", "pyperf"]
print(json.dumps([m for m in heavy if m in sys.modules]))
"""


def test_registries_import_no_codec_library() -> None:
    proc = run_python("-c", LAZY_SCRIPT)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == []


def test_building_one_codec_imports_only_its_library() -> None:
    script = ("import sys, serbench.codecs as c; c.get_codec('orjson'); "
              "print(sorted(m for m in ['msgpack', 'cbor2', 'orjson', 'msgspec', 'cloudpickle'] "
              "if m in sys.modules))")
    proc = run_python("-c", script)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "['orjson']"
