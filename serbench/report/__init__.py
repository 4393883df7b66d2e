"""The report: charts and a self-contained HTML/Markdown report made from a results directory.

- `data`: the results directory as typed cells (`load_run`, `CellResult`, `Run`);
- `significance`: ratios between cells, and whether they differ from 1;
- `transport_cost`: the transport's cost at any message size, from the null codec's cells;
- `trust`: what the run recorded about itself (suspect cells, drift, rounds, precision);
- `analysis`: the data behind every chart; `summary`: the data behind the tables;
- `charts` (with `chart_parts`, the marks they share), `chart_files` (their order, captions
  and files) and `style`: matplotlib figures, saved byte-stable as PNG and SVG;
- `text` (how figures are written), `prose` (the report's words) and `report_tables`;
  `content`: all of it in reading order;
- `html` (a Jinja2 template in `templates/`) and `markdown`: the two formats;
- `build`: `build_report`, what `serbench report` and the end of `serbench run` call;
- `compare`: `serbench compare`, two runs cell by cell.
"""

from serbench.report.build import build_report
from serbench.report.data import CellResult, Run, load_run

__all__ = ["CellResult", "Run", "build_report", "load_run"]
