"""Two-region worlds end to end (twin.regions): region kill, partitions, a lost standby, clock faults,
and the invariant replicas_agree_rpo_zero. Small, short worlds; every invariant must hold."""

from __future__ import annotations

import pytest

from chaos.faults.clocks import ClockJump
from chaos.faults.regions import RegionKill, RegionPartition
from scenarios.config import parse_scenario
from twin.fault_target import fault_world
from twin.runner import run_scenario

S = 1_000_000_000
WORLD = """
name: regions_unit
session: {date: "2026-11-24", open: "09:30", close: "09:34"}
symbols: [{symbol: AAPL, reference_price: "190.00"}]
venues: [{name: XNAS, maker_rebate: "0.0020", taker_fee: "0.0030", latency_ms: 0.5}]
population: {advisors: 2, clients_per_advisor: 3, sanctioned_clients: 0}
order_flow: {orders: 240, cancel_fraction: 0.05, resubmit_fraction: 0.02}
liquidity: {noise_traders: 1}
regions:
  regions: [{name: east}, {name: west, clock_skew_ms: 1}]
  latency: {one_way_ms: 20, jitter_ms: 1}
"""
SCENARIO = parse_scenario(WORLD)
AT = SCENARIO.session.open_ns() + 100 * S


def _run(*faults, **kwargs):
    def setup(world):
        for fault in faults:
            fault_world(world).schedule(fault)

    return run_scenario(SCENARIO, 5, setup=setup, check=False, **kwargs)


def _failed(result):
    return [(r.name, r.detail) for r in result.invariants if not r.passed]


@pytest.fixture(scope="module")
def killed():
    return _run(RegionKill("east", AT))


def test_without_faults_the_standby_holds_the_primarys_log():
    result = _run()
    regions = result.world.regions
    assert _failed(result) == [] and regions.failovers == []
    east, west = (regions.plan.logs[n].events() for n in ("east", "west"))
    assert east == west and len(east) == len(result.world.log)
    summary = regions.summary()
    assert summary["replication_lag_ms"]["west"]["p50"] >= 20.0
    assert summary["commit_wait_ms"]["p50"] >= 40.0  # an acknowledgement waits a round trip


def test_a_killed_primary_fails_over_with_no_acknowledged_event_lost(killed):
    regions = killed.world.regions
    assert _failed(killed) == []
    assert (regions.primary, regions.dead, regions.plan.fence.epoch) == ("west", {"east"}, 2)
    [failover] = regions.failovers
    assert failover.rpo_events == [] and failover.fault_ns == AT
    assert failover.detected_ns - AT > 0 and failover.promoted_ns - failover.detected_ns == 1000 * 1_000_000
    assert failover.rto_ns is not None and failover.rto_ns >= failover.promoted_ns - AT
    # The world's log is the survivor's: what west had, then what it wrote as primary.
    assert killed.world.log.current is regions.plan.logs["west"]
    final = list(killed.world.log.read())
    assert final[:len(failover.survivor_log)] == failover.survivor_log and len(final) > len(failover.survivor_log)
    record = regions.summary()["failovers"][0]
    assert record["rpo_events"] == 0 and record["rto_ms"] == pytest.approx(failover.rto_ns / 1e6)


def test_the_invariant_catches_an_acknowledged_event_missing_in_the_survivor(killed):
    def tamper(evidence):
        failovers = evidence.extra["regions"]["failovers"]
        old, acknowledged, survivor = failovers[0]
        failovers[0] = (old, acknowledged, survivor[:acknowledged - 1])

    result = _run(RegionKill("east", AT), tamper=tamper)
    assert ("replicas_agree_rpo_zero", "RPO 1: acknowledged trade-critical events missing in the survivor "
            "after failover") in _failed(result)


def test_a_long_partition_fails_over_and_fences_the_old_primary():
    result = _run(RegionPartition("east", "west", AT, 20 * S))
    regions = result.world.regions
    assert _failed(result) == []
    assert regions.primary == "west" and regions.fenced == {"east"} and regions.dead == set()
    assert regions.failovers[0].rpo_events == []


def test_a_one_way_partition_from_the_primary_fails_over_too():
    result = _run(RegionPartition("east", "west", AT, 20 * S, one_way=True))
    assert _failed(result) == [] and result.world.regions.primary == "west"


def test_a_short_partition_heals_without_failover():
    result = _run(RegionPartition("east", "west", AT, 0.2 * S))
    regions = result.world.regions
    assert _failed(result) == [] and regions.failovers == [] and regions.primary == "east"
    assert regions.plan.logs["west"].events() == regions.plan.logs["east"].events()


def test_a_lost_standby_leaves_the_primary_going_on_alone():
    result = _run(RegionKill("west", AT))
    regions = result.world.regions
    assert _failed(result) == [] and regions.failovers == [] and regions.primary == "east"
    assert regions.replicator.degraded and regions.replicator.stats.degraded_releases > 0


def test_a_clock_jump_moves_the_primary_regions_timestamps():
    result = _run(ClockJump("east", AT, 1500.0))
    world = result.world
    assert _failed(result) == []
    assert world.regions.plan.clocks["east"].now_ns() - world.clock.now_ns() == 1_500_000_000
    assert world.regions.plan.clocks["west"].now_ns() - world.clock.now_ns() == 1_000_000  # its skew only
    stamps = [e.recorded_at for e in world.log.read()]
    assert any(t < AT for t in stamps) and any(t >= AT + 1_500_000_000 for t in stamps)
    assert not any(AT <= t < AT + 1_500_000_000 for t in stamps)  # the clock skipped those 1.5 s


def test_one_region_worlds_have_no_regions():
    result = run_scenario(parse_scenario(WORLD.split("regions:")[0]), 5, check=False)
    assert result.world.regions is None
    assert ("replicas_agree_rpo_zero", True) in [(r.name, r.passed) for r in result.invariants]
