"""Speed and memory measurements: `make bench` (python -m benchmarks [NAME ...])."""
