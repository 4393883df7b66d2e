"""The report: charts and a self-contained HTML/Markdown report made from a results directory.

- `data`: the run as typed cells (`load_run`, `CellResult`, `Run`), read by
  `serbench.results.read` (the one reader; older formats upgraded at load);
- `transport_cost`: the transport's cost at any message size, from the null codec's cells;
- `trust`: what the run recorded about itself (suspect cells, drift, rounds, precision);
- `basis`: what the run's ratios rest on (its intervals, or the t-test), in words;
- the data behind the charts, one module a kind: `analysis_ratios` (ratios to the reference,
  the heat map, fidelity), `analysis_latency`, `analysis_wire` (throughput, sizes) and
  `analysis_time` (time split, size sweeps); `summary`: the data behind the tables;
- the charts, one module a kind like their data: `chart_ratios`, `chart_latency`,
  `chart_wire`, `chart_time` (with `chart_parts`, the marks they share), `chart_files`
  (their order, captions and files) and `style`: matplotlib figures, saved byte-stable as PNG
  and SVG;
- `text` (how figures are written), `prose` (the report's words) and `report_tables`;
  `content`: all of it in reading order;
- `html` (a Jinja2 template in `templates/`) and `markdown`: the two formats;
- `build`: `build_report`, what `serbench report` and the end of `serbench run` call;
- `compare` (with `compare_text`): `serbench compare`, two runs cell by cell.
"""

from serbench.report.build import build_report
from serbench.report.data import CellResult, Run, load_run

__all__ = ["CellResult", "Run", "build_report", "load_run"]
