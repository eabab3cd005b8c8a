"""Live adapters and the live runtime: the same components on the wall clock.

``bootstrap.build_live`` is the one place that chooses this world (STYLE 1):
``WallClock`` on asyncio, uuid ids, an event log (``stores``: memory, SQLite,
PostgreSQL), a bus for stored events (``event_bus``: in process or NATS), a
venue link (``venue_link``: the QuickFIX gateway ``fix_gateway`` to venues
served in this process, ``embedded_venues``, or elsewhere; or in-process
venues, ``direct_venue``), market data, accounts and API tokens from
``live.toml``. ``runtime.LiveRuntime`` dispatches messages in process;
``http_api`` serves ``POST /v1/orders`` and friends over FastAPI. Nothing
under ``components/`` outside this package may import it.
"""
