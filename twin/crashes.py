"""Crash injection: a scenario's ``crashes`` kill hosted services mid-day.

At each crash time the named ``SimService`` dies (``SimService.crash``): its
queue and the message in service are lost from memory, it is down for
``restart_ms``, and on restart the bus redelivers every unacknowledged
message, including the last one it handled, so every consumer must dedupe
(the OMS by exec id, post-trade and the block desk by status, order entry by
client order id, routing by the order's working state).

What a restart does NOT do yet: rebuild the component's in-memory state. The
components keep their state across the crash (as if it were durable);
``components.oms_rebuild`` rebuilds the OMS order table from the log, but a
mid-day restart also needs working children reconciled with the venues before
it can replace the live table (see that module's docstring).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from scenarios.config import NEW_YORK

from .bootstrap import TwinWorld

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def schedule_crashes(world: TwinWorld) -> None:
    """Book every crash of the scenario on the clock."""
    for crash in world.scenario.crashes:
        at = datetime.combine(world.scenario.session.date, crash.at, NEW_YORK)
        at_ns = (at - _EPOCH) // timedelta(microseconds=1) * 1_000
        service = world.network.services[crash.service]
        down_ns = int(crash.restart_ms * 1_000_000)
        world.clock.call_at(at_ns, lambda service=service, down_ns=down_ns: service.crash(down_ns))
