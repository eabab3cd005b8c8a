"""The analytics service behind its bulkhead: it degrades (timeouts, breaker, fallbacks), trading does not."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from chaos.faults.analytics import AnalyticsFailing, AnalyticsSlow
from scenarios.config import load_scenario
from twin.analytics_service import analytics_of
from twin.control_plane import ConfigChange, Setting, install
from twin.fault_target import fault_world
from twin.runner import run_scenario

ROOT = Path(__file__).resolve().parents[3]
SMOKE = load_scenario(ROOT / "scenarios" / "smoke.yaml")
NS = 1_000_000_000


def at(text: str) -> int:
    return SMOKE.session.at_ns(time.fromisoformat(text))


def run(faults=(), changes=()):
    def setup(world):
        analytics_of(world)
        if changes:
            install(world, changes)
        for fault in faults:
            fault_world(world).schedule(fault)

    return run_scenario(SMOKE, out_dir=None, setup=setup)


@pytest.fixture(scope="module")
def plain():
    return run_scenario(SMOKE, out_dir=None)


@pytest.fixture(scope="module")
def healthy():
    return run()


def test_a_healthy_analytics_service_answers_every_event_and_moves_nothing(plain, healthy):
    stats = healthy.world.analytics.stats
    assert stats.consumed > 0 and stats.insights == stats.consumed and stats.fallbacks == 0
    assert healthy.fingerprint == plain.fingerprint  # off the trade path: no event, no draw moved


def test_a_slowdown_times_calls_out_and_opens_the_breaker_but_leaves_the_order_path_alone(plain, healthy):
    slowed = run([AnalyticsSlow(at("09:35"), 15 * 60 * NS, 50.0)])
    summary, before = slowed.world.analytics.summary(), healthy.world.analytics.summary()
    assert summary["timeouts"] > 0 and summary["breaker_opens"] > 0 and summary["short_circuited"] > 0
    assert summary["lag_p99_ms"] > before["lag_p99_ms"]
    assert slowed.fingerprint == plain.fingerprint


def test_failures_fall_back_and_the_service_recovers_after_the_heal(plain):
    failing = run([AnalyticsFailing(at("09:35"), 5 * 60 * NS, 1.0)])
    analytics = failing.world.analytics
    assert analytics.stats.failures > 0 and analytics.stats.breaker_opens > 0
    assert analytics.failure_probability == 0.0 and analytics.stats.insights > 0  # healed at 09:40
    assert [what for _, what in analytics.fault_log] == ["fail p=1", "healed"]
    assert failing.fingerprint == plain.fingerprint


def test_the_control_plane_switches_insights_off_and_promotes_a_model():
    result = run(changes=[ConfigChange(at("09:40"), Setting.MODEL, "insight", "v2"),
                          ConfigChange(at("09:45"), Setting.FLAG, "insights", "off")])
    analytics = result.world.analytics
    assert analytics.model == "v2" and analytics.enabled is False
    assert analytics.stats.short_circuited > 0  # every event after 09:45 took the fallback
    assert result.world.control_plane.summary()["copies"]["analytics"] == {"version": 2, "refused": 0}
