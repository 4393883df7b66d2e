# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Exploring a serbench results directory
#
# This notebook reads a results directory (the committed reference run by default) through
# serbench's own functions: nothing is re-run, and every figure here comes from the same code as
# `serbench report`. Point it at another run with the `SERBENCH_RESULTS` environment variable.

# %%
import os
from pathlib import Path

from IPython.display import Image, Markdown, display

from serbench.report import load_run
from serbench.report.analysis_latency import tail_ratios
from serbench.report.chart_latency import tail_chart
from serbench.report.markdown import table_markdown
from serbench.report.report_tables import Table, best_overview, overview
from serbench.report.style import chart_style, codec_colours, png_bytes


def find_results() -> Path:
    """$SERBENCH_RESULTS, else results/reference in this checkout (found from the cwd up)."""
    if os.environ.get("SERBENCH_RESULTS"):
        return Path(os.environ["SERBENCH_RESULTS"])
    for base in (Path.cwd(), *Path.cwd().parents):
        if (base / "results" / "reference").is_dir():
            return base / "results" / "reference"
    raise FileNotFoundError("no results/reference here; set SERBENCH_RESULTS to a results dir")


run = load_run(find_results())
print(f"{run.directory}: {overview(run)}")
print(f"{run.environment.get('cpu_model')}, Python {run.environment.get('python')}, "
      f"started {run.environment.get('start')}")

# %% [markdown]
# ## The summary: the fastest codec per payload and measure
#
# Only codecs that give the payload back (exact or lossy) are ranked; the `null` codec (the
# transport alone) never is. "≈" marks a ratio to pickle not shown to differ from 1 (its 95 %
# interval includes 1; for results without intervals, a t-test on the values), and "tie" a
# fastest codec the run cannot separate from the runner-up.

# %%
fastest = best_overview(run)
display(Markdown(table_markdown(fastest)))

# %% [markdown]
# ## A view the report does not draw: how heavy is each codec's tail?
#
# p99 / p50 of the per-request round-trip latency. A codec whose p99 is many times its median
# allocates more (and meets the GC more often) or hits a slow path on some requests; a value
# near 1 means steady latency. Compare it with the `null` codec: the transport's own tail.

# %%
tails = sorted(tail_ratios(run), key=lambda t: (t.measure, t.payload, -t.p99_over_p50))
display(Markdown(table_markdown(Table(
    ("measure", "payload", "codec", "p50 (µs)", "p99 (µs)", "p99 / p50"),
    tuple((t.measure, t.payload, t.codec, f"{t.p50_s * 1e6:.1f}", f"{t.p99_s * 1e6:.1f}",
           f"{t.p99_over_p50:.2f}") for t in tails)))))

# %%
with chart_style():
    figure = tail_chart(run, codec_colours(run.codecs))
    if figure is not None:
        display(Image(png_bytes(figure)))
