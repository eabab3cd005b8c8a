"""Every invariant is broken on purpose and the run must fail, naming seed and event."""

from __future__ import annotations

import pytest

from components.domain.events import EventType
from components.domain.orders import OrderStatus, OrderType, Side, TimeInForce
from components.domain.venues import ChildOrder
from components.ledger import FILL_EVENTS
from components.risk.engine import RiskDecision, RiskEngine
from twin.invariants import InvariantViolation, RunEvidence
from twin.runner import run_scenario


def first(events, kind):
    return next(e for e in events if e.event_type is kind)


def drop_middle_event(ev: RunEvidence) -> None:
    victim = next(i for i, e in enumerate(ev.events) if e.event_type is EventType.ORDER_VALIDATED)
    del ev.events[victim]


def duplicate_event(ev: RunEvidence) -> None:
    ev.events.append(ev.events[3])


def leave_order_working(ev: RunEvidence) -> None:
    order = next(o for o in ev.orders.values() if o.status is OrderStatus.SETTLED)
    order.status = OrderStatus.ROUTED


def send_blocked_order_to_venue(ev: RunEvidence) -> None:
    blocked = first(ev.events, EventType.ORDER_BLOCKED)
    child = ChildOrder("CH-X", blocked.order_id, "XNAS", blocked.symbol, Side(blocked.side), blocked.quantity,
                       OrderType(blocked.order_type), blocked.limit_price, TimeInForce(blocked.time_in_force))
    ev.child_sends.append((len(ev.events), child))


def trade_for_sanctioned_party(ev: RunEvidence) -> None:
    fill = next(e for e in ev.events if e.event_type in FILL_EVENTS)
    ev.sanctioned_accounts = frozenset({fill.account_id})


def lose_a_venue_fill(ev: RunEvidence) -> None:
    fill = next(e for e in ev.events if e.event_type in FILL_EVENTS)
    ev.events[ev.events.index(fill)] = fill._replace(details={**fill.details, "last_qty": 1})


def corrupt_cash(ev: RunEvidence) -> None:
    fill = next(e for e in ev.events if e.event_type in FILL_EVENTS)
    ev.live_ledger.cash[fill.account_id] += 1


@pytest.mark.parametrize(
    "tamper, invariant",
    [
        (drop_middle_event, "no_lost_or_duplicated_events"),
        (duplicate_event, "no_lost_or_duplicated_events"),
        (leave_order_working, "every_order_terminal"),
        (send_blocked_order_to_venue, "risk_approved_before_venue"),
        (trade_for_sanctioned_party, "no_sanctioned_party_traded"),
        (lose_a_venue_fill, "fills_consistent"),
        (corrupt_cash, "books_equal_replay"),
    ],
)
def test_broken_invariant_fails_the_run(smoke_scenario, tamper, invariant):
    with pytest.raises(InvariantViolation) as caught:
        run_scenario(smoke_scenario, seed=5, tamper=tamper)
    assert caught.value.violation.invariant == invariant
    assert "seed 5" in str(caught.value)


def test_a_risk_engine_that_approves_everything_lets_a_sanctioned_party_trade(smoke_scenario, monkeypatch):
    """Not tampering with evidence: a faulty component, caught by the checker."""

    def approve_all(self, order_id, spec, now_ns):
        return RiskDecision(approved=True, decisions=())

    monkeypatch.setattr(RiskEngine, "check", approve_all)
    with pytest.raises(InvariantViolation) as caught:
        run_scenario(smoke_scenario, seed=5)
    assert caught.value.violation.invariant == "no_sanctioned_party_traded"
    assert caught.value.violation.event_id.startswith("EV-")


def test_a_clean_run_passes_every_invariant(smoke_run):
    assert smoke_run.passed
    assert [r.name for r in smoke_run.invariants] == [
        "no_lost_or_duplicated_events", "every_order_terminal", "risk_approved_before_venue",
        "no_sanctioned_party_traded", "fills_consistent", "books_equal_replay",
        "block_allocations_sum_to_block_fills", "replicas_agree_rpo_zero", "stored_events_verified"]
