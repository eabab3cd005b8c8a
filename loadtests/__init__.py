"""Load and speed measurements, each a command printing what it measured: ``benchmarks/`` (lifecycle,
order book, event store, live hot path, RMSC-shaped day, replay, surveillance, verified start) and the
locust load tests of the live stack (``locustfile_http.py``, ``locustfile_fix.py``, run by ``make load``;
docs/load_testing.md). Capacity sweeps are not built yet."""
