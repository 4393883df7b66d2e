"""The `load` scenario: open-loop request rates against a server, many connections, and each
codec's latency-versus-throughput curve (docs/load.md).

- `schedule`: intended send times (uniform or Poisson), the sleep-then-spin pacer, the in-flight
  window and its overflow count: pure logic, tested with a fake clock;
- `histograms`: HdrHistograms, their lossless merge across processes, interval logs;
- `generator`: one load process (`python -m serbench.extensions.load.generator`): its
  connections and files; `config` (`LoadConfig`, what the parent sends it), `loop` (the open-
  or closed-loop I/O loop and its counts), `wire` (non-blocking sends, reply parsing);
- `servers`: starts the blocking or asyncio server for the scenario, asks it for its CPU time;
- `point`: one measured point: a server, load processes started together, merged results;
- `sweep`: closed-loop maximum, then offered rates as fractions of it, per codec x payload,
  with the generator's ceiling from the `null` codec;
- `output`: the results directory (load.csv, histograms, interval logs, pyperf suites).
"""
