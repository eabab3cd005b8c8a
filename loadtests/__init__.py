"""Load tests (locustfiles) and twin-based benchmarks."""
