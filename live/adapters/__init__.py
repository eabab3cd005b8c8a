"""The live adapters: each port of ``components.ports`` on real infrastructure.

The wall clock (``clock``), uuid ids (``ids``), event logs (``stores``:
memory, SQLite, PostgreSQL), the bus for stored events (``event_bus``: in
process, or NATS JetStream in ``nats_bus``), market data (``market_data``),
and the venue link (``venue_link``): the QuickFIX initiator and its session
recovery (``fix/``) to venues served in this process (``embedded_venues``)
or elsewhere, or in-process simulated venues without FIX (``direct_venue``).
"""
