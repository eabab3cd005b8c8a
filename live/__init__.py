"""The deployed world: the same ``components`` on the wall clock, real sessions and real stores.

``bootstrap.build_live`` is the one place that chooses this world (STYLE 1):
it picks the adapters (``adapters/``: wall clock, uuid ids, SQLite or
PostgreSQL event log, in-process or NATS bus, the QuickFIX gateway or
in-process venues, market data) and hands them to
``components.kernel.build_platform``, the wiring the twin uses too. The
configuration is ``live.toml`` (its schema: ``components.config.live``).
``runtime.LiveRuntime`` dispatches messages in process; ``recovery`` rebuilds
the state an earlier process left in the log; ``entrypoints/`` holds the
HTTP API and the ``serve`` command (``python -m live``, which ``twin serve``
hands over to). Nothing in ``components`` or ``twin`` imports this package.
"""
