"""The report: charts and a self-contained HTML/Markdown report made from a results directory.

- `data`: the results directory as typed cells (`load_run`);
- `significance`: ratios between cells with pyperf's t-test;
- `analysis`: the data behind every chart and table;
- `charts` and `style`: matplotlib figures, saved byte-stable as PNG and SVG;
- `tables`, `text`, `html`, `markdown`: the report's words and tables in both formats;
- `build`: `build_report`, what `serbench report` and the end of `serbench run` call;
- `compare`: `serbench compare`, two runs cell by cell.
"""

from serbench.report.build import build_report
from serbench.report.data import Cell, Run, load_run

__all__ = ["Cell", "Run", "build_report", "load_run"]
