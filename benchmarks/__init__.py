"""Speed and memory measurements (not tests). Run all with ``python -m benchmarks``."""
