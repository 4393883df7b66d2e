"""Bad user input: one clear line on stderr and exit code 2, never a traceback, and nothing run.

Covers `serbench run` (names, matrix files, payload files, output and resume directories, a
codec whose library is missing) and truncated results files given to `report` and `compare`.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT, assert_one_line_error, run_serbench, run_serbench_in_process

from serbench.results import files as results

FIXTURE = ROOT / "tests" / "fixtures" / "results-small"
QUICK = ["--payloads", "small", "--transports", "tcp", "--scenarios", "encode",
         "--debug-single-value", "--no-report"]


def one_line_error(proc: subprocess.CompletedProcess[str], *needles: str) -> str:
    """One `serbench: error:` line containing every needle, and nothing measured."""
    line = assert_one_line_error(proc, *needles)
    assert "[1/" not in proc.stdout  # no cell ran
    return line


# --- names on the command line ---------------------------------------------------------------


@pytest.mark.parametrize(("args", "needles"), [
    (["--codecs", "nope"], ["unknown codec 'nope'", "known codecs:", "msgpack"]),
    (["--codecs", "msgpack+brotli"], ["unknown compressor 'brotli'", "zstd"]),
    (["--codecs", ""], ["--codecs '': names no codec"]),
    (["--payloads", "nope"], ["unknown payload 'nope'", "records"]),
    (["--payloads", "records:12q"], ["bad payload size '12q'"]),
    (["--payloads", "records:0"], ["payload size must be at least 1"]),
    (["--payloads", "no_such_module:make"], ["payload factory 'no_such_module:make'",
                                             "cannot import"]),
    (["--transports", "quic"], ["unknown transport 'quic'", "tcp, uds"]),
    (["--scenarios", "teleport"], ["unknown scenario 'teleport'", "roundtrip"]),
    (["--scenarios", "load"], ["scenario 'load' is its own command, `serbench load`"]),
    (["--cell-timeout", "0"], ["--cell-timeout: a duration must be positive"]),
    (["--processes", "0"], ["--processes must be positive"]),
    (["--time", "soon"], ["not a duration: 'soon'", "5m"]),
    (["--time", "0"], ["a duration must be positive"]),
    (["no-such-matrix"], ["no built-in matrix named 'no-such-matrix'"]),
    (["missing.toml"], ["matrix file missing.toml: cannot read it"]),
])
def test_unknown_names_and_bad_values(tmp_path: Path, args: list[str], needles: list[str]
                                      ) -> None:
    out = tmp_path / "out"
    base = [] if args[0] in ("no-such-matrix", "missing.toml") else ["--codecs", "msgpack"]
    one_line_error(run_serbench_in_process("run", *base, *QUICK, *args, "-o", str(out)),
                   *needles)
    assert not out.exists()  # checked before the results directory is even made


def test_a_bad_name_is_one_line_from_a_real_process(tmp_path: Path) -> None:
    out = tmp_path / "out"
    one_line_error(run_serbench("run", "--codecs", "nope", *QUICK, "-o", str(out)),
                   "unknown codec 'nope'")
    assert not out.exists()


# --- matrix files ---------------------------------------------------------------------------

GOOD = 'codecs = ["msgpack", "json"]\npayloads = ["small"]\nscenarios = ["encode"]\n'


@pytest.mark.parametrize(("text", "needles"), [
    (GOOD + 'transport = ["tcp"]\n',
     ["line 4: unknown key 'transport'", "known keys:", "transports"]),
    (GOOD + "[budget]\nprocesses = 1\nmin_tim = 0.01\n",
     ["line 6: unknown key 'min_tim' in [budget]", "min_time"]),
    (GOOD + '[budget]\nvalues = "two"\n', ["line 5: [budget] values must be a positive int"]),
    (GOOD + "[budget]\nwarmups = -1\n", ["line 5: [budget] warmups must be a positive int"]),
    (GOOD + '[budget]\ntime = "a while"\n', ["line 5: [budget] time: not a duration"]),
    (GOOD + "[budget]\nmin_rounds = 9\nmax_rounds = 3\n", ["min_rounds is above max_rounds"]),
    ('codecs = [\n  "msgpack",\n  "msgpak",\n]\npayloads = ["small"]\n',
     ["line 3 (codecs): unknown codec 'msgpak'", "did you mean 'msgpack'?"]),
    ('codecs = ["msgpack"]\npayloads = ["small", "recrds:100"]\n',
     ["line 2 (payloads): unknown payload 'recrds'", "did you mean 'records'?"]),
    ('codecs = ["msgpack"]\npayloads = ["records:lots"]\n',
     ["line 2 (payloads): bad payload size 'lots'"]),
    ('codecs = ["msgpack"]\npayloads = ["small"]\n\ntransports = ["tcp", "udp"]\n',
     ["line 4 (transports): unknown transport 'udp'"]),
    ('codecs = ["msgpack"]\npayloads = ["small"]\nscenarios = ["roundtrip", "encod"]\n',
     ["line 3 (scenarios): unknown scenario 'encod'", "did you mean 'encode'?"]),
    (GOOD + '[options]\npin = "sam"\n', ["line 5 (pin): unknown pin mode 'sam'",
                                         "did you mean 'same'?"]),
    (GOOD + '[options]\ngc = "of"\n', ["line 5 (gc): unknown gc policy 'of'"]),
    (GOOD + '[options]\npinning = "same"\n', ["line 5: unknown key 'pinning' in [options]"]),
    ('codecs = ["msgpack"\npayloads = ["small"]\n', ["not valid TOML", "line 2"]),
    ('codecs = ["msgpack"]\n', ["'codecs' and 'payloads' are required"]),
    ('codecs = "msgpack"\npayloads = ["small"]\n', ["line 1: 'codecs' must be a non-empty list"]),
])
def test_matrix_file_errors_name_the_key_and_line(tmp_path: Path, text: str,
                                                  needles: list[str]) -> None:
    matrix = tmp_path / "my.toml"
    matrix.write_text(text)
    line = one_line_error(run_serbench_in_process("run", str(matrix), "--debug-single-value",
                                                  "-o", str(tmp_path / "out")), *needles)
    assert f"matrix file {matrix}" in line
    assert not (tmp_path / "out").exists()


# --- payload files --------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "content", "needles"), [
    ("missing.json", None, ["cannot read it (No such file or directory)"]),
    ("bad.json", b'{"a": [1, 2', ["does not parse as json", "JSONDecodeError"]),
    ("bad.msgpack", b"\x92\x01", ["does not parse as msgpack"]),
    ("bad.cbor", b"\x82\x01", ["does not parse as cbor"]),
    ("bad.pickle", b"\x80\x05\x95", ["does not parse as pickle"]),
    ("data.yaml", b"a: 1\n", ["unknown format '.yaml'", ".json"]),
    ("directory.json", "dir", ["cannot read it"]),
])
def test_payload_file_errors(tmp_path: Path, name: str, content: bytes | str | None,
                             needles: list[str]) -> None:
    path = tmp_path / name
    if content == "dir":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    line = one_line_error(run_serbench_in_process("run", "--codecs", "msgpack", *QUICK,
                                                  "--payload-file", str(path), "-o",
                                                  str(tmp_path / "out")), *needles)
    assert f"payload file {path}" in line
    assert not (tmp_path / "out").exists()


# --- output and resume directories -------------------------------------------------------------


@pytest.mark.slow
def test_output_directory_that_cannot_be_written(tmp_path: Path) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("not a directory")
    for target, why in ((a_file / "out", "Not a directory"), (a_file, "File exists"),
                        (Path("/proc/serbench-out"), "")):
        line = one_line_error(run_serbench("run", "--codecs", "msgpack", *QUICK, "-o",
                                           str(target)),
                              f"cannot write the results directory {target}", why)
        assert line


@pytest.mark.parametrize(("damage", "needles"), [
    (None, ["--resume", "no such results directory"]),
    (lambda d: (d / "environment.json").unlink(), ["environment.json: missing"]),
    (lambda d: (d / "environment.json").write_text('{"matrix": '),
     ["environment.json: corrupt"]),
    (lambda d: (d / "environment.json").write_text('{"matrix": {"codecs": ["msgpack"]}}'),
     ["environment.json: corrupt matrix"]),
    (lambda d: (d / "environment.json").write_text('{"matrix": 3}'),
     ["environment.json: records no matrix to resume"]),
    (lambda d: _truncate(d / "summary.csv"), ["summary.csv: corrupt at line"]),
    (lambda d: _truncate(d / "msgpack.json"), ["msgpack.json: corrupt pyperf file"]),
])
def test_resume_refuses_a_missing_or_corrupt_run(tmp_path: Path, damage: object,
                                                 needles: list[str]) -> None:
    run_dir = tmp_path / "results"
    if damage is not None:
        shutil.copytree(FIXTURE, run_dir)
        damage(run_dir)  # type: ignore[operator]
    # The first case in a real process, the others through the same `main` in this one.
    run = run_serbench if damage is None else run_serbench_in_process
    one_line_error(run("run", "--resume", str(run_dir), "--debug-single-value"), *needles)


# --- a codec whose library is missing ---------------------------------------------------------


@pytest.fixture
def broken_msgspec(tmp_path: Path) -> Path:
    """A directory that, first on PYTHONPATH, shadows msgspec with a module that fails."""
    shadow = tmp_path / "shadow"
    (shadow / "msgspec").mkdir(parents=True)
    (shadow / "msgspec" / "__init__.py").write_text(
        'raise ImportError("simulated: msgspec is broken here")\n')
    return shadow


def test_a_chosen_codec_whose_library_is_missing(tmp_path: Path, broken_msgspec: Path) -> None:
    out = tmp_path / "out"
    one_line_error(run_serbench("run", "--codecs", "msgpack,msgspec-json", *QUICK, "-o",
                                str(out), pythonpath=broken_msgspec),
                   "codec 'msgspec-json' is unavailable", "simulated: msgspec is broken here",
                   "pip install msgspec")
    assert not out.exists()
    matrix = tmp_path / "mine.toml"
    matrix.write_text('codecs = ["msgspec-msgpack"]\npayloads = ["small"]\n')
    one_line_error(run_serbench("run", str(matrix), "-o", str(out), pythonpath=broken_msgspec),
                   "codec 'msgspec-msgpack' is unavailable")
    one_line_error(run_serbench("serve", "--codec", "msgspec-json", pythonpath=broken_msgspec),
                   "codec 'msgspec-json' is unavailable", "simulated")


@pytest.mark.slow  # a whole `serbench run` of the default matrix
def test_a_builtin_matrix_skips_a_codec_whose_library_is_missing(
        tmp_path: Path, broken_msgspec: Path) -> None:
    out = tmp_path / "out"
    proc = run_serbench("run", "default", *QUICK, "-o", str(out), pythonpath=broken_msgspec)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "note: codec msgspec-json is unavailable and will be skipped" in proc.stdout
    rows = {r["codec"]: r for r in results.read_summary(out)}
    for codec in ("msgspec-json", "msgspec-msgpack"):
        assert rows[codec]["status"] == "skipped"
        assert "simulated: msgspec is broken here" in rows[codec]["detail"]
    assert rows["msgpack"]["status"] == "ok"


# --- corrupt or truncated results files -------------------------------------------------------


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2 + 7])


@pytest.mark.parametrize("name", ["summary.csv", "msgpack.json", "environment.json"])
def test_report_and_compare_name_a_truncated_file(tmp_path: Path, name: str) -> None:
    damaged = tmp_path / "damaged"
    shutil.copytree(FIXTURE, damaged)
    _truncate(damaged / name)
    target = str(damaged / name)
    # summary.csv's case in real processes, the others through the same `main` in this one.
    run = run_serbench if name == "summary.csv" else run_serbench_in_process
    one_line_error(run("report", str(damaged), "-o", str(tmp_path / "report")), target)
    assert not (tmp_path / "report" / "report.html").exists()
    one_line_error(run("compare", str(FIXTURE), str(damaged)), target)
    one_line_error(run("compare", str(damaged), str(FIXTURE)), target)


def test_results_readers_name_a_truncated_file(tmp_path: Path) -> None:
    damaged = tmp_path / "damaged"
    shutil.copytree(FIXTURE, damaged)
    for name in ("summary.csv", "msgpack.json", "environment.json",
                 "samples/msgpack/roundtrip__tcp__records-10.npy"):
        _truncate(damaged / name)
    readers = [
        (lambda: results.read_summary(damaged), "summary.csv"),
        (lambda: results.load_suite(results.suite_path(damaged, "msgpack")), "msgpack.json"),
        (lambda: results.read_environment(damaged), "environment.json"),
        (lambda: results.load_samples(damaged, "msgpack", "roundtrip/tcp/records-10"),
         "roundtrip__tcp__records-10.npy"),
    ]
    for read, name in readers:
        with pytest.raises(results.ResultsError) as caught:
            read()
        assert str(damaged) in str(caught.value) and name in str(caught.value)
        assert "\n" not in str(caught.value)
