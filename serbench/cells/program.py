"""The skeleton every serbench pyperf program shares (the cells and the harness's raw floor).

pyperf re-executes the program for each worker; options not forwarded with `add_cmdline_args`
would be silently dropped there, so every option a program adds is forwarded. The manager only
spawns workers and collects runs: it needs no set-up and never calls the time function.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Callable, Sequence

import pyperf

Worker = Callable[[pyperf.Runner, argparse.Namespace, contextlib.ExitStack], None]


def forwarder(keys: Sequence[str]) -> Callable[[list[str], argparse.Namespace], None]:
    """An `add_cmdline_args` hook passing these options (by dest name) on to workers."""

    def forward(cmd: list[str], args: argparse.Namespace) -> None:
        for key in keys:
            value = getattr(args, key)
            if value is not None:
                cmd.extend([f"--{key.replace('_', '-')}", str(value)])

    return forward


def run_program(module: str, add_options: Callable[[argparse.ArgumentParser], None],
                forwarded: Sequence[str], worker: Worker,
                check: Callable[[pyperf.Runner, argparse.Namespace], None] | None = None
                ) -> None:
    """Run `python -m module` as a one-benchmark pyperf program named by `--bench-name`.

    In a worker, `worker(runner, args, cleanup)` sets up, calls `runner.bench_time_func` once,
    and registers its teardown (servers, sockets) on `cleanup`, which runs on any exit.
    """
    runner = pyperf.Runner(add_cmdline_args=forwarder(forwarded), program_args=("-m", module))
    add_options(runner.argparser)
    args = runner.parse_args()
    if check is not None:
        check(runner, args)
    if not args.worker:
        runner.bench_time_func(args.bench_name, _not_called)
        return
    with contextlib.ExitStack() as cleanup:
        worker(runner, args, cleanup)


def _not_called(loops: int) -> float:
    raise AssertionError("the pyperf manager never calls the time function")
