"""Benchmarks: scripts that print figures (not tests); results in benchmarks/RESULTS.md."""
