"""Benchmarks (``benchmarks/``: lifecycle, order book, event store, live hot path, RMSC-shaped day),
each a script printing what it measured. Locustfiles and capacity sweeps come with the capacity issue."""
