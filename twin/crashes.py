"""Crash injection and recovery: a scenario's ``crashes`` kill hosted services mid-day.

At each crash time the named ``SimService`` dies (``SimService.crash``): its
queue and the message in service are lost from memory, it is down for
``restart_ms``, and on restart the bus redelivers every unacknowledged
message, including the last one it handled, so every consumer must dedupe
(the OMS by exec id, post-trade and the block desk by status, order entry by
client order id, risk by order id, routing by the order's working state).

A restart also loses the memory of the components the service hosts
(``HOSTED``): ``Recovery`` rebuilds each from its newest snapshot plus the
events after it (``components.rebuild.recover``). Snapshots of every
component are taken every ``crashes.snapshot_every`` events, and of one
component as soon as it changed something no event records (its
``unlogged`` count), always after a message is handled, never in the middle
of one. A restarted OMS is then reconciled with the venues through the venue
gateway's order-status request (``components.rebuild.oms.reconcile``). For
every other component the rebuilt state is compared with the state the
process held when it died (which, in the twin, is still in memory): a
difference is a divergence, counted per service.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from components.domain.outcomes import Handled
from components.rebuild.oms import OmsPart, reconcile
from components.rebuild import Part, Snapshot, recover, snapshot
from components.rebuild.desk import DeskPart
from components.rebuild.entry import EntryPart
from components.rebuild.post_trade import PostTradePart
from components.rebuild.risk import RiskPart

from .world import TwinWorld

HOSTED: dict[str, tuple[str, ...]] = {
    "gateway": ("entry",),
    "oms": ("oms",),
    "risk": ("risk",),
    "router": (),  # the router keeps no state of its own: fee schedules and ports only
    "post_trade": ("post_trade", "desk"),  # the desk allocates blocks, a post-trade step
}
"""Which components' memory each hosted service loses when it crashes."""


@dataclass
class ServiceRecovery:
    """What the restarts of one service did."""

    restarts: int = 0
    replayed: int = 0
    """Events replayed over all restarts and components."""
    divergences: list[str] = field(default_factory=list)
    """Components whose rebuilt state differed from the state the process died with."""


class Recovery:
    """Snapshots every crashable component between messages; rebuilds a service's components
    when it restarts."""

    def __init__(self, world: TwinWorld, every: int = 500):
        if every < 1:
            raise ValueError(f"crashes.snapshot_every: must be >= 1, got {every}")
        self.world = world
        self.every = every
        platform = world.platform
        oms = platform.oms
        self.parts: dict[str, Part] = {
            "oms": OmsPart(oms),
            "entry": EntryPart(platform.entry, oms.get),
            "risk": RiskPart(platform.risk),
            "post_trade": PostTradePart(platform.post_trade),
            "desk": DeskPart(platform.desk, lambda order_id: platform.oms.orders[order_id].status),
        }
        self.latest: dict[str, Snapshot] = {}
        """Each component's newest snapshot."""
        self.snapshots = 0
        self.services = {name: ServiceRecovery() for name in world.network.services}
        self.reconciled = 0  # venue reports applied again on OMS restarts
        self._next_at = every
        self._unlogged = {name: part.unlogged for name, part in self.parts.items()}
        world.gateway.keep_status()
        for name, service in world.network.services.items():
            service.wrap_handler(self._snapshotting)
            service.on_restart = lambda name=name: self.restart(name)

    def _snapshotting(self, handler):
        log, parts, unlogged = self.world.log, self.parts, self._unlogged

        def handle(message: object) -> Handled:
            out = handler(message)
            if len(log) >= self._next_at:
                self.snapshot_all()
            else:
                for name, part in parts.items():
                    if part.unlogged != unlogged[name]:
                        self._take(name, part)
            return out

        return handle

    def snapshot_all(self) -> None:
        """Snapshot every component now (between two messages)."""
        for name, part in self.parts.items():
            self._take(name, part)
        self._next_at = len(self.world.log) + self.every

    def _take(self, name: str, part: Part) -> None:
        self.latest[name] = snapshot(part, len(self.world.log))
        self._unlogged[name] = part.unlogged
        self.snapshots += 1

    def restart(self, service: str) -> None:
        """``service`` restarts: each component it hosts loses its memory and is rebuilt."""
        world, stats = self.world, self.services[service]
        stats.restarts += 1
        for name in HOSTED[service]:
            part = self.parts[name]
            held = part.dump() if name != "oms" else None
            stats.replayed += recover(part, world.log, self.latest.get(name))
            if held is not None and part.dump() != held:
                stats.divergences.append(name)
        if "oms" in HOSTED[service]:
            self._reconcile_oms()

    def _reconcile_oms(self) -> None:
        """What the log cannot tell a rebuilt OMS, the venues can (order-status request)."""
        platform, network = self.world.platform, self.world.network
        reports = reconcile(platform.oms, self.world.gateway)
        self.reconciled += len(reports)
        for report in reports:
            for follow_up in platform.handle(report).follow_ups:
                network.send("oms", follow_up)

    @property
    def restarts(self) -> int:
        """Restarts of every service."""
        return sum(s.restarts for s in self.services.values())


def schedule_crashes(world: TwinWorld) -> None:
    """Book every crash of the scenario on the clock, with recovery when there is any."""
    crashes = world.scenario.crashes
    if not crashes.plan:
        return
    world.recovery = Recovery(world, crashes.snapshot_every)
    for crash in crashes.plan:
        at_ns = world.scenario.session.at_ns(crash.at)
        service = world.network.services[crash.service]
        down_ns = int(crash.restart_ms * 1_000_000)
        world.clock.call_at(at_ns, lambda service=service, down_ns=down_ns: service.crash(down_ns))
