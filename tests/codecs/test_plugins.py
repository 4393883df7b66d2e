"""Third-party codecs and payloads through entry points, the five-line plugin, the registry
helper's duplicate rule and failure policy, missing libraries, lazy imports.

A third-party distribution is simulated the way pip would leave it: a module plus a
`<name>-<version>.dist-info/` directory (METADATA, entry_points.txt) in a directory that goes on
PYTHONPATH (or `sys.path`, in-process); serbench itself is not touched.
"""

from __future__ import annotations

import csv
import json
import marshal
import pickle
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import (
    assert_one_line_error,
    make_distribution,
    run_python,
    run_serbench,
    run_serbench_in_process,
)

from serbench.cli.inventory import describe_codecs, describe_compressors, fidelity_matrix
from serbench.codecs import (
    CodecUnavailable,
    available_codecs,
    codec_entries,
    get_codec,
    get_codec_at,
    known_names,
)
from serbench.codecs.base import python_version
from serbench.codecs.compression import compressor_status
from serbench.common import registry
from serbench.common.errors import UserError
from serbench.fidelity.roundtrip import check
from serbench.payloads import get_payload, make_payload, payload_entries, payload_failures

PLUGIN_SOURCE = '''
"""A third-party serbench plugin: pickle written backwards, behind a 3-byte magic."""
import pickle

from serbench.plugin import Codec, Payload

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

@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow  # nine `serbench` processes
@pytest.mark.parametrize(("target", "why"), [
    ("serbench_test_missing_module:SHAPE", "No module named 'serbench_test_missing_module'"),
    ("fakecodec_plugin:NO_SUCH_SHAPE", "NO_SUCH_SHAPE"),
    ("fakecodec_plugin:fake_rot_codec", "is function, not a Payload"),
])
def test_broken_third_party_payload_fails_alone(tmp_path: Path, target: str, why: str) -> None:
    """The registry's one failure policy: the broken shape is left out and naming it is one
    line saying why; every other payload (the plugin's own too) stays usable."""
    site = plugin(tmp_path, payloads={"bad-shape": target, "fake-shape": "fakecodec_plugin:SHAPE"})
    listing = run_serbench("list", "--json", pythonpath=site)
    assert listing.returncode == 0, listing.stderr
    assert "Traceback" not in listing.stderr
    payloads = {p["name"] for p in json.loads(listing.stdout)["payloads"]}
    assert {"fake-shape", "records"} <= payloads and "bad-shape" not in payloads

    line = assert_one_line_error(run_serbench("verify", "--codecs", "pickle", "--payloads",
                                              "bad-shape", pythonpath=site))
    assert "payload 'bad-shape' from fakecodec-plugin cannot be loaded" in line
    assert f"{target}" in line and why in line
    verify = run_serbench("verify", "--codecs", "pickle", "--payloads", "fake-shape,small",
                          pythonpath=site)
    assert verify.returncode == 0, verify.stderr


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


def test_codec_build_failures(installed_plugin: Path) -> None:
    assert get_codec_at("fake-rot", "fakecodec_plugin:fake_rot_codec").name == "fake-rot"
    cases = {
        ("misnamed", "fakecodec_plugin:misnamed_codec"): "registered as 'misnamed'",
        ("not-codec", "fakecodec_plugin:not_a_codec"): "returned dict, not a Codec",
        ("broken", "fakecodec_plugin:broken_codec"): "cannot import fakecodec_plugin:broken_codec",
        ("no-attr", "fakecodec_plugin:nothing_here"): "nothing_here",
        ("no-mod", "serbench_test_missing_module:f"): "serbench_test_missing_module",
    }
    for (name, target), why in cases.items():
        with pytest.raises(CodecUnavailable, match=why):
            get_codec_at(name, target)


# -- the five-line plugin --------------------------------------------------------------------

#: The issue's plugin, exactly: two callables, one import path; the rest is derived.
TINY_SOURCE = """import marshal
from serbench.plugin import Codec
def codec():
    return Codec(encode=marshal.dumps, decode=marshal.loads)
"""


@pytest.fixture
def tiny_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                fresh_registries: None) -> Iterator[Path]:
    """`tinyplug` installed as a distribution, on this process's path and its workers'."""
    site = make_distribution(tmp_path / "site", "tinyplug", {"tinyplug": TINY_SOURCE},
                             {"serbench.codecs": {"tiny": "tinyplug:codec"}}, version="0.1")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("PYTHONPATH", str(site))  # run workers are processes of their own
    yield site
    sys.modules.pop("tinyplug", None)


def test_five_line_plugin_derives_the_rest(tiny_plugin: Path) -> None:
    codec = get_codec("tiny")
    assert (codec.name, codec.library, codec.version, codec.options) == (
        "tiny", "marshal", python_version(), "not stated")
    assert codec.call_path == "marshal.dumps(obj) / marshal.loads(view)"
    assert codec.capabilities() == {"safe_for_untrusted_input": False, "cross_language": False,
                                    "same_python_only": True, "human_readable": False}
    assert (codec.encode, codec.decode) == (marshal.dumps, marshal.loads)  # nothing wrapped
    assert codec_entries()["tiny"] == registry.Entry("tiny", "tinyplug", "tinyplug:codec")
    assert get_codec("tiny+zlib").name == "tiny+zlib"


@pytest.mark.slow  # a `serbench run` with its workers
def test_five_line_plugin_is_listed_verified_and_run(tiny_plugin: Path, tmp_path: Path) -> None:
    listing = run_serbench_in_process("list", "--json")
    assert listing.returncode == 0, listing.stderr
    tiny = {c["name"]: c for c in json.loads(listing.stdout)["codecs"]}["tiny"]
    assert {k: tiny[k] for k in ("available", "distribution", "library", "version", "options",
                                 "call_path", "safe_for_untrusted_input", "cross_language",
                                 "same_python_only", "human_readable")} == {
        "available": True, "distribution": "tinyplug", "library": "marshal",
        "version": python_version(), "options": "not stated",
        "call_path": "marshal.dumps(obj) / marshal.loads(view)",
        "safe_for_untrusted_input": False, "cross_language": False, "same_python_only": True,
        "human_readable": False}
    text = run_serbench_in_process("list")
    assert ["tiny", "marshal", *python_version().split(), "yes", "same-py"] in [
        line.split() for line in text.stdout.splitlines()]

    verify = run_serbench_in_process("verify", "--codecs", "tiny", "--payloads", "small,floats:3",
                                     "--json")
    assert verify.returncode == 0, verify.stderr
    assert [(r["codec"], r["payload"], r["status"]) for r in json.loads(verify.stdout)] == [
        ("tiny", "small-2", "exact"), ("tiny", "floats-3", "exact")]

    out = tmp_path / "run"
    run = run_serbench_in_process("run", "--codecs", "tiny,pickle", "--payloads", "small",
                                  "--scenarios", "encode,decode", "--debug-single-value",
                                  "-o", str(out), "--no-report")
    assert run.returncode == 0, (run.stdout, run.stderr)
    with (out / "summary.csv").open(newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["codec"] == "tiny"]
    assert sorted(r["scenario"] for r in rows) == ["decode", "encode"]
    for row in rows:
        assert (row["status"], row["library"], row["version"]) == ("ok", "marshal",
                                                                   python_version())
        # The worker process really ran marshal: its bytes, not pickle's.
        assert int(row["encoded_bytes"]) == len(marshal.dumps(make_payload("small").obj))


# -- the registry helper: one duplicate rule, one failure policy -----------------------------

TEST_GROUP = "serbench.test_registry"

HELPER_SOURCE = """
VALUE = 7


def factory():
    return 7


def raises():
    raise RuntimeError("no good\\nsecond line")


def missing_library():
    import serbench_test_missing_dependency  # noqa: F401


class Refused(Exception):
    pass


def refuses():
    raise Refused("its own reason")
"""


@pytest.fixture
def helper_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    site = tmp_path / "site"
    make_distribution(site, "first-dist", {"helper_mod": HELPER_SOURCE},
                      {TEST_GROUP: {"zeta": "helper_mod:VALUE", "alpha": "helper_mod:factory"}})
    monkeypatch.syspath_prepend(str(site))
    yield site
    sys.modules.pop("helper_mod", None)


def test_registry_scan_sorts_and_imports_nothing(helper_site: Path) -> None:
    entries = registry.scan(TEST_GROUP, "thing")
    assert list(entries) == ["alpha", "zeta"]
    assert entries["zeta"] == registry.Entry("zeta", "first-dist", "helper_mod:VALUE")
    assert "helper_mod" not in sys.modules
    assert entries["zeta"].load() == 7
    assert registry.build("helper_mod:factory", int, call=True) == 7


def test_registry_duplicate_rule(helper_site: Path) -> None:
    # The same target from a second distribution (editable and built): one entry.
    make_distribution(helper_site, "again-dist", {}, {TEST_GROUP: {"zeta": "helper_mod:VALUE"}})
    assert registry.scan(TEST_GROUP, "thing")["zeta"].target == "helper_mod:VALUE"
    # Another target for the name: an error naming both.
    make_distribution(helper_site, "second-dist", {}, {TEST_GROUP: {"zeta": "other:VALUE"}})
    with pytest.raises(UserError) as info:
        registry.scan(TEST_GROUP, "thing")
    message = str(info.value)
    assert message.startswith("thing name 'zeta' is registered twice: by ")
    assert "first-dist (helper_mod:VALUE)" in message
    assert "second-dist (other:VALUE)" in message


def test_registry_failure_policy(helper_site: Path) -> None:
    """Every failure is the caller's exception type, one line naming the target; the factory's
    own exception of that type passes through untouched."""
    sys.modules.pop("helper_mod", None)
    refused = registry.load_target("helper_mod:Refused")
    cases = {
        ("helper_mod:nothing", True): "cannot import helper_mod:nothing: module 'helper_mod' "
                                      "has no attribute 'nothing'",
        ("serbench_test_missing_module:x", False): "cannot import serbench_test_missing_module:x:"
                                                   " No module named",
        ("helper_mod:missing_library", True): "cannot import helper_mod:missing_library: No "
                                              "module named 'serbench_test_missing_dependency'",
        ("helper_mod:raises", True): "helper_mod:raises raised RuntimeError: no good",
        ("helper_mod:VALUE", False): "helper_mod:VALUE is int, not a str",
        ("helper_mod:factory", True): "helper_mod:factory returned int, not a str",
    }
    for (target, call), why in cases.items():
        with pytest.raises(registry.EntryFailed) as info:
            registry.build(target, str, call=call)
        assert str(info.value).startswith(why), (target, str(info.value))
        assert "\n" not in str(info.value)
    with pytest.raises(refused, match=r"^its own reason$"):
        registry.build("helper_mod:refuses", str, call=True, failure=refused)
    with pytest.raises(refused, match=r"^helper_mod:raises raised RuntimeError"):
        registry.build("helper_mod:raises", str, call=True, failure=refused)
    assert issubclass(registry.EntryFailed, UserError)  # the CLI prints it as one line


def test_broken_payload_in_process(installed_plugin: Path, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    site = make_distribution(tmp_path / "more", "broken-plugin", {"broken_shape": "1 / 0\n"},
                             {"serbench.payloads": {"bad-shape": "broken_shape:SHAPE",
                                                    "gone": "fakecodec_plugin:nothing"}})
    monkeypatch.syspath_prepend(str(site))
    payload_entries.cache_clear()
    assert "fake-shape" in payload_entries() and "records" in payload_entries()
    assert not {"bad-shape", "gone"} & set(payload_entries())
    assert payload_failures() == {
        "bad-shape": "payload 'bad-shape' from broken-plugin cannot be loaded: cannot import "
                     "broken_shape:SHAPE: ZeroDivisionError: division by zero",
        "gone": "payload 'gone' from broken-plugin cannot be loaded: cannot import "
                "fakecodec_plugin:nothing: module 'fakecodec_plugin' has no attribute 'nothing'"}
    with pytest.raises(UserError, match="'bad-shape' from broken-plugin cannot be loaded"):
        get_payload("bad-shape")
    with pytest.raises(UserError, match="'gone' from broken-plugin cannot be loaded"):
        make_payload("gone:3")
    with pytest.raises(UserError, match="unknown payload 'nope'"):
        get_payload("nope")
    listing = run_serbench_in_process("list")  # the broken ones are shown, with their reason
    assert listing.returncode == 0, listing.stderr
    assert any(line.startswith("bad-shape") and "unavailable: payload 'bad-shape'" in line
               for line in listing.stdout.splitlines())
    sys.modules.pop("broken_shape", None)


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
