"""The kill switch, operated: a scenario's ``trading_state`` flips it, each flip is a
recorded platform event, orders meanwhile are blocked by the ``trading_state`` policy,
and a rebuilt risk engine comes back in the state the log says."""

from __future__ import annotations

from dataclasses import replace
from datetime import time

import pytest

from components.domain.commands import SetTradingState
from components.domain.events import EventType
from components.domain.outcomes import Handled, RefusalReason, TradingStateSet
from components.memory import InMemoryEventLog
from components.risk.policies import TradingState
from components.rebuild.risk import RiskPart
from components.rebuild import recover
from scenarios.config import load_scenario
from scenarios.config_faults import TradingStateChange
from components.config.schema import ScenarioError
from tests.conftest import SCENARIOS
from twin.runner import run_scenario

SMOKE = load_scenario(SCENARIOS / "smoke.yaml")


@pytest.fixture(scope="module")
def halted_run():
    flips = (TradingStateChange(time(9, 40), "HALTED", "drill", "sre"),
             TradingStateChange(time(9, 50), "ACTIVE", "drill over", "sre"))
    return run_scenario(replace(SMOKE, trading_state=flips))


def test_each_flip_is_one_platform_event_naming_who_and_why(halted_run):
    assert halted_run.passed
    flips = [e for e in halted_run.world.log.read() if e.event_type is EventType.TRADING_STATE_CHANGED]
    assert [(e.order_id, e.stream_seq, e.actor, e.details["previous"], e.details["state"], e.details["reason"])
            for e in flips] == [("", 1, "operator:sre", "ACTIVE", "HALTED", "drill"),
                                ("", 2, "operator:sre", "HALTED", "ACTIVE", "drill over")]
    assert halted_run.world.platform.risk.trading_state is TradingState.ACTIVE


def test_orders_checked_while_halted_are_blocked_by_the_trading_state_policy(halted_run):
    events = list(halted_run.world.log.read())
    halted_from, halted_to = (e.timestamp_utc for e in events if e.event_type is EventType.TRADING_STATE_CHANGED)
    checked = [e for e in events if e.event_type in (EventType.ORDER_RISK_APPROVED, EventType.ORDER_BLOCKED)
               and e.actor == "risk"]
    inside = [e for e in checked if halted_from < e.timestamp_utc < halted_to]
    assert inside, "the smoke flow sends orders during the halt"
    for e in inside:
        assert e.event_type is EventType.ORDER_BLOCKED
        verdict = {d.policy: d for d in e.policy_decisions}["trading_state"]
        assert not verdict.passed
    assert any(e.event_type is EventType.ORDER_RISK_APPROVED for e in checked if e.timestamp_utc > halted_to)


def test_a_rebuilt_risk_engine_comes_back_in_the_logged_state(halted_run):
    world = halted_run.world
    halted_only = [e for e in world.log.read() if not (e.event_type is EventType.TRADING_STATE_CHANGED
                                                       and e.details["state"] == "ACTIVE")]
    engine = world.platform.risk
    part = RiskPart(engine)
    log = InMemoryEventLog()
    for event in halted_only:
        log.append(event)
    recover(part, log)  # a log that ends halted
    assert engine.trading_state is TradingState.HALTED
    recover(part, world.log)
    assert engine.trading_state is TradingState.ACTIVE


def test_a_repeat_records_nothing_and_a_bad_state_is_refused_naming_the_field(halted_run):
    platform = halted_run.world.platform
    before = len(halted_run.world.log)
    again = platform.handle(SetTradingState("ACTIVE", "operator:sre", "again", 0))
    assert again == Handled(TradingStateSet("ACTIVE", "ACTIVE")) and not again.outcome.changed  # already ACTIVE
    assert len(halted_run.world.log) == before
    (refused, _) = platform.handle(SetTradingState("PAUSED", "operator:sre", "", 0))
    assert refused.reason is RefusalReason.INVALID and refused.fields == ("state",)
    refusal = list(platform.refused)[-1]  # counted for the run's summary too
    assert (refusal.status, refusal.fields) == (422, ("state",)) and "PAUSED" in refusal.problem
    assert len(halted_run.world.log) == before


def test_a_scenario_with_an_unknown_state_names_the_field(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text((SCENARIOS / "smoke.yaml").read_text()
                    + '\ntrading_state:\n  - {at: "10:00", state: PAUSED}\n')
    with pytest.raises(ScenarioError, match=r"trading_state\[0\]\.state: must be one of ACTIVE, REDUCING, HALTED"):
        load_scenario(path)
