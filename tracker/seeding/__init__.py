"""Demo and benchmark data; imported only by cli.py, tests and benchmarks."""
