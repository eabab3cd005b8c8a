"""Per-region event logs, fencing, the inter-region links and replication.

Every region keeps its own log (``ReplicaLog``). The primary's log is a prefix-ordered
stream shipped event by event to every other region (like a database's write-ahead log
streamed to its standbys), so each replica is always a prefix of the primary's log.

**Synchronous for trade-critical events, asynchronous for analytics.** Nothing a client or
a venue sees leaves the primary (``Replicator.after_commit``: a client's acknowledgement, a
child order or cancel sent to a venue) before the synchronous standby has confirmed every
trade-critical event appended so far. Analytics events travel in the same stream but nothing
waits for them (PostgreSQL's ``synchronous_commit`` per transaction over one WAL is the same
idea). Trade-critical: every event type except ``ANALYTICS_EVENTS`` (venue status changes
and the flags raised by monitoring: observations, re-derivable, never a client's money).

**Fencing.** ``Fence`` is the witness both regions reach (a coordination store outside
either region): it holds the epoch, the region allowed to write and whether the standby is
in the synchronous set. A promotion moves the epoch on *before* the new primary serves; from
then on an append by the old primary is refused (``StaleEpoch``) and counted, and so is a
replicated append carrying the old epoch. A standby the primary has dropped from the
synchronous set (it stopped hearing it and went on alone) cannot be promoted, so an
acknowledged event is never lost: RPO = 0 by construction, checked by the invariant
``replicas_agree_rpo_zero`` (``twin.invariants``).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Iterator

from components.domain.events import EventType, OrderEvent
from components.memory import InMemoryEventLog, SeededStreams

from .clock import SimClock, Timer
from .draws import FifoLink, hop_ms
from .services import LinkCondition

ANALYTICS_EVENTS: frozenset[EventType] = frozenset({
    EventType.VENUE_STATUS_CHANGED, EventType.ORDER_FLAGGED, EventType.CASE_DISPOSED,
})
"""Event types replicated asynchronously; every other type is trade-critical (orders, executions,
positions and cash: the ledger is the replay of fills and settlements)."""


TEST_ONLY_ACK_BEFORE_REPLICATION = False
"""TEST ONLY: planted bug 1 of issue 16 ("acknowledge before replication"): when True, a ``Replicator``
built from then on acknowledges to clients and sends to venues before the standby has the events.
Tests patch it (monkeypatch); no scenario field or command-line option reaches it."""


def trade_critical(event: OrderEvent) -> bool:
    """Whether ``event`` is on a trade-critical stream (replicated synchronously)."""
    return event.event_type not in ANALYTICS_EVENTS


def missing_acknowledged(old: list[OrderEvent], acknowledged: int, survivor: list[OrderEvent]) -> list[OrderEvent]:
    """Trade-critical events among the first ``acknowledged`` of ``old`` that ``survivor`` lacks
    (the RPO of a failover, as events)."""
    have = {e.event_id for e in survivor}
    return [e for e in old[:acknowledged] if trade_critical(e) and e.event_id not in have]


class StaleEpoch(RuntimeError):
    """An append by a writer whose epoch the fence has moved past (a demoted primary)."""


class ReplicaLog(InMemoryEventLog):
    """One region's copy of the event log."""

    def __init__(self, region: str):
        super().__init__()
        self.region = region

    def events(self) -> list[OrderEvent]:
        return list(self.read())


@dataclass
class Fence:
    """The witness: current epoch, the writer, and whether the standby is in the synchronous set."""

    writer: str
    standby: str | None
    epoch: int = 1
    standby_in_sync: bool = True
    refused: int = 0
    """Appends refused for a stale epoch (by a demoted primary, or replicated ones it sent)."""

    def allows(self, epoch: int) -> bool:
        return epoch == self.epoch

    def refuse(self) -> None:
        self.refused += 1

    def promote(self, region: str) -> int | None:
        """Make ``region`` the writer at a new epoch; None if it may not be promoted (it is not the
        synchronous standby, or was dropped from the synchronous set)."""
        if region != self.standby or not self.standby_in_sync:
            return None
        self.epoch += 1
        self.writer, self.standby, self.standby_in_sync = region, None, False
        return self.epoch

    def drop_standby(self, epoch: int) -> bool:
        """The primary of ``epoch`` goes on without its standby; refused if that epoch is over."""
        if not self.allows(epoch) or self.standby is None:
            return False
        self.standby_in_sync = False
        return True

    def readmit_standby(self, epoch: int) -> bool:
        if not self.allows(epoch) or self.standby is None:
            return False
        self.standby_in_sync = True
        return True


class PrimaryLog:
    """The EventLog port of the platform in a multi-region world: the primary region's log,
    written under the primary's epoch. Switched by a promotion."""

    def __init__(self, logs: dict[str, ReplicaLog], primary: str, fence: Fence):
        self.logs = logs
        self.current = logs[primary]
        self.epoch = fence.epoch
        self.fence = fence
        self.on_append: Callable[[int, OrderEvent], None] = lambda offset, event: None

    def append(self, event: OrderEvent) -> int:
        if not self.fence.allows(self.epoch):
            self.fence.refuse()
            raise StaleEpoch(f"append by region {self.current.region} at epoch {self.epoch}, "
                             f"fence at {self.fence.epoch}")
        offset = self.current.append(event)
        self.on_append(offset, event)
        return offset

    def read(self, start: int = 0) -> Iterator[OrderEvent]:
        return self.current.read(start)

    def __len__(self) -> int:
        return len(self.current)

    def switch(self, region: str, epoch: int) -> None:
        self.current, self.epoch = self.logs[region], epoch


class InterRegionLink:
    """One direction between two regions: FIFO, a drawn one-way latency, and the link conditions
    of ``twin.services.LinkCondition`` that matter between regions (``extra_ms``, ``blocked``: a
    blocked link keeps what is sent, as TCP would retransmit it, and delivers it in order when it
    heals). A dead end drops everything."""

    def __init__(self, clock: SimClock, streams: SeededStreams, src: str, dst: str, one_way_ms: float,
                 jitter_ms: float):
        self.src, self.dst = src, dst
        self._schedule, self._env = clock.schedule, clock.env
        self._link = FifoLink(hop_ms(streams.stream(f"region-link:{src}->{dst}"), one_way_ms, jitter_ms))
        self._conditions: dict[int, LinkCondition] = {}
        self._next = 0
        self._held: list[tuple[Callable[[Timer], None], object]] = []
        self.down = False
        """Set when either end dies: nothing is carried any more."""

    def set_condition(self, condition: LinkCondition) -> int:
        self._next += 1
        self._conditions[self._next] = condition
        self._link.extra_ns = int(round(sum(c.extra_ms for c in self._conditions.values()) * 1e6))
        return self._next

    def clear_condition(self, token: int) -> None:
        if self._conditions.pop(token, None) is None:
            return
        self._link.extra_ns = int(round(sum(c.extra_ms for c in self._conditions.values()) * 1e6))
        if not self.blocked:
            held, self._held = self._held, []
            for arrive, payload in held:
                self.send(arrive, payload)

    @property
    def blocked(self) -> bool:
        return any(c.blocked for c in self._conditions.values())

    def send(self, arrive: Callable[[Timer], None], payload: object) -> None:
        if self.down:
            return
        if self.blocked:
            self._held.append((arrive, payload))
            return
        self._schedule(self._link.delay(self._env.now), arrive, payload)


@dataclass
class ReplicationStats:
    lag_ns: dict[str, list[int]] = field(default_factory=dict)
    """Per replica region: append-to-arrival delay of each replicated event."""
    commit_wait_ns: list[int] = field(default_factory=list)
    """How long each held effect (client ack, venue send) waited for the standby."""
    degraded_releases: int = 0
    """Effects released without a standby (after it was dropped from the synchronous set)."""


class Replicator:
    """Ships the primary's appends to every replica; holds what leaves the primary until the
    synchronous standby confirms it (``after_commit``).

    ``ack_before_replication`` is TEST ONLY: planted bug 1 of issue 16 (the primary acknowledges
    before the standby has the events); None (the default) reads ``TEST_ONLY_ACK_BEFORE_REPLICATION``.
    No scenario field reaches it.
    """

    def __init__(self, clock: SimClock, log: PrimaryLog, fence: Fence, links: dict[tuple[str, str], InterRegionLink],
                 *, ack_before_replication: bool | None = None):
        self._clock = clock
        self._env = clock.env
        self.log = log
        self.fence = fence
        self.links = links
        self.ack_before_replication = (TEST_ONLY_ACK_BEFORE_REPLICATION if ack_before_replication is None
                                       else ack_before_replication)
        self.primary = log.current.region
        self.replicas: list[str] = [r for r in log.logs if r != self.primary]
        self.standby: str | None = fence.standby
        self.dead: set[str] = set()
        self.committed = 0
        """Log length the synchronous standby has confirmed (or the primary alone, when degraded)."""
        self.released = 0
        """Log length acknowledged to the outside: every effect released so far depended on no more."""
        self.standby_acked = 0
        self._tc_watermark = 0  # log length up to the last trade-critical event
        self._appended_at: list[int] = []
        self._pending: deque[tuple[int, int, Callable[[], None]]] = deque()  # (required, since, action)
        self.stats = ReplicationStats()
        log.on_append = self.on_append

    @property
    def degraded(self) -> bool:
        """Going on without a synchronous standby (it was declared down, or there is none left)."""
        return not self.fence.standby_in_sync

    @property
    def fenced(self) -> bool:
        """The fence has moved past this primary's epoch, or the primary died: it releases nothing."""
        return not self.fence.allows(self.log.epoch) or self.primary in self.dead

    def on_append(self, offset: int, event: OrderEvent) -> None:
        now = self._env.now
        self._appended_at.append(now)
        if trade_critical(event):
            self._tc_watermark = offset + 1
        epoch = self.fence.epoch
        for region in self.replicas:
            if region not in self.dead:
                self.links[(self.primary, region)].send(self._at_replica, (region, epoch, offset, event))
        if self.degraded and not self.fenced:
            self._commit(len(self.log))

    def _at_replica(self, timer: Timer) -> None:
        region, epoch, offset, event = timer.value
        if region in self.dead or self.primary in self.dead:
            return  # a dead region's messages still on the wire die with it (the harsher case)
        if not self.fence.allows(epoch):
            self.fence.refuse()  # a replicated append from a demoted primary
            return
        replica = self.log.logs[region]
        if offset != len(replica):
            return  # already held (a redelivery); FIFO links never skip ahead
        replica.append(event)
        self.stats.lag_ns.setdefault(region, []).append(self._env.now - self._appended_at[offset])
        if region == self.standby:
            self.links[(region, self.primary)].send(self._at_primary, (epoch, offset + 1))

    def _at_primary(self, timer: Timer) -> None:
        epoch, upto = timer.value
        if self.primary in self.dead or not self.fence.allows(epoch):
            return
        self.standby_acked = max(self.standby_acked, upto)
        if not self.degraded:
            self._commit(self.standby_acked)

    def _commit(self, upto: int) -> None:
        if upto <= self.committed:
            return
        self.committed = upto
        pending, now = self._pending, self._env.now
        while pending and pending[0][0] <= upto:
            required, since, action = pending.popleft()
            self.stats.commit_wait_ns.append(now - since)
            self.released = max(self.released, required)
            action()

    def after_commit(self, action: Callable[[], None]) -> None:
        """Run ``action`` (an effect the outside sees) once the standby has every trade-critical
        event appended so far; at once when degraded (no standby) or under the planted bug."""
        if self.fenced:
            return  # a demoted or dead primary lets nothing out
        required = self._tc_watermark
        if self.ack_before_replication or required <= self.committed:
            if self.degraded:
                self.stats.degraded_releases += 1
            self.released = max(self.released, required)
            action()
            return
        self._pending.append((required, self._env.now, action))

    def degrade(self) -> None:
        """The standby was dropped from the synchronous set: release what waited, commit locally."""
        self._commit(len(self.log))

    def drop_pending(self) -> int:
        """The primary died or was demoted: what it held back never leaves. Returns how many."""
        dropped = len(self._pending)
        self._pending.clear()
        return dropped

    def become(self, primary: str, replicas: list[str], standby: str | None) -> None:
        """After a promotion: ``primary`` writes; it ships to ``replicas`` (none in a two-region world)."""
        self.primary, self.replicas, self.standby = primary, replicas, standby
        self.committed = self.released = self.standby_acked = len(self.log)
        self._tc_watermark = len(self.log)
        self._appended_at = self._appended_at[:len(self.log)]
        self._pending.clear()
