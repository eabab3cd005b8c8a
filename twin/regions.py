"""Regions in the twin: placement, heartbeats, failover with fencing, RPO and RTO.

``plan_regions`` (called by ``twin.bootstrap`` when a scenario has a ``regions`` section)
makes each region's clock (``twin.region_clock``) and log (``twin.region_log``) and the links
between regions; the platform is built on the primary's clock and log. ``TwinRegions.install``
then places the hosted services in the primary region and wraps them:

* what leaves the primary waits for the synchronous standby (``Replicator.after_commit``): a
  client's acknowledgement (the answer to a request, by the service that handled it) and every child order
  or cancel sent to a venue;
* a service of a region that is no longer primary handles nothing, and its appends after the
  fence moved are refused (``StaleEpoch``) and counted.

**Failover.** Primary and standby send each other a heartbeat every ``heartbeat_ms`` over their
link until a minute after the close. When the standby misses ``missed_heartbeats`` in a row
it asks the fence to promote it (refused if the primary dropped it from the synchronous set
first); the epoch moves on at once (the old primary is fenced) and after ``promotion_ms`` the
standby serves: every component is rebuilt from its replicated log (``components.rebuild``, as
``twin.crashes`` does, without snapshots), the ledger is replayed, the OMS is reconciled with
the venues (order-status requests; a child the venue never received is answered UNKNOWN_ORDER),
the services are hosted in the new region, venue reports and client flow go there, and every
client request not yet acknowledged is sent again (clients retry until answered; order entry
dedupes by client order id). When the primary misses the standby's heartbeats and the fence
(a witness outside both regions) confirms the standby region is down, it drops the standby from
the synchronous set and goes on alone (degraded). A standby only cut off from the primary stays
synchronous: acknowledgements wait until the link heals or the standby takes over.

**Measured.** RPO: trade-critical events acknowledged by the old primary that the survivor lacks
(must be 0). RTO: simulated time from the fault to the first client order acknowledged by the new
primary. Replication lag per replica. All in ``summary()`` (summary.json ``regions``).

Not modelled (said so in docs/regions.md): a demoted or killed region is never re-seeded as a
standby, so a two-region world runs on without one after a failover; a third region keeps an
asynchronous replica that stops receiving at a failover and is never promoted; the operator's
kill-switch messages are not retried by clients.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chaos.faults.clocks import ClockMechanism
from chaos.faults.regions import RegionMechanism
from components.domain.commands import (CancelOrder, CheckRisk, ProcessPostTrade, RouteOrder, SubmitBlock,
                                        SubmitOrder, ValidateOrder)
from components.domain.lifecycle import is_terminal
from components.domain.orders import OrderStatus
from components.domain.outcomes import DONE, Handled
from components.domain.venues import ChildOrder, ExecKind, ExecutionReport
from components.ledger import Ledger
from components.memory import SeededStreams
from components.platform import SERVICES
from components.rebuild import recover_all
from components.rebuild.desk import DeskPart
from components.rebuild.entry import EntryPart
from components.rebuild.oms import OmsPart, reconcile
from components.rebuild.post_trade import PostTradePart, rearm
from components.rebuild.risk import RiskPart
from scenarios.config_regions import Regions

from .clock import SimClock
from .fault_target import MECHANISMS
from .region_clock import PrimaryClock, RegionClock
from .region_log import (Fence, InterRegionLink, PrimaryLog, ReplicaLog, Replicator, StaleEpoch,
                         missing_acknowledged)
from .service_pool import host_service, service_profile
from .services import LinkCondition, SimService
from .world import TwinWorld

MS = 1_000_000
CLIENT_REQUESTS = (SubmitOrder, SubmitBlock, CancelOrder)
_NEXT_STEP = {OrderStatus.NEW: ValidateOrder, OrderStatus.VALIDATED: CheckRisk, OrderStatus.RISK_APPROVED: RouteOrder,
              OrderStatus.FILLED: ProcessPostTrade, OrderStatus.ALLOCATED: ProcessPostTrade}
"""What carries an order on from each status with no child working (``TwinRegions._resume``)."""
UNKNOWN_ORDER = "UNKNOWN_ORDER"  # what a venue answers about a child it never received
_REFUSED = Handled(DONE, ())  # a fenced service handles nothing and sends nothing on


@dataclass
class Failover:
    """One promotion: when, from where to where, and what it cost."""

    fault_ns: int
    """Simulated epoch ns of the fault that led to it (the kill, or the first missed heartbeat)."""
    detected_ns: int
    promoted_ns: int
    old: str
    new: str
    rpo_events: list = field(default_factory=list)
    """Acknowledged trade-critical events of the old primary the survivor lacks (must be empty)."""
    acknowledged: int = 0
    old_log: list = field(default_factory=list)
    survivor_log: list = field(default_factory=list)
    first_order_ns: int | None = None
    """When the new primary acknowledged its first client order."""
    retried_requests: int = 0
    resumed: int = 0
    """Orders sent their next step again (caught between two steps by the failover)."""
    reconciled: int = 0

    @property
    def rto_ns(self) -> int | None:
        return None if self.first_order_ns is None else self.first_order_ns - self.fault_ns


@dataclass
class RegionPlan:
    """What the bootstrap builds the platform on: the primary's clock and log."""

    config: Regions
    clocks: dict[str, RegionClock]
    clock: PrimaryClock
    logs: dict[str, ReplicaLog]
    fence: Fence
    log: PrimaryLog
    links: dict[tuple[str, str], InterRegionLink]


def plan_regions(config: Regions, sim: SimClock, streams: SeededStreams) -> RegionPlan:
    """Clocks, logs, fence and links of a multi-region world."""
    clocks = {r.name: RegionClock(sim, int(r.clock_skew_ms * MS), r.clock_drift_ppm) for r in config.regions}
    primary, standby = config.primary_name, config.standby_name
    logs = {name: ReplicaLog(name) for name in config.names}
    fence = Fence(primary, standby)
    lat = config.latency
    links = {(a, b): InterRegionLink(sim, streams, a, b, lat.one_way_ms, lat.jitter_ms)
             for a in config.names for b in config.names if a != b}
    return RegionPlan(config, clocks, PrimaryClock(clocks, primary), logs, fence, PrimaryLog(logs, primary, fence),
                      links)


class TwinRegions:
    """The regions of one run: placement, replication, monitoring, failover, and the region and clock
    fault mechanisms (``chaos.faults.regions.RegionMechanism``, ``chaos.faults.clocks.ClockMechanism``)."""

    def __init__(self, world: TwinWorld, plan: RegionPlan):
        self.world, self.plan, self.config = world, plan, plan.config
        self.primary = plan.config.primary_name
        self.standby: str | None = plan.config.standby_name
        self.dead: set[str] = set()
        self.fenced: set[str] = set()
        self.replicator = Replicator(world.clock, plan.log, plan.fence, plan.links)
        self.failovers: list[Failover] = []
        self.fenced_refusals = 0
        """Messages a demoted region's services refused to handle (its appends would be refused)."""
        self._service_region: dict[int, str] = {}
        self._pending_clients: dict[int, object] = {}  # id(request) -> request, sent and not acknowledged
        self._last_seen: dict[str, int] = {}  # region -> sim ns of the last heartbeat it was heard from
        self._lost_since: int | None = None  # first heartbeat the standby missed from the primary
        self._promoting = False
        self._fault_ns: int | None = None

    # ------------------------------------------------------------------ install

    def install(self) -> None:
        world = self.world
        world.gateway.keep_status()  # order-status requests answer the promoted OMS's reconciliation
        platform = world.platform
        platform.venues = _GatedVenues(platform.venues, self.replicator, world.clock,
                                       world.scenario.session.close_ns())
        for service in world.network.services.values():
            self._host(service, self.primary)
        network = world.network
        send = network.send

        def client_send(src: str, message: object) -> None:
            if src == "advisor" and isinstance(message, CLIENT_REQUESTS):
                self._pending_clients[id(message)] = message
            send(src, message)

        network.send = client_send  # type: ignore[method-assign]
        self._client_send = client_send
        self._start_heartbeats()

    def _host(self, service: SimService, region: str) -> None:
        self._service_region[id(service)] = region
        replicator, pending = self.replicator, self._pending_clients

        def wrap(handler):
            def handle(message: object) -> Handled:
                if region != self.primary or region in self.dead:
                    self.fenced_refusals += 1
                    return _REFUSED
                try:
                    out = handler(message)
                except StaleEpoch:
                    self.fenced_refusals += 1
                    return _REFUSED
                if id(message) in pending:  # a client's request: its answer waits for the standby
                    replicator.after_commit(lambda message=message: self._acknowledged(message))
                return out
            return handle

        service.wrap_handler(wrap)

    def _acknowledged(self, message: object) -> None:
        self._pending_clients.pop(id(message), None)
        if self.failovers and isinstance(message, SubmitOrder):
            last = self.failovers[-1]
            if last.first_order_ns is None:
                last.first_order_ns = self.world.clock.now_ns()

    # ------------------------------------------------------------------ heartbeats and the monitor

    def _start_heartbeats(self) -> None:
        clock, cfg = self.world.clock, self.config
        period = int(cfg.heartbeat_ms * MS)
        timeout = period * cfg.missed_heartbeats
        stop_ns = self.world.scenario.session.close_ns() + 60 * 1_000_000_000
        now = clock.now_ns()
        for region in cfg.names:
            self._last_seen[region] = now

        def beat() -> None:
            t = clock.now_ns()
            pair = [self.primary] + ([self.standby] if self.standby else [])
            for src in pair:
                for dst in pair:
                    if src != dst and src not in self.dead and dst not in self.dead:
                        self.plan.links[(src, dst)].send(self._heard, src)
            self._check(t, timeout)
            if t + period <= stop_ns:
                clock.call_later(period, beat)

        clock.call_later(period, beat)

    def _heard(self, timer) -> None:
        self._last_seen[timer.value] = self.world.clock.now_ns()

    def _check(self, now: int, timeout: int) -> None:
        primary, standby, fence = self.primary, self.standby, self.plan.fence
        if standby is None or self._promoting:
            return
        # The standby's monitor: has it stopped hearing the primary?
        if standby not in self.dead and now - self._last_seen[primary] > timeout:
            if fence.promote(standby) is not None:
                self._begin_promotion(now, primary, standby)
                return
        # The primary's monitor: has it stopped hearing the standby? Then, if the fence (which watches
        # both regions from outside them) confirms the standby region is down, not merely cut off from
        # the primary, go on alone (degraded) ...
        if primary in self.dead or primary in self.fenced:
            return
        heard = now - self._last_seen[standby] <= timeout
        if not heard and fence.standby_in_sync and standby in self.dead:
            if fence.drop_standby(self.plan.log.epoch):
                self.replicator.degrade()
        # ... and take it back once it is heard again and has caught up.
        elif heard and not fence.standby_in_sync and standby not in self.dead:
            if self.replicator.standby_acked >= len(self.plan.log) and fence.readmit_standby(self.plan.log.epoch):
                self.replicator.committed = self.replicator.standby_acked

    # ------------------------------------------------------------------ failover

    def _begin_promotion(self, now: int, old: str, new: str) -> None:
        """The fence has moved: ``old`` can no longer write; ``new`` serves after ``promotion_ms``."""
        self._promoting = True
        # The fault: the kill or the partition that cut the primary off, else (a clogged link) the
        # last heartbeat the standby heard from the primary.
        fault_ns = self._fault_ns if self._fault_ns is not None else self._last_seen[old]
        if old not in self.dead:
            self.fenced.add(old)
        self.plan.clock.stopped.add(old)
        self.replicator.drop_pending()
        self.world.clock.call_later(int(self.config.promotion_ms * MS),
                                    lambda: self._promote(fault_ns, now, old, new))

    def _promote(self, fault_ns: int, detected_ns: int, old: str, new: str) -> None:
        world, plan = self.world, self.plan
        old_log = plan.logs[old].events()
        survivor = plan.logs[new]
        acknowledged = self.replicator.released
        failover = Failover(fault_ns, detected_ns, world.clock.now_ns(), old, new,
                            missing_acknowledged(old_log, acknowledged, survivor.events()), acknowledged,
                            old_log, survivor.events())
        self.failovers.append(failover)
        # The new primary: its clock, its log under the new epoch.
        plan.clock.primary = new
        plan.log.switch(new, plan.fence.epoch)
        self.primary, self.standby = new, None
        others = [r for r in self.config.names if r not in (old, new) and r not in self.dead]
        self.replicator.become(new, others, None)
        self._rebuild()
        self._host_services(new)
        failover.reconciled = self._reconcile()
        failover.resumed = self._resume()
        failover.retried_requests = self._retry_clients()
        self._promoting = False

    def _rebuild(self) -> None:
        """Every component from the replicated log (the OMS first: order entry reads its orders)."""
        platform, log = self.world.platform, self.plan.log
        oms = platform.oms
        parts = [OmsPart(oms), EntryPart(platform.entry, oms.get), RiskPart(platform.risk),
                 PostTradePart(platform.post_trade),
                 DeskPart(platform.desk, lambda order_id: platform.oms.orders[order_id].status)]
        recover_all(parts, log)
        rearm(platform.post_trade, self.plan.clock)  # the old region's settlement timers died with it
        world = self.world
        platform.ledger = Ledger(world.opening_cash, world.opening_positions).apply_all(log.read())

    def _host_services(self, region: str) -> None:
        world = self.world
        network, profile = world.network, service_profile(world.scenario)
        for name in SERVICES:  # as the bootstrap hosts them, on the same streams (the old servers are gone)
            service = host_service(name, world.scenario, world.clock, world.streams, world.platform.handle, profile)
            self._host(service, region)
            network.attach(service)
        world.gateway.connect(network.services["oms"].deliver)

    def _reconcile(self) -> int:
        """Order-status requests to the venues for every child the rebuilt OMS thinks is working."""
        world = self.world
        platform, gateway = world.platform, world.gateway
        reports = reconcile(platform.oms, gateway)
        sent = {child.child_id for _, child in gateway.child_sends}
        now = world.clock.now_ns()
        for order_id, order in list(platform.oms.orders.items()):
            for child_id in list(order.open_children):
                if child_id not in sent:  # the old primary died before sending it
                    venue = platform.oms.child_venue[child_id]
                    reports.append(ExecutionReport(ExecKind.REJECTED, venue, child_id, order_id, now,
                                                   reason=UNKNOWN_ORDER))
        for report in reports:
            for follow_up in platform.handle(report).follow_ups:
                world.network.send("oms", follow_up)
        return len(reports)

    def _resume(self) -> int:
        """Send each order caught between two steps its next step again: the message that would have
        carried it on died with the old region (the twin's crash recovery gets it redelivered by the bus;
        a region's in-flight messages are gone). Each handler dedupes by the order's status."""
        world = self.world
        sent = 0
        for order_id, order in list(world.platform.oms.orders.items()):
            if is_terminal(order) or order.open_children:
                continue
            step = _NEXT_STEP.get(order.status)
            if step is None and order.status in (OrderStatus.CANCELED, OrderStatus.EXPIRED):
                step = ProcessPostTrade  # done with fills: post-trade has not booked it yet
            if step is not None:
                world.network.send("oms", step(order_id))
                sent += 1
        return sent

    def _retry_clients(self) -> int:
        pending = list(self._pending_clients.values())
        self._pending_clients.clear()
        for message in pending:
            self._client_send("advisor", message)
        return len(pending)

    # ------------------------------------------------------------------ fault mechanisms

    def kill_region(self, region: str) -> None:
        """The region dies at once: its services, its memory and its pending effects are gone;
        its log keeps only what it had (non-replicated state is lost with it)."""
        if region in self.dead:
            return
        self.dead.add(region)
        self.replicator.dead.add(region)
        for (a, b), link in self.plan.links.items():
            if region in (a, b):
                link.down = True
        if region == self.primary:
            self._fault_ns = self.world.clock.now_ns()
            self.plan.clock.stopped.add(region)
            self.replicator.drop_pending()
            forever = 10**18
            for service in self.world.network.services.values():
                service.crash(forever)

    def partition(self, a: str, b: str, one_way: bool = False) -> tuple[int, ...]:
        """Block the link ``a -> b`` (and ``b -> a`` unless ``one_way``); returns the tokens to heal."""
        return self._condition(a, b, LinkCondition(blocked=True), one_way)

    def slow_link(self, a: str, b: str, extra_ms: float, one_way: bool = False) -> tuple[int, ...]:
        """Add ``extra_ms`` one-way latency to ``a -> b`` (and back unless ``one_way``)."""
        return self._condition(a, b, LinkCondition(extra_ms=extra_ms), one_way)

    def heal(self, a: str, b: str, tokens: tuple[int, ...]) -> None:
        """Lift the conditions ``partition`` or ``slow_link`` set between ``a`` and ``b``."""
        for token in tokens:
            for key in ((a, b), (b, a)):
                self.plan.links[key].clear_condition(token)
        if not self._promoting and self.primary not in self.dead:
            self._fault_ns = None  # healed before any failover: a later one has its own fault

    def _condition(self, a: str, b: str, condition: LinkCondition, one_way: bool) -> tuple[int, ...]:
        if self._fault_ns is None and condition.blocked:
            self._fault_ns = self.world.clock.now_ns()
        tokens = [self.plan.links[(a, b)].set_condition(condition)]
        if not one_way:
            tokens.append(self.plan.links[(b, a)].set_condition(condition))
        return tuple(tokens)

    def region_names(self) -> tuple[str, ...]:
        return self.config.names

    def set_clock_drift(self, region: str, drift_ppm: int) -> None:
        self.plan.clocks[region].set_drift(drift_ppm)

    def jump_clock(self, region: str, delta_ns: int) -> None:
        self.plan.clocks[region].jump(delta_ns)

    def __iter__(self):
        """The region names, in configured order (``twin.fault_target.shape_of`` reads them)."""
        return iter(self.config.names)

    def __len__(self) -> int:
        return len(self.config.names)

    # ------------------------------------------------------------------ results

    def evidence(self) -> dict:
        """What the invariant ``replicas_agree_rpo_zero`` reads (``RunEvidence.extra['regions']``)."""
        replicas = {name: log.events() for name, log in self.plan.logs.items()
                    if name != self.primary and name not in self.dead and name not in self.fenced}
        return {
            "primary_events": self.plan.logs[self.primary].events(),
            "replicas": replicas,
            "failovers": [(f.old_log, f.acknowledged, f.survivor_log) for f in self.failovers],
        }

    def summary(self) -> dict:
        """summary.json ``regions``: placement, failovers with RPO and RTO, replication lag, fencing."""
        stats = self.replicator.stats
        return {
            "regions": list(self.config.names),
            "primary": self.primary,
            "dead": sorted(self.dead),
            "fenced": sorted(self.fenced),
            "epoch": self.plan.fence.epoch,
            "fenced_appends_refused": self.plan.fence.refused,
            "fenced_messages_refused": self.fenced_refusals,
            "failovers": [{
                "old": f.old, "new": f.new, "fault_ns": f.fault_ns, "detected_ns": f.detected_ns,
                "promoted_ns": f.promoted_ns, "rpo_events": len(f.rpo_events),
                "rto_ms": None if f.rto_ns is None else round(f.rto_ns / MS, 3),
                "acknowledged_events": f.acknowledged, "survivor_events": len(f.survivor_log),
                "lost_unacknowledged_events": len(f.old_log) - len(f.survivor_log),
                "retried_client_requests": f.retried_requests, "reconciled_reports": f.reconciled,
                "resumed_orders": f.resumed,
            } for f in self.failovers],
            "replication_lag_ms": {region: _percentiles(lags) for region, lags in sorted(stats.lag_ns.items())},
            "commit_wait_ms": _percentiles(stats.commit_wait_ns),
            "degraded_releases": stats.degraded_releases,
            "clock_jumps": {name: c.jumps for name, c in self.plan.clocks.items() if c.jumps},
        }


def _percentiles(values_ns: list[int]) -> dict:
    if not values_ns:
        return {"n": 0}
    ordered = sorted(values_ns)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] / MS, 3)

    return {"n": len(ordered), "p50": at(0.5), "p99": at(0.99), "max": round(ordered[-1] / MS, 3)}


class _GatedVenues:
    """The platform's venue gateway in a multi-region world: child orders and cancels leave the
    primary only once the standby has the events behind them (``Replicator.after_commit``)."""

    def __init__(self, inner, replicator: Replicator, clock: SimClock, close_ns: int):
        self._inner = inner
        self._replicator = replicator
        self._clock = clock
        self._close_ns = close_ns

    def send(self, child: ChildOrder) -> None:
        self._replicator.after_commit(lambda: self._release(child))

    def _release(self, child: ChildOrder) -> None:
        now = self._clock.now_ns()
        if now < self._close_ns:
            self._inner.send(child)
            return
        # Held past the close: the venues' day is over. A real venue refuses the late order; the
        # simulated one would rest it for ever, so it is answered here as the close answers a resting
        # DAY order (END_OF_DAY, nothing filled), over the venue's return link like any report.
        self._inner.receive(ExecutionReport(ExecKind.CANCELED, child.venue, child.child_id, child.order_id, now,
                                            last_qty=child.quantity, reason="END_OF_DAY"))

    def cancel(self, venue: str, child_id: str) -> None:
        self._replicator.after_commit(lambda: self._inner.cancel(venue, child_id))

    def __getattr__(self, name: str):
        return getattr(self._inner, name)


def _mechanism_of(world: TwinWorld) -> TwinRegions:
    if world.regions is None:
        raise LookupError("this world has one region: no region or clock faults")
    return world.regions


MECHANISMS[RegionMechanism] = _mechanism_of  # the twin's mechanisms for region and clock faults
MECHANISMS[ClockMechanism] = _mechanism_of


def install_regions(world: TwinWorld, plan: RegionPlan) -> TwinRegions:
    """Place the world's services in the primary region and start replication and monitoring."""
    regions = TwinRegions(world, plan)
    regions.install()
    world.regions = regions
    return regions

