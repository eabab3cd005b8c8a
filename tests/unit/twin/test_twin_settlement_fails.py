"""Settlement fails injected from the scenario (scenarios/blocks_day.yaml has them)."""

from __future__ import annotations

import dataclasses

import pytest

from components.domain.events import EventType
from components.domain.orders import OrderStatus
from components.config.post_trade import Settlement
from scenarios.config import load_scenario
from tests.conftest import SCENARIOS
from twin.invariants import InvariantViolation, RunEvidence
from twin.runner import run_scenario


@pytest.fixture(scope="module")
def failing_smoke():
    smoke = load_scenario(SCENARIOS / "smoke.yaml")
    return dataclasses.replace(smoke, settlement=Settlement(fail_probability=0.4, max_retries=1))


@pytest.fixture(scope="module")
def failing_run(failing_smoke):
    return run_scenario(failing_smoke, seed=4)


def kinds(events, order_id):
    return [e.event_type for e in events if e.order_id == order_id]


def test_fails_are_retried_or_bought_in_and_every_order_ends_terminal(failing_run):
    assert failing_run.passed
    events = list(failing_run.world.log.read())
    failed = {e.order_id for e in events if e.event_type is EventType.SETTLEMENT_FAILED}
    bought_in = {e.order_id for e in events if e.event_type is EventType.BUY_IN_REQUIRED}
    assert failed and bought_in and bought_in <= failed
    for order_id in failed:
        order = failing_run.world.platform.oms.orders[order_id]
        assert order.status is OrderStatus.SETTLED
        after_confirm = kinds(events, order_id)[kinds(events, order_id).index(EventType.ORDER_CONFIRMED) + 1:]
        # nothing but fails (and a buy-in) between the confirmation and the one settlement
        assert after_confirm[-1] is EventType.ORDER_SETTLED
        assert set(after_confirm[:-1]) <= {EventType.SETTLEMENT_FAILED, EventType.BUY_IN_REQUIRED}
        settled = [e for e in events if e.order_id == order_id and e.event_type is EventType.ORDER_SETTLED][0]
        assert settled.details["buy_in"] is (order_id in bought_in)


def test_same_seed_same_fingerprint_with_fails(failing_smoke, failing_run):
    assert run_scenario(failing_smoke, seed=4).fingerprint == failing_run.fingerprint


def never_retried(ev: RunEvidence) -> None:
    """Drop the settlement that closed a failed order: it is left CONFIRMED."""
    failed = next(e for e in ev.events if e.event_type is EventType.SETTLEMENT_FAILED)
    settled = next(e for e in ev.events if e.order_id == failed.order_id and e.event_type is EventType.ORDER_SETTLED)
    ev.events.remove(settled)
    ev.orders[failed.order_id].status = OrderStatus.CONFIRMED


def buy_in_without_flag(ev: RunEvidence) -> None:
    buy_in = next(e for e in ev.events if e.event_type is EventType.BUY_IN_REQUIRED)
    i, settled = next((i, e) for i, e in enumerate(ev.events)
                      if e.order_id == buy_in.order_id and e.event_type is EventType.ORDER_SETTLED)  # fmt: skip
    ev.events[i] = settled._replace(details={**settled.details, "buy_in": False})


@pytest.mark.parametrize("tamper", [never_retried, buy_in_without_flag])
def test_an_unsettled_fail_breaks_every_order_terminal(failing_smoke, tamper):
    with pytest.raises(InvariantViolation) as caught:
        run_scenario(failing_smoke, seed=4, tamper=tamper)
    assert caught.value.violation.invariant == "every_order_terminal"
