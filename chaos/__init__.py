"""Fault catalogue, in-twin fault injector and Chaos Toolkit extension (later issue)."""
