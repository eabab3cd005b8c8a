"""Blocks through the whole lifecycle in the twin (scenarios/blocks_day.yaml)."""

from __future__ import annotations

import pytest

from components.block_desk import BLOCK_ACCOUNT
from components.blocks import DETAILS_SCHEMA, verify
from components.domain.events import EventType
from components.domain.orders import OrderStatus
from components.ledger import FILL_EVENTS
from scenarios.config import load_scenario
from tests.conftest import SCENARIOS
from twin.invariants import InvariantViolation, RunEvidence
from twin.runner import run_scenario


@pytest.fixture(scope="module")
def blocks_scenario():
    return load_scenario(SCENARIOS / "blocks_day.yaml")


@pytest.fixture(scope="module")
def blocks_run(blocks_scenario):
    return run_scenario(blocks_scenario)


def allocations(events):
    return [e for e in events if e.event_type is EventType.ORDER_ALLOCATED and e.detail("schema") == DETAILS_SCHEMA]


def test_blocks_day_passes_every_invariant(blocks_run):
    assert blocks_run.passed
    assert "block_allocations_sum_to_block_fills" in {r.name for r in blocks_run.invariants}


def test_every_block_is_allocated_re_derivably_and_members_get_their_lines(blocks_run):
    events = list(blocks_run.world.log.read())
    desk = blocks_run.world.platform.desk
    records = allocations(events)
    assert len(records) >= 20
    partial = 0
    for event in records:
        assert verify(event.details)
        assert event.account_id == BLOCK_ACCOUNT
        d = event.details
        partial += d["filled_qty"] < sum(q for _, q in d["statement"]["requests"])
        for line in d["allocations"]:
            got = [e for e in events if e.event_type in FILL_EVENTS and e.detail("block_id") == event.order_id
                   and e.account_id == line["account_id"]]
            assert sum(e.details["last_qty"] for e in got) == line["quantity"]
            assert all(e.details["last_px"] == d["price"] for e in got)
    assert partial >= 1  # the scenario exercises remainders
    assert set(desk.state.results) == {e.order_id for e in records}


def test_statement_is_fixed_before_the_block_is_routed(blocks_run):
    events = list(blocks_run.world.log.read())
    routed_at = {e.order_id: e.timestamp_utc for e in events if e.event_type is EventType.ORDER_ROUTED}
    for block_id, block in blocks_run.world.platform.desk.state.blocks.items():
        if block_id in routed_at:
            assert block.statement.created_ns <= routed_at[block_id]


def test_members_left_short_end_closed_with_a_reason(blocks_run):
    oms = blocks_run.world.platform.oms
    desk = blocks_run.world.platform.desk
    events = list(blocks_run.world.log.read())
    last = {e.order_id: e for e in events}
    short = [m for m in desk.state.member_of if oms.orders[m].filled_qty < oms.orders[m].spec.quantity]
    assert short
    for member in short:
        order = oms.orders[member]
        if order.filled_qty == 0:
            assert order.status in (OrderStatus.CANCELED, OrderStatus.EXPIRED)
            assert last[member].details["reason"]
        else:
            assert order.status is OrderStatus.SETTLED


def test_average_price_account_ends_flat(blocks_run):
    ledger = blocks_run.world.platform.ledger
    assert all(q == 0 for q in ledger.positions.get(BLOCK_ACCOUNT, {}).values())


def shift_a_share(ev: RunEvidence) -> None:
    """Move one allocated share from one account to another in the record."""
    event = next(e for e in allocations(ev.events)
                 if len([ln for ln in e.details["allocations"] if ln["quantity"]]) >= 2)  # fmt: skip
    lines = [dict(ln) for ln in event.details["allocations"]]
    givers = [ln for ln in lines if ln["quantity"]]
    givers[0]["quantity"] -= 1
    givers[1]["quantity"] += 1
    ev.events[ev.events.index(event)] = event._replace(details={**event.details, "allocations": lines})


def overpay_a_member(ev: RunEvidence) -> None:
    fill = next(e for e in ev.events if e.event_type in FILL_EVENTS and e.detail("block_id"))
    ev.events[ev.events.index(fill)] = fill._replace(details={**fill.details, "last_px": fill.details["last_px"] + 1})


@pytest.mark.parametrize("tamper", [shift_a_share, overpay_a_member])
def test_a_broken_block_allocation_fails_the_run(blocks_scenario, tamper):
    with pytest.raises(InvariantViolation) as caught:
        run_scenario(blocks_scenario, seed=3, tamper=tamper)
    assert caught.value.violation.invariant in ("block_allocations_sum_to_block_fills", "books_equal_replay")
    if tamper is shift_a_share:
        assert caught.value.violation.invariant == "block_allocations_sum_to_block_fills"
    assert "seed 3" in str(caught.value)


def test_members_refused_by_risk_are_left_out_of_the_statement(blocks_run):
    oms = blocks_run.world.platform.oms
    desk = blocks_run.world.platform.desk
    blocked = [o for o in oms.orders.values()
               if o.spec.client_order_id.startswith("BLK-") and o.status is OrderStatus.BLOCKED]  # fmt: skip
    assert blocked
    for order in blocked:
        assert order.order_id not in desk.state.member_of
        parent = next((b for b in desk.state.blocks.values()
                       if b.statement.advisor_id == order.spec.advisor_id and
                       any(bo.order_id == order.order_id for bo in b.orders)), None)  # fmt: skip
        assert parent is None


def test_a_block_with_an_unknown_policy_is_refused_with_the_field(smoke_scenario):
    from components.domain.commands import SubmitBlock
    from twin.bootstrap import build_twin

    world = build_twin(smoke_scenario, 1)
    account = world.population.accounts[0]
    outcome, follow_ups = world.platform.handle(SubmitBlock(account.advisor_id, "AAPL", "BUY",
                                                            ((account.account_id, 100),), "favourites_first",
                                                            "BLK-X", 0))  # fmt: skip
    assert not follow_ups and outcome.fields == ("policy",)
    (refused,) = world.platform.refused
    assert refused.status == 422 and refused.fields == ("policy",)


def test_a_member_canceled_while_waiting_for_risk_still_lets_its_block_form(blocks_scenario):
    """The last undecided member is canceled between validation and the risk check: the block
    must still form from the others (and every member says which block it joined)."""
    from components.domain.commands import CancelOrder, CheckRisk, RouteOrder, SubmitBlock, ValidateOrder
    from twin.bootstrap import build_twin

    world = build_twin(blocks_scenario, blocks_scenario.seed)
    platform = world.platform
    advisor = world.population.advisors[0].advisor_id
    accounts = [a.account_id for a in world.population.accounts if a.advisor_id == advisor][:2]
    now = world.clock.now_ns()
    validates = platform.handle(SubmitBlock(advisor, "AAPL", "BUY", ((accounts[0], 100), (accounts[1], 100)),
                                            "pro_rata", "B-CXL", now)).follow_ups
    assert [type(m) for m in validates] == [ValidateOrder, ValidateOrder]
    checks = [m for v in validates for m in platform.handle(v).follow_ups]
    assert [type(m) for m in checks] == [CheckRisk, CheckRisk]
    assert not platform.handle(checks[0]).follow_ups  # the first member decided; the second is not yet
    platform.handle(CancelOrder(accounts[1], "B-CXL-2", now))
    assert platform.oms.orders[checks[1].order_id].status is OrderStatus.CANCELED
    (route,) = platform.handle(checks[1]).follow_ups  # its risk check finds it canceled: the block forms anyway
    assert isinstance(route, RouteOrder) and platform.desk.is_parent(route.order_id)
    assert [m.order_id for m in platform.desk.members(route.order_id)] == [checks[0].order_id]
    received = [e for e in world.log.read() if e.event_type is EventType.ORDER_RECEIVED and e.account_id != BLOCK_ACCOUNT]
    assert {(e.detail("block_ref"), e.detail("block_policy")) for e in received} == {("B-CXL", "pro_rata")}


def test_a_block_member_cannot_pass_for_an_earlier_single_order_with_its_client_order_id(blocks_scenario):
    """Idempotency covers the block too: a member whose (account, client order id) already names
    a single order is a conflict (409), not a replay that would silently leave the block."""
    from components.domain.commands import SubmitBlock, SubmitOrder
    from twin.bootstrap import build_twin

    world = build_twin(blocks_scenario, blocks_scenario.seed)
    platform = world.platform
    advisor = world.population.advisors[0].advisor_id
    accounts = [a.account_id for a in world.population.accounts if a.advisor_id == advisor][:2]
    now = world.clock.now_ns()
    single = {"account_id": accounts[0], "symbol": "AAPL", "side": "BUY", "quantity": 100, "order_type": "MARKET",
              "time_in_force": "DAY", "advisor_id": advisor, "client_order_id": "B-DUP-1"}
    assert len(platform.handle(SubmitOrder(single, now)).follow_ups) == 1
    conflict, out = platform.handle(SubmitBlock(advisor, "AAPL", "BUY", ((accounts[0], 100), (accounts[1], 100)),
                                                "pro_rata", "B-DUP", now))
    assert (conflict.reason.status, conflict.fields) == (409, ("client_order_id",))
    assert len(out) == 1  # only the second line became a member
    assert platform.desk.state.pending["B-DUP"].members == [out[0].order_id]
