"""The timed loops: one pyperf program (`python -m serbench.cells.cell`) per matrix cell."""
