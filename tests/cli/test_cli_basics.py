"""`serbench --help`, `list` and `verify`, run as a user runs them: each command and each kind
of error once in a subprocess, its other cases through the same `main` in this process."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import assert_one_line_error, run_serbench, run_serbench_in_process

import serbench
from serbench.cli.main import COMMANDS
from serbench.codecs import known_names
from serbench.payloads import payload_entries

FLAGS = ["safe_for_untrusted_input", "cross_language", "same_python_only", "human_readable"]


def table_rows(stdout: str) -> list[list[str]]:
    return [line.split() for line in stdout.splitlines()]



def test_help_lists_the_subcommands() -> None:
    proc = run_serbench("--help")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: serbench ")
    assert "COMMAND" in proc.stdout
    lines = [line.strip() for line in proc.stdout.splitlines()]
    assert any(line.startswith("list ") and "codecs" in line for line in lines)
    assert any(line.startswith("verify ") and "fidelity" in line for line in lines)


def test_verify_help_documents_its_options() -> None:
    proc = run_serbench_in_process("verify", "--help")
    assert proc.returncode == 0, proc.stderr
    for option in ("--codecs", "--payloads", "--payload-file", "--json"):
        assert option in proc.stdout


def test_no_command_is_a_usage_error() -> None:
    proc = run_serbench()
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "serbench: error: the following arguments are required: COMMAND (see: serbench --help)"]


def test_list_table() -> None:
    proc = run_serbench("list")
    assert proc.returncode == 0, proc.stderr
    rows = table_rows(proc.stdout)
    for name in known_names():
        assert any(row[:1] == [name] for row in rows), name
    assert next(r for r in rows if r[:1] == ["pickle"])[:3] == ["pickle", "python", "CPython"]
    json_row = next(r for r in rows if r[:1] == ["json"])
    assert json_row[-2:] == ["yes", "safe,xlang,text"]
    for compressor in ("zlib", "zstd", "lz4"):
        assert [compressor, "yes"] in rows
    for name, payload in payload_entries().items():
        assert [name, str(payload.default_size), payload.unit] == next(
            r for r in rows if r[:1] == [name])[:3]


def test_list_json() -> None:
    proc = run_serbench_in_process("list", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert set(data) == {"codecs", "payloads", "compressors"}
    codecs = {c["name"]: c for c in data["codecs"]}
    assert sorted(codecs) == known_names()
    for codec in codecs.values():
        assert {"name", "distribution", "library", "version", "available", "reason"} <= set(codec)
        assert codec["available"] is True, codec  # the test environment has every extra
        assert codec["reason"] is None
        assert isinstance(codec["library"], str) and isinstance(codec["version"], str)
        assert {"options", "call_path", *FLAGS} <= set(codec)
        assert all(isinstance(codec[f], bool) for f in FLAGS)
    assert codecs["pickle"]["safe_for_untrusted_input"] is False
    assert codecs["orjson"]["human_readable"] is True
    assert codecs["cloudpickle"]["same_python_only"] is True
    assert codecs["msgpack"]["library"] == "msgpack"

    payloads = {p["name"]: p for p in data["payloads"]}
    assert sorted(payloads) == sorted(payload_entries())
    for payload in payloads.values():
        assert set(payload) == {"name", "description", "default_size", "unit"}
        assert isinstance(payload["default_size"], int) and payload["description"]
    assert payloads["records"]["default_size"] == 1000

    assert data["compressors"] == [{"name": n, "available": True, "reason": None}
                                   for n in ("zlib", "zstd", "lz4")]


def test_verify_json() -> None:
    proc = run_serbench_in_process("verify", "--codecs", "pickle,orjson,msgspec-json",
                                   "--payloads", "small,blob:100", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert len(rows) == 6
    for row in rows:
        assert set(row) == {"codec", "payload", "status", "detail", "losses", "encoded_bytes"}
    cells = {(r["codec"], r["payload"]): r for r in rows}
    assert [(r["codec"], r["payload"]) for r in rows] == [
        (c, p) for c in ("pickle", "orjson", "msgspec-json") for p in ("small-2", "blob-100")]
    assert cells["pickle", "blob-100"]["status"] == "exact"
    assert cells["pickle", "blob-100"]["encoded_bytes"] > 100
    assert cells["orjson", "blob-100"]["status"] == "unsupported"
    assert cells["orjson", "blob-100"]["encoded_bytes"] is None
    assert cells["orjson", "blob-100"]["detail"].startswith("encode: TypeError")
    assert cells["msgspec-json", "blob-100"]["status"] == "lossy"
    assert cells["msgspec-json", "blob-100"]["losses"] == ["bytes→str"]


@pytest.mark.slow
def test_verify_default_is_every_codec_and_payload() -> None:
    proc = run_serbench("verify", "--json", "--payloads", "small")
    assert proc.returncode == 0, proc.stderr
    assert [r["codec"] for r in json.loads(proc.stdout)] == known_names()


def test_verify_table() -> None:
    proc = run_serbench("verify", "--codecs", "pickle,msgpack", "--payloads", "small,records:10")
    assert proc.returncode == 0, proc.stderr
    rows = table_rows(proc.stdout)
    assert ["codec", "small-2", "records-10"] in rows
    assert ["pickle", "exact", "exact"] in rows
    assert ["msgpack", "exact", "exact"] in rows
    assert "what happened" not in proc.stdout  # nothing to explain


def test_verify_table_explains_what_is_not_exact() -> None:
    proc = run_serbench_in_process("verify", "--codecs", "pickle,msgpack,msgspec-json",
                                   "--payloads", "numpy:10,objects:2")
    assert proc.returncode == 0, proc.stderr
    rows = table_rows(proc.stdout)
    assert ["pickle", "exact", "exact"] in rows
    assert ["msgpack", "unsupported", "unsupported"] in rows
    assert ["msgspec-json", "unsupported", "lossy"] in rows
    notes = [line for line in proc.stdout.splitlines() if line.startswith("msgspec-json  ")]
    assert any("objects-2" in n and "lossy" in n and "dataclass→dict" in n for n in notes)
    assert any(line.startswith("msgpack") and "numpy-10" in line and "can not serialize" in line
               for line in proc.stdout.splitlines())


def test_verify_payload_file(tmp_path: Any) -> None:
    path = tmp_path / "mine.json"
    path.write_text('{"a": [1, 2], "b": "ü"}', encoding="utf-8")
    proc = run_serbench_in_process("verify", "--codecs", "orjson", "--payloads", "small",
                                   "--payload-file", str(path), "--json")
    assert proc.returncode == 0, proc.stderr
    assert [(r["payload"], r["status"]) for r in json.loads(proc.stdout)] == [
        ("small-2", "exact"), ("mine", "exact")]


@pytest.mark.parametrize(("args", "expected"), [
    (["verify", "--codecs", "nope"], "unknown codec 'nope'; known codecs: "),
    (["verify", "--codecs", "pickle,nope"], "unknown codec 'nope'; known codecs: "),
    (["verify", "--codecs", "pickle+gzip"], "unknown compressor 'gzip'; known compressors: "),
])
def test_unknown_codec_is_one_line_error(args: list[str], expected: str) -> None:
    proc = (run_serbench if args[-1] == "nope" else run_serbench_in_process)(*args)
    line = assert_one_line_error(proc)
    assert expected in line
    if "codec 'nope'" in expected:
        assert line.endswith(", ".join(known_names()))
    else:
        assert line.endswith("lz4, zlib, zstd")
    assert proc.stdout == ""


@pytest.mark.parametrize("spec", ["nope", "nope:5", "records:lots", "records:0"])
def test_unknown_or_bad_payload_is_one_line_error(spec: str) -> None:
    run = run_serbench if spec == "nope" else run_serbench_in_process
    proc = run("verify", "--codecs", "pickle", "--payloads", spec)
    line = assert_one_line_error(proc)
    if spec.startswith("nope"):
        assert line.startswith("serbench: error: unknown payload 'nope'; known payloads: ")
        assert line.endswith(", ".join(sorted(payload_entries())))
    else:
        assert repr(spec.partition(":")[2]) in line or spec in line


def test_missing_payload_file_is_one_line_error(tmp_path: Any) -> None:
    path = tmp_path / "absent.msgpack"
    line = assert_one_line_error(run_serbench_in_process("verify", "--payload-file", str(path)))
    assert str(path) in line


def test_version() -> None:
    proc = run_serbench_in_process("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"serbench {serbench.__version__}"


def test_help_lists_every_command_and_each_has_its_own_help() -> None:
    """`--help` is built from the command table; each command's own `--help` loads its module."""
    listing = run_serbench_in_process("--help").stdout
    for command in COMMANDS:
        assert command.name in listing
        assert run_serbench_in_process(command.name, "--help").returncode == 0, command.name
    assert run_serbench_in_process("model", "--help").returncode == 0  # the old name


def test_a_missing_or_broken_harness_file_is_one_line(tmp_path: Any) -> None:
    assert_one_line_error(run_serbench_in_process("harness", str(tmp_path / "none.toml")),
                          "none.toml", "cannot read the harness file")
    bad = tmp_path / "bad.toml"
    bad.write_text("x = [")
    assert_one_line_error(run_serbench_in_process("harness", str(bad)), "not a valid TOML")
