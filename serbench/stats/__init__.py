"""Statistics in one place: percentiles, intervals, significance, summaries, variance."""
