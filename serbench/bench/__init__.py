"""The timed loops: one pyperf program (`python -m serbench.bench.cell`) per matrix cell."""
