"""The results directory: the contract on disk that runs write and readers read.

- `files`: the layout, atomic writes, and summary.csv / environment.json / suites on disk;
- `record`: each worker's run appended to its codec's suite as it ends;
- `environment`: what a run records about the machine and itself;
- `cells`: one summary.csv row as a typed `CellRecord`, in the current format;
- `read`: the one reader (`read_results`; `read_raw` for what copies a run), which
  `upgrade`s an older format to the current one once, at load.
"""
