"""Benchmark harness: see bench/run.py and docs/benchmarks.md."""
