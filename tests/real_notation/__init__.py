"""Real notation corpus: derivations copied from sources, and their expected verdicts."""
