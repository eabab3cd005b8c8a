"""Benchmarks (``benchmarks/``: lifecycle, order book, event store, live hot path, RMSC-shaped day),
each a script printing what it measured. Locustfiles and capacity sweeps are locustfile_http.py and locustfile_fix.py (docs/load_testing.md)."""
