"""Planted bug 1 of issue 16, "acknowledge before replication": the swarm must catch it within 200 seeds.

The switch is ``twin.region_log.TEST_ONLY_ACK_BEFORE_REPLICATION`` (patched here with monkeypatch,
never reachable from a scenario file): the primary then acknowledges clients and sends to venues
before the standby has the events. The swarm runs in this process (``workers=1``) on a small
two-region day, drawing only ``region_kill`` (the primary dies at a drawn moment), and stops at the
first failing seed: the invariant ``replicas_agree_rpo_zero`` finds RPO > 0. The same seed with the
bug removed passes: the failure is the bug's, not the fault's.
"""

from __future__ import annotations

import twin.region_log as region_log
from chaos.swarm import SwarmConfig, run_seed, run_swarm

# Small and busy: the bug loses what was acknowledged in the last one-way latency before the kill,
# so a wide link (100 ms) and a steady flow make each seed likely to expose it.
WORLD = """
name: region_bug_day
session: {date: "2026-11-24", open: "09:30", close: "09:33"}
symbols: [{symbol: AAPL, reference_price: "190.00"}]
venues: [{name: XNAS, maker_rebate: "0.0020", taker_fee: "0.0030", latency_ms: 0.5}]
population: {advisors: 2, clients_per_advisor: 3, sanctioned_clients: 0}
order_flow: {orders: 600, cancel_fraction: 0.0, duplicate_fraction: 0.0, resubmit_fraction: 0.0}
liquidity: {noise_traders: 1}
regions:
  regions: [{name: east}, {name: west}]
  latency: {one_way_ms: 100, jitter_ms: 5}
"""
SEEDS = range(1, 201)


def test_acknowledge_before_replication_is_caught(monkeypatch, tmp_path):
    scenario = tmp_path / "region_bug_day.yaml"
    scenario.write_text(WORLD)
    config = SwarmConfig(scenario=str(scenario), kinds=("region_kill",), commit="test")
    monkeypatch.setattr(region_log, "TEST_ONLY_ACK_BEFORE_REPLICATION", True)
    summary = run_swarm(config, SEEDS, workers=1, stop_at_first_failure=True)
    assert summary.failed, f"not caught in {len(SEEDS)} seeds"
    failure = summary.failed[0]
    index = summary.results.index(failure)
    print(f"caught at seed index {index} (seed {failure.seed}): {failure.check}: {failure.problem}")
    assert failure.check == "replicas_agree_rpo_zero" and failure.problem.startswith("RPO ")
    assert dict(failure.kinds)["region_kill"] >= 1
    monkeypatch.undo()
    assert run_seed(config, failure.seed).passed
