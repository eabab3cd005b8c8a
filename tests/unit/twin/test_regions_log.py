"""Per-region logs, fencing, inter-region links and synchronous replication (twin.region_log)."""

from __future__ import annotations

import pytest
import simpy

from components.domain.events import EventType, OrderEvent
from components.memory import SeededStreams
from twin.clock import SimClock
from twin.region_log import (ANALYTICS_EVENTS, Fence, InterRegionLink, PrimaryLog, ReplicaLog, Replicator,
                             StaleEpoch, missing_acknowledged, trade_critical)
from twin.services import LinkCondition

MS = 1_000_000


def _event(n: int, kind: EventType = EventType.ORDER_RECEIVED) -> OrderEvent:
    return OrderEvent(kind, f"EV-{n}", "t", 0, 0, f"ORD-{n}", 1, "ACC", "AAPL", "BUY", 100, "MARKET", None,
                      "DAY", "test")


def _world(one_way_ms: float = 10.0, **replicator):
    sim = SimClock(simpy.Environment(), 0)
    streams = SeededStreams(1)
    logs = {name: ReplicaLog(name) for name in ("east", "west")}
    fence = Fence("east", "west")
    log = PrimaryLog(logs, "east", fence)
    links = {(a, b): InterRegionLink(sim, streams, a, b, one_way_ms, 0.0)
             for a, b in (("east", "west"), ("west", "east"))}
    return sim, logs, fence, log, links, Replicator(sim, log, fence, links, **replicator)


def test_analytics_events_are_not_trade_critical():
    assert not trade_critical(_event(1, EventType.VENUE_STATUS_CHANGED))
    assert trade_critical(_event(1, EventType.ORDER_FILLED))
    assert EventType.ORDER_FILLED not in ANALYTICS_EVENTS


def test_effects_wait_for_the_standby_then_leave():
    sim, logs, fence, log, links, replicator = _world(one_way_ms=10.0)
    log.append(_event(1))
    acked = []
    replicator.after_commit(lambda: acked.append(sim.now_ns()))
    assert acked == [] and replicator.released == 0
    sim.env.run()
    assert acked == [20 * MS]  # there and back: 10 ms each way
    assert logs["west"].events() == logs["east"].events()
    assert replicator.committed == replicator.released == 1
    assert replicator.stats.lag_ns["west"] == [10 * MS]


def test_an_effect_after_only_analytics_events_does_not_wait():
    sim, logs, fence, log, links, replicator = _world()
    log.append(_event(1, EventType.VENUE_STATUS_CHANGED))
    acked = []
    replicator.after_commit(lambda: acked.append(sim.now_ns()))
    assert acked == [0]  # nothing trade-critical to wait for; the analytics event follows asynchronously


def test_the_planted_bug_acknowledges_before_replication():
    sim, logs, fence, log, links, replicator = _world(ack_before_replication=True)
    log.append(_event(1))
    acked = []
    replicator.after_commit(lambda: acked.append(sim.now_ns()))
    assert acked == [0] and replicator.released == 1 and len(logs["west"]) == 0


def test_a_blocked_link_holds_in_order_and_delivers_on_heal():
    sim, logs, fence, log, links, replicator = _world()
    token = links[("east", "west")].set_condition(LinkCondition(blocked=True))
    for n in range(3):
        log.append(_event(n))
    sim.env.run(until=100 * MS)
    assert len(logs["west"]) == 0 and replicator.committed == 0
    links[("east", "west")].clear_condition(token)
    sim.env.run()
    assert [e.event_id for e in logs["west"].read()] == ["EV-0", "EV-1", "EV-2"]
    assert replicator.committed == 3


def test_extra_latency_slows_the_link():
    sim, logs, fence, log, links, replicator = _world(one_way_ms=10.0)
    links[("east", "west")].set_condition(LinkCondition(extra_ms=40.0))
    log.append(_event(1))
    sim.env.run()
    assert replicator.stats.lag_ns["west"] == [50 * MS]


def test_fencing_refuses_and_counts_a_demoted_primarys_appends():
    sim, logs, fence, log, links, replicator = _world()
    log.append(_event(1))
    sim.env.run()
    assert fence.promote("west") == 2
    with pytest.raises(StaleEpoch, match="epoch 1, fence at 2"):
        log.append(_event(2))
    assert fence.refused == 1 and len(logs["east"]) == 1
    log.switch("west", fence.epoch)
    assert log.append(_event(3)) == 1 and [e.event_id for e in logs["west"].read()] == ["EV-1", "EV-3"]


def test_replicated_appends_of_a_stale_epoch_are_refused():
    sim, logs, fence, log, links, replicator = _world()
    log.append(_event(1))  # on the wire at epoch 1 ...
    fence.promote("west")  # ... when the fence moves on
    sim.env.run()
    assert len(logs["west"]) == 0 and fence.refused == 1


def test_a_dropped_standby_cannot_be_promoted_and_the_primary_goes_on_alone():
    sim, logs, fence, log, links, replicator = _world()
    links[("east", "west")].set_condition(LinkCondition(blocked=True))
    log.append(_event(1))
    acked = []
    replicator.after_commit(lambda: acked.append(1))
    assert fence.drop_standby(log.epoch)
    replicator.degrade()
    assert acked == [1] and replicator.degraded
    assert fence.promote("west") is None and fence.epoch == 1
    assert fence.readmit_standby(log.epoch) and fence.promote("west") == 2
    assert not fence.drop_standby(1)  # the old epoch is over


def test_missing_acknowledged_counts_only_acknowledged_trade_critical_events():
    old = [_event(0), _event(1, EventType.VENUE_STATUS_CHANGED), _event(2), _event(3)]
    survivor = old[:1]
    assert [e.event_id for e in missing_acknowledged(old, 3, survivor)] == ["EV-2"]
    assert missing_acknowledged(old, 1, survivor) == []


def test_a_fenced_primary_releases_nothing_even_without_a_standby():
    sim, logs, fence, log, links, replicator = _world()
    fence.promote("west")  # the standby took over: the synchronous set is empty now ...
    acked = []
    replicator.after_commit(lambda: acked.append(1))
    sim.env.run()
    assert acked == [] and replicator.fenced  # ... but the old primary must not go on alone
