"""Shared helpers: running the CLI in a subprocess, fake plugin distributions, fake codecs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from serbench.codecs import Codec, codec_entries
from serbench.payloads import payload_entries

ROOT = Path(__file__).resolve().parent.parent
#: The checked-in small run (results format 1).
RESULTS_SMALL = ROOT / "tests" / "fixtures" / "results-small"

# The tests sit in one folder per package (tests/codecs, tests/report, ...); a few import each
# other's tables by module name (test_fidelity reads the codec tests' FIDELITY tables), which
# works from any folder, and for a single file run alone, with every folder on the path.
for _folder in sorted(p for p in Path(__file__).parent.iterdir() if p.is_dir()):
    if _folder.name != "fixtures" and not _folder.name.startswith((".", "_")):
        sys.path.insert(0, str(_folder))


def run_serbench(*args: str, pythonpath: Path | None = None,
                 env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m serbench ARGS` in a fresh interpreter (the venv's, the one running pytest)."""
    return run_python("-m", "serbench", *args, pythonpath=pythonpath, env=env)


def run_serbench_in_process(*args: str) -> subprocess.CompletedProcess[str]:
    """`serbench ARGS` through `serbench.cli.main.main` in this interpreter, its output
    captured: for the many bad-input cases that must fail before anything starts, without an
    interpreter start each (a few cases per kind still run `run_serbench`, a real process)."""
    import contextlib
    import io

    from serbench.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse's own errors
            code = exc.code if isinstance(exc.code, int) else 1
    return subprocess.CompletedProcess(["serbench", *args], code, out.getvalue(),
                                       err.getvalue())


def run_python(*args: str, pythonpath: Path | None = None,
               env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run this interpreter with ARGS, optionally with an extra directory on PYTHONPATH."""
    full_env = dict(os.environ)
    full_env.pop("PYTHONPATH", None)
    if pythonpath is not None:
        full_env["PYTHONPATH"] = str(pythonpath)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, cwd=ROOT, env=full_env,
        timeout=120, check=False,
    )


def make_distribution(root: Path, dist_name: str, modules: dict[str, str],
                      entry_points: dict[str, dict[str, str]], version: str = "1.0") -> Path:
    """Lay out an installed distribution in `root`: its modules plus a `.dist-info` directory.

    This is what `pip install` leaves in site-packages, so `importlib.metadata` finds it once
    `root` is on `sys.path` (or PYTHONPATH): a third-party plugin without touching serbench.
    """
    root.mkdir(parents=True, exist_ok=True)
    for module, source in modules.items():
        (root / f"{module}.py").write_text(source, encoding="utf-8")
    info = root / f"{dist_name.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {dist_name}\nVersion: {version}\n", encoding="utf-8")
    lines = []
    for group, names in entry_points.items():
        lines.append(f"[{group}]")
        lines.extend(f"{name} = {target}" for name, target in names.items())
        lines.append("")
    (info / "entry_points.txt").write_text("\n".join(lines), encoding="utf-8")
    return root


@pytest.fixture
def fresh_registries() -> Iterator[None]:
    """Clear the cached codec and payload registries before and after the test."""
    codec_entries.cache_clear()
    payload_entries.cache_clear()
    yield
    codec_entries.cache_clear()
    payload_entries.cache_clear()


def fake_codec(encode: Callable[[Any], Any], decode: Callable[[memoryview], Any], *,
               name: str = "fake", prepare: Callable[[Any], Any] | None = None) -> Codec:
    """A minimal Codec record around two callables."""
    return Codec(
        name=name, library="tests", version="0", options="", encode=encode, decode=decode,
        call_path="fake", safe_for_untrusted_input=False, cross_language=False,
        same_python_only=False, human_readable=False, prepare=prepare,
    )


def assert_one_line_error(proc: subprocess.CompletedProcess[str], *needles: str) -> str:
    """Exit code 2 and exactly one `serbench: error:` line on stderr (containing every
    needle), never a traceback: how serbench answers bad input."""
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("serbench: error: "), lines[0]
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return str(lines[0])


@pytest.fixture(autouse=True, scope="session")
def _interruptible_children() -> None:
    """A suite started in the background (`cmd &` in a script) inherits SIGINT ignored, and
    so would every serbench process it starts: the Ctrl-C tests need SIGINT delivered."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session")
def small_run_report(tmp_path_factory: pytest.TempPathFactory
                     ) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """`serbench report tests/fixtures/results-small -o OUT` in a real process, made once for
    the session (its charts take seconds): (OUT, the process). Tests only read OUT; a test that
    writes beside the report works on a copy."""
    out = tmp_path_factory.mktemp("small-run-report")
    proc = run_serbench("report", str(RESULTS_SMALL), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    return out, proc


@pytest.fixture(scope="session")
def v2_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    """The format-2 run of `test_report_data.write_v2_run` (a suspect run, with rounds) and the
    files `build_report` wrote into it, made once for the session (its charts take seconds):
    tests only read them."""
    from test_report_data import write_v2_run

    from serbench.report import build_report

    results = write_v2_run(tmp_path_factory.mktemp("v2-report") / "v2")
    return results, build_report(results)
