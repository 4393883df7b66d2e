"""`serbench harness`: measure serbench's own cost against raw sockets and pyperf timeit."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING

from serbench.cli.helptext import command_help
from serbench.extensions.harness import wallclock
from serbench.extensions.harness.output import format_markdown
from serbench.extensions.harness.run import load_config, run_harness
from serbench.results.files import read_environment
from serbench.runner.matrix import builtin_matrix_path

if TYPE_CHECKING:
    from serbench.cli.common import Subparsers


def add_harness_command(sub: Subparsers) -> None:
    """Register `harness` on the CLI's subparsers."""
    p = sub.add_parser("harness", **command_help("harness"))
    p.add_argument("config", nargs="?", help="harness TOML (default: scenarios/harness.toml)")
    p.add_argument("-o", "--output", metavar="DIR",
                   help="results directory (default: results/harness-<run-id>)")
    p.add_argument("--quick", action="store_true",
                   help="one round at a minimal budget (checks that it works, not a figure)")
    p.add_argument("--wall-split", metavar="RUN_DIR",
                   help="only print where a finished run's wall time went")
    p.set_defaults(func=cmd_harness)


def cmd_harness(args: argparse.Namespace) -> int:
    """Run the harness pairs, or print a run's wall-time split."""

    if args.wall_split:
        s = wallclock.split(Path(args.wall_split))
        print(f"{args.wall_split}: {s.benchmarks} benchmarks, wall {s.wall_s:.1f} s; "
              f"measured values {s.values_s:.1f} s, warm-ups {s.warmups_s:.1f} s, "
              f"calibration {s.calibration_s:.1f} s, everything else {s.overhead_s:.1f} s "
              f"({100 * s.overhead_share:.0f}% overhead)")
        return 0

    config = load_config(Path(args.config) if args.config else builtin_matrix_path("harness"))
    outdir = Path(args.output or Path("results") / time.strftime("harness-%Y%m%d-%H%M%S"))
    rows = run_harness(config, outdir, quick=args.quick,
                       progress=lambda line: print(line, flush=True))
    print()
    print(format_markdown(rows, read_environment(outdir)))
    print(f"serbench harness: results in {outdir} (raw.json vs serbench.json for pyperf "
          "compare_to, harness.csv, harness.md)")
    return 0
