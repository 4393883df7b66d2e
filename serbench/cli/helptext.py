"""Each subcommand's `--help`: a description of what it does and when to use it, an example, and
the exit codes; docs/cli.md says the same (a test keeps the two in step).

Kept apart from the command modules so that `serbench CMD --help` and the docs read one table,
and so that every subcommand's page has the same parts in the same order.
"""

from __future__ import annotations

import argparse
from typing import Any

from serbench.cli.common import EXIT_CHECK_FAILED, EXIT_INTERRUPTED, EXIT_USAGE, SUMMARIES

#: What each subcommand does, in a few sentences (the top of its --help).
DESCRIPTIONS = {
    "list": "List the codecs, compressors and payloads this installation has, with each "
            "codec's capability flags (safe for untrusted input, cross-language, ...).",
    "verify": "Round-trip every codec x payload (nothing is timed) and print the fidelity "
              "matrix: exact, lossy, unsupported or wrong. Only exact and lossy pairs are ever "
              "timed or ranked.",
    "run": "Run a benchmark matrix in interleaved rounds of pyperf worker processes, write a "
           "results directory and its report, and end with the verdict: per payload and "
           "measure, the fastest codec and how much faster it is, ties said as ties.",
    "report": "Rebuild report.html, report.md and the charts from a results directory (nothing "
              "is re-run), and print the verdict.",
    "compare": "Compare run B with run A cell by cell: B/A with its 95 % interval, each cell "
               "judged against the whole run's B/A (the machine's drift) unless --absolute. "
               "With --fail-slower PCT it is a CI gate: exit 1 when any cell is significantly "
               "slower in B by more than PCT percent.",
    "merge": "Combine results directories into OUT/<machine>/ (machine: --machine, or the host "
             "name and CPU model). Shards of one machine become one results directory; then "
             "serbench report OUT puts the machines side by side.",
    "serve": "Run the scenario server for some codecs and print `READY tcp HOST PORT` (or "
             "`READY uds PATH`) on stdout when it listens. Clients must hold its secret "
             "(--secret-file). Stop it with Ctrl-C or SIGTERM.",
    "harness": "Measure serbench's own cost: each pair of a floor (raw sockets, pyperf timeit of "
               "the library call) and serbench's cell, run alternately, with each pair's "
               "target.",
    "crosscheck": "Time the same codec calls on the same inputs with serbench and with the "
                  "codecs' own benchmark methods (orjson's pytest-benchmark run on its four "
                  "documents, msgspec's timeit autorange on a 1 000-node filesystem tree), two "
                  "ways: the whole methods in paired rounds (per round and document, both "
                  "sides back to back in fresh processes, the first alternating), and "
                  "alternating processes (per case and round, serbench's worker and the peer's "
                  "process set up as their methods would be, timing 20 ms blocks in turn on "
                  "one CPU, which takes the machine's phases out). Prints serbench / peer per "
                  "cell as the median of the rounds' ratios, their range, whether the rounds "
                  "agree among themselves (resolved), and faults per call. Needs "
                  "pip install 'serbench[crosscheck]' and serbench corpus fetch.",
    "variance": "Where a run's variance comes from (between worker processes or between the "
                "values of one process) and the values per process that buy the most precision "
                "per second.",
    "load": "Open-loop load: request rates from a fraction of each codec's closed-loop maximum "
            "to past it, against a blocking or asyncio server; p99 against achieved rate per "
            "codec (the hockey stick), in load.csv and load.html.",
    "corpus": "Fetch, list and locate the real-world JSON documents (twitter, citm_catalog, "
              "canada, ...) used as payloads (`corpus:twitter`).",
    "wiremodel": "The wire model: predict each codec's round trip and stream throughput on a "
                 "link of bandwidth B and round-trip time R from a loopback run, validate it "
                 "against runs over a shaped link, and chart the winner at each B x R.",
}

#: One or two example invocations per subcommand (the bottom of its --help).
EXAMPLES = {
    "list": ["serbench list", "serbench list --json"],
    "verify": ["serbench verify --payload-file my.json"],
    "run": ["serbench run --payload-file my.json",
            "serbench run zoo --time 10m --strict -o results/zoo"],
    "report": ["serbench report results/zoo -o /tmp/zoo-report"],
    "compare": ["serbench compare results/base results/head --fail-slower 10"],
    "merge": ["serbench merge results/a results/b -o results/fleet --machine c6i.large"],
    "serve": ["serbench serve --codecs msgpack,orjson --listen 127.0.0.1:9000 "
              "--secret-file ~/.serbench-secret --timeout 30s"],
    "harness": ["serbench harness --quick -o results/harness"],
    "crosscheck": ["serbench crosscheck -o results/crosscheck",
                   "serbench crosscheck --mode alternating -o results/crosscheck",
                   "serbench crosscheck --documents github --peers orjson --rounds 2 --quick"],
    "variance": ["serbench variance results/variance"],
    "load": ["serbench load --codecs msgpack,orjson --duration 5s --warmup-duration 1s "
             "--p99-target 1ms"],
    "corpus": ["serbench corpus fetch", "serbench corpus list"],
    "wiremodel": ["serbench wiremodel chart results/loopback",
                  "serbench wiremodel validate results/loopback results/link-100mbit"],
}

#: The exit codes every subcommand shares.
EXIT_CODES = (
    (0, "success"),
    (EXIT_CHECK_FAILED, "a check you asked for failed (compare --fail-slower: a cell is\n"
                        "      slower; run --strict: a suspect run or a failed cell)"),
    (EXIT_USAGE, "bad input: one `serbench: error:` line on stderr, nothing run"),
    (EXIT_INTERRUPTED, "interrupted (Ctrl-C); a run keeps its finished work"),
)
#: The subcommands with duration flags: their --help states the grammar.
TIMED = frozenset({"run", "serve", "load", "crosscheck"})

#: The grammar every duration flag reads (`serbench.common.units.parse_duration`).
DURATIONS = "a number of seconds, or with a unit: ns, us, ms, s, m, h (e.g. 500us, 90s, 5m)"


def epilog(name: str) -> str:
    """The example(s) and the exit codes, as the end of `serbench NAME --help`."""
    lines = ["example:" if len(EXAMPLES[name]) == 1 else "examples:"]
    lines += [f"  {example}" for example in EXAMPLES[name]]
    if name in TIMED:
        lines += ["", f"durations: {DURATIONS}"]
    lines += ["", "exit codes:"]
    lines += [f"  {code:<4}{words}" for code, words in EXIT_CODES]
    return "\n".join(lines)


def command_help(name: str) -> dict[str, Any]:
    """The `add_parser` keywords of subcommand `name`: its summary, description and epilog."""
    return {"help": SUMMARIES[name], "description": DESCRIPTIONS[name],
            "epilog": epilog(name), "formatter_class": argparse.RawDescriptionHelpFormatter}
