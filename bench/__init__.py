"""Benchmarks: `python -m bench` (or `bash run.sh bench`); one module per area."""
