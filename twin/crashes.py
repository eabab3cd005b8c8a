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

*When* and *which* service dies is the fault catalogue's (``chaos.faults.services``: the
``crashes`` section is sugar for ``service_crash`` faults, ``crash_faults``); *how* is this
module's ``ServiceCrasher``, the world's ``ServiceMechanism``. Besides a crash at a moment
(whatever the service is doing: the message in service is lost and redelivered), it can crash a
service mid-append: the next handler that appends more than ``stored`` events dies right after
the ``stored``-th, so the log holds part of what the handler decided. The restart rebuilds from
the log (which has those events) and the redelivered message must finish the job without
storing any of them twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chaos.faults.services import ServiceCrash
from components.domain.outcomes import DONE, Handled
from components.rebuild.oms import OmsPart, reconcile
from components.rebuild import Part, ReadableLog, Snapshot, recover, snapshot
from components.rebuild.desk import DeskPart
from components.rebuild.entry import EntryPart
from components.rebuild.post_trade import PostTradePart
from components.rebuild.risk import RiskPart

from scenarios.config import Scenario

from .services import Handler
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
        self.replay_log: ReadableLog = world.log
        """What a restart replays from: the log, or its checked stored copy when the world keeps one
        (``twin.stored_log.StoredLog``, set by ``twin.fault_target``)."""
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
            stats.replayed += recover(part, self.replay_log, self.latest.get(name))
            if held is not None and part.dump() != held:
                stats.divergences.append(name)
        if "oms" in HOSTED[service]:
            self._reconcile_oms()

    def resync(self, name: str) -> int:
        """Rebuild component ``name`` from its newest snapshot plus the log now, without a restart:
        for the writer whose memory ran ahead of the log when a process died mid-append (the OMS
        numbers an event's stream before appending it). Returns the events replayed."""
        return recover(self.parts[name], self.replay_log, self.latest.get(name))

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


class _Died(Exception):
    """Raised inside a handler by an armed mid-append crash: the process dies right there."""


class ServiceCrasher:
    """The twin's ``chaos.faults.services.ServiceMechanism``: crashes hosted services, with recovery.

    Made by ``twin.fault_target`` when a fault first asks for it; the world's ``Recovery`` is
    created then (before the run starts, so snapshots are taken from the first message)."""

    def __init__(self, world: TwinWorld):
        if world.recovery is None:
            world.recovery = Recovery(world, world.scenario.crashes.snapshot_every)
        self.world = world
        self.recovery: Recovery = world.recovery  # type: ignore[assignment]
        self._armed: dict[str, tuple[int, int]] = {}  # service -> (events to store, down ns)
        self._wrapped: set[str] = set()
        self.mid_append_crashes: list[tuple[str, int]] = []
        """(service, events of the handler stored) for every mid-append crash that happened."""

    def crash(self, service: str, down_ns: int) -> None:
        self.world.network.services[service].crash(down_ns)

    def crash_mid_append(self, service: str, stored: int, down_ns: int) -> None:
        self._armed[service] = (stored, down_ns)
        if service not in self._wrapped:
            self._wrapped.add(service)
            self.world.network.services[service].wrap_handler(lambda handler: self._catching(service, handler))

    def _catching(self, service: str, handler: Handler) -> Handler:
        log, armed, world = self.world.log, self._armed, self.world

        def handle(message: object) -> Handled:
            if service not in armed:
                return handler(message)
            stored, down_ns = armed[service]
            appended = [0]
            append = log.append

            def append_then_die(event):
                if appended[0] == stored:
                    raise _Died()
                appended[0] += 1
                return append(event)

            log.append = append_then_die  # type: ignore[method-assign]  # the instance's, for this handler only
            try:
                return handler(message)
            except _Died:
                # The process dies with the handler half done: no follow-ups leave it, the message
                # is redelivered on restart (SimService.crash keeps it as the last unacknowledged).
                del armed[service]
                self.mid_append_crashes.append((service, stored))
                # Every event goes through the OMS, which numbered the one that was never stored:
                # what it holds must be what the log holds (the append's transaction died).
                self.recovery.resync("oms")
                world.network.services[service].crash(down_ns)
                return Handled(DONE, ())
            finally:
                del log.append  # back to the class's method

        return handle


def crash_faults(scenario: Scenario) -> list[ServiceCrash]:
    """The scenario's ``crashes`` plan as ``service_crash`` faults, in plan order."""
    session = scenario.session
    return [ServiceCrash(c.service, session.at_ns(c.at), c.restart_ms) for c in scenario.crashes.plan]
