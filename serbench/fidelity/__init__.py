"""Fidelity: which codec x payload round trips may be timed at all."""
