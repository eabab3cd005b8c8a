"""Benchmarks: scripts that print figures; run them directly."""
