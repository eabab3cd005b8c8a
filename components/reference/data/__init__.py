"""Packaged reference data files (read with ``importlib.resources``)."""
