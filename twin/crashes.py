"""Crash injection: a scenario's ``crashes`` kill hosted services mid-day.

At each crash time the named ``SimService`` dies (``SimService.crash``): its
queue and the message in service are lost from memory, it is down for
``restart_ms``, and on restart the bus redelivers every unacknowledged
message, including the last one it handled, so every consumer must dedupe
(the OMS by exec id, post-trade and the block desk by status, order entry by
client order id, routing by the order's working state).

An OMS restart also loses the OMS's in-memory state (``OmsRecovery``): the
order table is rebuilt from the newest OMS snapshot (taken every
``SNAPSHOT_EVERY`` events, between two messages) plus the events after it,
then reconciled with the venues through the venue gateway's order-status
request (``components.oms_rebuild.reconcile``). The other services still keep
their state across a crash (as if it were durable).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from components.oms_rebuild import OmsSnapshot, restart, snapshot
from scenarios.config import NEW_YORK

from .bootstrap import TwinWorld

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
SNAPSHOT_EVERY = 500
"""Events between two OMS snapshots."""


class OmsRecovery:
    """Snapshots the OMS every ``every`` events (after a message is handled, never
    in the middle of one) and rebuilds it on each restart of the ``oms`` service."""

    def __init__(self, world: TwinWorld, every: int = SNAPSHOT_EVERY):
        self.world = world
        self.every = every
        self.latest: OmsSnapshot | None = None
        self.restarts = 0
        self.reconciled = 0  # venue reports applied again on restarts
        self._next_at = every
        world.gateway.keep_status()
        for service in world.network.services.values():
            service.wrap_handler(self._snapshotting)
        world.network.services["oms"].on_restart = self.restart

    def _snapshotting(self, handler):
        log, oms = self.world.log, self.world.platform.oms

        def handle(message: object) -> list:
            out = handler(message)
            if len(log) >= self._next_at:
                self.latest = snapshot(oms, len(log))
                self._next_at = len(log) + self.every
            return out

        return handle

    def restart(self) -> None:
        world = self.world
        platform, network = world.platform, world.network
        self.restarts += 1
        reports = restart(platform.oms, world.log, self.latest, world.gateway)
        self.reconciled += len(reports)
        for report in reports:
            for follow_up in platform.handle(report):
                network.send("oms", follow_up)


def schedule_crashes(world: TwinWorld) -> None:
    """Book every crash of the scenario on the clock (and OMS recovery when the OMS crashes)."""
    if any(crash.service == "oms" for crash in world.scenario.crashes):
        world.oms_recovery = OmsRecovery(world)  # type: ignore[attr-defined]
    for crash in world.scenario.crashes:
        at = datetime.combine(world.scenario.session.date, crash.at, NEW_YORK)
        at_ns = (at - _EPOCH) // timedelta(microseconds=1) * 1_000
        service = world.network.services[crash.service]
        down_ns = int(crash.restart_ms * 1_000_000)
        world.clock.call_at(at_ns, lambda service=service, down_ns=down_ns: service.crash(down_ns))
