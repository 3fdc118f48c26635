"""Benchmarks: `make bench` runs `python -m benchmarks.run` and writes results/latest.json and the README table."""
