"""Benchmarks: `make bench` runs `python -m benchmarks.run`: results/latest.json and docs/benchmarks.md's table."""
