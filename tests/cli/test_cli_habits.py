"""A CLI that fits CI and habits: every subcommand's --help describes it with an example and the
exit codes (and docs/cli.md says the same), one duration grammar for every duration flag, one
name for one idea (old spellings kept), one-line errors, `run --strict`, and the verdict last."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT, assert_one_line_error, run_serbench, run_serbench_in_process

from serbench.cli.helptext import DESCRIPTIONS, EXAMPLES, EXIT_CODES
from serbench.cli.main import COMMANDS, build_parser
from serbench.report.text import TIMES as X

FIXTURE = ROOT / "tests" / "fixtures" / "results-small"
NAMES = [c.name for c in COMMANDS]


@pytest.mark.parametrize("name", NAMES)
def test_every_subcommand_help_describes_it_with_an_example_and_exit_codes(name: str) -> None:
    proc = run_serbench_in_process(name, "--help")
    assert proc.returncode == 0, proc.stderr
    text = " ".join(proc.stdout.split())
    assert " ".join(DESCRIPTIONS[name].split()) in text
    assert re.search(r"^examples?:$", proc.stdout, re.MULTILINE)
    for example in EXAMPLES[name]:
        assert f"  {example}" in proc.stdout and example.startswith(f"serbench {name}")
    assert "exit codes:" in proc.stdout
    for code, _ in EXIT_CODES:
        assert re.search(rf"^  {code} ", proc.stdout, re.MULTILINE), code


def test_docs_cli_lists_every_subcommand_its_examples_and_the_exit_codes() -> None:
    doc = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    for name in NAMES:
        assert f"## serbench {name}" in doc, name
        for example in EXAMPLES[name]:
            assert example in doc, example
    for code, _ in EXIT_CODES:
        assert f"| {code} |" in doc
    assert "--fail-slower" in doc and "--strict" in doc


DURATION_FLAGS = [
    (["run", "--cell-timeout", "2m"], "cell_timeout", 120.0),
    (["run", "--cell-timeout", "90"], "cell_timeout", 90.0),
    (["run", "--min-time", "100ms"], "min_time", 0.1),
    (["run", "--time", "1.5h"], "time", "1.5h"),  # read by the matrix's parser, same grammar
    (["serve", "--codecs", "null", "--timeout", "500ms"], "timeout", 0.5),
    (["serve", "--codecs", "null", "--timeout", "2m"], "timeout", 120.0),
]


@pytest.mark.parametrize(("argv", "dest", "value"), DURATION_FLAGS)
def test_duration_flags_read_one_grammar(argv: list[str], dest: str, value: object) -> None:
    args = build_parser(argv).parse_args(argv)
    assert getattr(args, dest) == pytest.approx(value) if isinstance(value, float) else value


@pytest.mark.parametrize("argv", [
    ["run", "--cell-timeout", "soon"], ["run", "--min-time", "0"],
    ["serve", "--codecs", "null", "--timeout", "5 parsecs"],
    ["load", "--duration", "5 fortnights"],
])
def test_a_bad_duration_is_one_line(argv: list[str]) -> None:
    line = assert_one_line_error(run_serbench_in_process(*argv))
    assert "duration" in line
    assert "0" in argv or "ns, us, ms, s, m, h" in line  # a bad word names the grammar


@pytest.mark.parametrize(("argv", "dest", "value"), [
    (["serve", "--codec", "msgpack"], "codec", "msgpack"),      # old spelling
    (["serve", "--codecs", "msgpack"], "codec", "msgpack"),
    (["merge", "a", "-o", "b", "--name", "m1"], "name", "m1"),  # old spelling
    (["merge", "a", "-o", "b", "--machine", "m1"], "name", "m1"),
    (["run", "--machine", "m1"], "machine", "m1"),
    (["load", "--warmup", "2s"], "warmup", "2s"),               # old spelling
    (["load", "--warmup-duration", "2s"], "warmup", "2s"),
    (["run", "-w", "3"], "warmups", 3),                         # a count, as in pyperf
])
def test_one_name_for_one_idea_and_old_spellings_still_work(argv: list[str], dest: str,
                                                            value: object) -> None:
    assert getattr(build_parser(argv).parse_args(argv), dest) == value


def test_a_usage_error_is_one_line_naming_the_help() -> None:
    proc = run_serbench()
    line = assert_one_line_error(proc, "COMMAND")
    assert line.endswith("(see: serbench --help)")
    line = assert_one_line_error(run_serbench_in_process("compare", str(FIXTURE)), "compare:")
    assert "serbench compare --help" in line


def test_strict_turns_a_suspect_or_failed_run_into_exit_1(capsys: pytest.CaptureFixture[str]
                                                          ) -> None:
    from serbench.cli.run import _strict_outcome

    assert _strict_outcome(False, ["drift"], 2) == 0
    assert _strict_outcome(True, [], 0) == 0
    assert _strict_outcome(True, ["a", "b"], 0) == 1
    assert "suspect (2 reason(s) above)" in capsys.readouterr().err
    assert _strict_outcome(True, [], 3) == 1
    assert "3 cell(s) failed" in capsys.readouterr().err


@pytest.mark.slow
def test_report_ends_with_the_verdict(
        small_run_report: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    _, proc = small_run_report  # `serbench report FIXTURE -o OUT`, once a session (conftest)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    start = lines.index("verdict (fastest per payload and measure; ties said as ties):")
    verdict = lines[start + 1:]
    assert verdict and all(line.startswith("  ") for line in verdict)
    assert f"  records-100 round trip (tcp): msgspec-json  1.26{X} faster than pickle" in verdict
    assert any("(tie: " in line for line in verdict)


def test_the_ci_workflow_in_the_docs_parses_and_every_command_in_it_does() -> None:
    import shlex

    import yaml

    doc = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    (block,) = re.findall(r"```yaml\n(.*?)```", doc, re.DOTALL)
    workflow = yaml.safe_load(block)
    steps = workflow["jobs"]["gate"]["steps"]
    commands = [line.strip() for step in steps for line in step.get("run", "").splitlines()
                if "serbench " in line]
    assert len(commands) == 3 and "--fail-slower" in commands[-1]
    for command in commands:
        words = shlex.split(command.split(">>")[0])
        argv = words[words.index(next(w for w in words if w.endswith("serbench"))) + 1:]
        args = build_parser(argv).parse_args(argv)  # exits 2 on a flag that does not exist
        assert args.command in ("run", "compare")
        if args.command == "run":
            assert args.strict and args.seed == 1
        else:
            assert args.fail_slower == 10 and args.md
