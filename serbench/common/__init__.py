"""Words and helpers every layer shares: errors, units, the vocabulary, tables."""
