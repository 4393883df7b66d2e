"""What `serbench harness` writes: harness.csv (one row per pair) and harness.md / the
terminal's table, with each pair's target and whether it was met."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from serbench.results import files as results

_CSV_COLUMNS = ["pair", "scenario", "codec", "bytes", "figure", "ratio", "target",
                "meets_target", "raw_mean_s", "serbench_mean_s", "raw_p50_s", "serbench_p50_s",
                "raw_mb_per_s", "serbench_mb_per_s", "client_peak_bytes", "server_peak_bytes",
                "floor_call", "serbench_faults_per_call", "serbench_settled_workers",
                "interleaved_ratio", "interleaved_ratio_min", "interleaved_ratio_max",
                "interleaved_block_pairs", "interleaved_raw_s", "interleaved_serbench_s"]


def write_csv(path: Path, rows: list[dict[str, Any]]) -> None:

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=_CSV_COLUMNS, extrasaction="ignore",
                            lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    results.atomic_write_text(path, buffer.getvalue())


def _fmt(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 1e-6:  # the fast codecs at `small`: tenths of a microsecond say too little
        return f"{seconds * 1e9:.1f} ns"
    return f"{seconds * 1e6:.2f} us" if seconds < 1e-3 else f"{seconds * 1e3:.3f} ms"


def _interleaved(row: dict[str, Any]) -> str:
    """The interleaved check's median ratio and its range, or nothing."""
    if row.get("interleaved_ratio") is None:
        return ""
    return (f"{row['interleaved_ratio']:.3f} ({row['interleaved_ratio_min']:.2f}-"
            f"{row['interleaved_ratio_max']:.2f})")


def format_markdown(rows: list[dict[str, Any]], env: dict[str, Any]) -> str:
    """The pairs as a Markdown table with the machine and date, then the codec pairs' tally and
    the floor statements they were held against (so the table says what "floor" means)."""
    lines = [f"Harness cost, {env.get('start', '')[:10]}, {env.get('cpu_model')} "
             f"({env.get('cpu_count')} CPUs), Python {env.get('python')}, "
             f"pyperf {env.get('libraries', {}).get('pyperf')}", "",
             "| pair | floor | serbench | figure | ratio | target | met | in one process "
             "(range) | faults/call |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if r["scenario"] == "roundtrip":
            floor, mine = _fmt(r["raw_p50_s"]), _fmt(r["serbench_p50_s"])
        elif r["scenario"] == "stream":
            floor, mine = f"{r['raw_mb_per_s']:.0f} MB/s", f"{r['serbench_mb_per_s']:.0f} MB/s"
        elif r["scenario"] == "memory":
            floor = f"client {r['client_peak_bytes'] / 1e6:.0f} MB"
            mine = f"server {r['server_peak_bytes'] / 1e6:.0f} MB"
        else:
            floor, mine = _fmt(r["raw_mean_s"]), _fmt(r["serbench_mean_s"])
        faults = r.get("serbench_faults_per_call")
        lines.append(f"| {r['pair']} | {floor} | {mine} | {r['figure']} | {r['ratio']:.3f} "
                     f"| {r['target']} | {'yes' if r['meets_target'] else 'NO'} "
                     f"| {_interleaved(r)} | {'' if faults is None else f'{faults:g}'} |")
    codec_rows = [r for r in rows if r["scenario"] in ("encode", "decode")]
    if codec_rows:
        missed = [r["pair"] for r in codec_rows if not r["meets_target"]]
        near = [r for r in codec_rows if r.get("interleaved_ratio") is not None
                and abs(r["interleaved_ratio"] - 1) <= 0.05]
        lines += ["", f"Codec floor: {len(codec_rows) - len(missed)} of {len(codec_rows)} "
                      f"encode/decode pairs within 5% of `pyperf timeit`"
                      + (f"; not met: {', '.join(missed)}." if missed else "."),
                  "", f"In one process, interleaved with the floor's statement: {len(near)} of "
                      f"{len(codec_rows)} within 5% (a pair within 5% here but not between "
                      "processes missed by the machine's phases, not by its call)."]
        calls = {(r["codec"], r["scenario"]): r["floor_call"] for r in codec_rows}
        lines += ["", "Floor statements (`obj` is the payload, `data` its encoding as bytes; "
                      "serbench decodes a memoryview of it):"]
        for (codec, scenario), call in calls.items():
            lines.append(f"- {codec} {scenario}: `{call}`")
    skipped = env.get("harness_skipped_codecs") or {}
    for name, reason in skipped.items():
        lines += ["", f"Not measured: {name} ({reason})."]
    return "\n".join(lines) + "\n"
