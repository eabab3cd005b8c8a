"""The OMS: lifecycle through its API, one event per fact, illegal moves refused."""

from __future__ import annotations

from dataclasses import replace

import pytest

from components.domain.events import EventType as E
from components.domain.lifecycle import IllegalTransition
from components.domain.money import PRICE_SCALE
from components.domain.orders import OrderStatus as S
from components.domain.orders import OrderType, Side, TimeInForce
from components.domain.outcomes import NextStep
from components.domain.venues import ExecKind, Liquidity
from components.oms import UnknownOrder
from components.post_trade import PostTrade

NOTHING, POST_TRADE, REROUTE = NextStep.NOTHING, NextStep.POST_TRADE, NextStep.REROUTE

D = PRICE_SCALE
SEC = 1_000_000_000


def assert_seq_contiguous(world, order_id):
    assert [e.stream_seq for e in world.events(order_id)] == list(range(1, len(world.events(order_id)) + 1))


def test_full_lifecycle_records_one_event_per_step(world, policy, settlement):
    passed, _ = policy
    oms, clock = world.oms, world.clock
    order = world.new(quantity=100)
    assert order.status is S.NEW
    clock.advance_to(clock.now_ns() + SEC)
    assert oms.validate(order.order_id, lambda account: account == "A1")
    assert oms.record_risk(order.order_id, True, (passed,))
    (child,) = world.route(order, ("XNAS", 100))
    assert order.status is S.ROUTED and order.open_children == {child.child_id: 100}

    assert world.deliver(world.report(ExecKind.ACK, child, leaves_qty=100)) is NOTHING
    assert world.deliver(world.fill(child, 40, 190 * D, leaves=60, fee=120)) is NOTHING
    assert order.status is S.PARTIALLY_FILLED and order.filled_qty == 40
    assert world.deliver(world.fill(child, 60, 190 * D + 100, leaves=0, fee=180)) is POST_TRADE
    assert order.status is S.FILLED and order.filled_qty == 100 and order.open_children == {}
    assert order.fees == 300
    assert order.filled_notional == 40 * 190 * D + 60 * (190 * D + 100)

    post = PostTrade(oms, clock, settlement)
    post.process(order.order_id)
    clock.advance_to(settlement(clock.now_ns()))
    assert order.status is S.SETTLED

    assert world.types(order.order_id) == [
        E.ORDER_RECEIVED, E.ORDER_VALIDATED, E.ORDER_RISK_APPROVED, E.ORDER_ROUTED,
        E.ORDER_PARTIALLY_FILLED, E.ORDER_FILLED, E.ORDER_ALLOCATED, E.ORDER_CONFIRMED, E.ORDER_SETTLED,
    ]
    assert_seq_contiguous(world, order.order_id)
    events = world.events(order.order_id)
    assert len({e.event_id for e in events}) == len(events)
    assert {e.trace_id for e in events} == {order.trace_id}
    assert events[2].policy_decisions == (passed,) and events[2].actor == "risk"
    assert events[0].actor == "advisor:ADV1"
    assert events[0].detail("client_order_id") == "C-1"
    assert events[3].detail("children") == [
        {"child_id": child.child_id, "venue": "XNAS", "quantity": 100, "limit_price": 190 * D}]
    assert [e.detail("last_qty") for e in events[4:6]] == [40, 60]
    assert [e.detail("cum_qty") for e in events[4:6]] == [40, 100]
    # business time never runs backwards along an order's stream
    assert [e.timestamp_utc for e in events] == sorted(e.timestamp_utc for e in events)


def test_events_carry_the_order_fields(world):
    order = world.new(quantity=7, side=Side.BUY, order_type=OrderType.MARKET, limit_price=None,
                      time_in_force=TimeInForce.IOC, client_order_id="C-7")
    (event,) = world.events(order.order_id)
    assert (event.account_id, event.symbol, event.side, event.quantity, event.order_type, event.limit_price,
            event.time_in_force) == ("A1", "AAPL", "BUY", 7, "MARKET", None, "IOC")


def test_stream_seq_counts_per_order(world):
    a, b = world.new(client_order_id="C-a"), world.new(client_order_id="C-b")
    world.oms.validate(b.order_id, lambda acct: True)
    world.oms.validate(a.order_id, lambda acct: True)
    assert [(e.order_id, e.stream_seq) for e in world.events()] == [
        (a.order_id, 1), (b.order_id, 1), (b.order_id, 2), (a.order_id, 2)]


def test_unknown_account_is_rejected_at_validation(world):
    order = world.new()
    assert not world.oms.validate(order.order_id, lambda account: False)
    assert order.status is S.REJECTED
    assert world.events(order.order_id)[-1].detail("reason") == "UNKNOWN_ACCOUNT"


def test_blocked_order_carries_the_failing_decision(world, policy):
    passed, failed = policy
    order = world.validated()
    assert not world.oms.record_risk(order.order_id, False, (passed, failed))
    assert order.status is S.BLOCKED
    last = world.events(order.order_id)[-1]
    assert last.event_type is E.ORDER_BLOCKED
    assert last.detail("reason") == "NOTIONAL_EXCEEDS_MAX_PER_ORDER"
    assert last.policy_decisions == (passed, failed)


def test_steps_out_of_order_are_no_ops(world, policy):
    passed, _ = policy
    order = world.new()
    assert not world.oms.record_risk(order.order_id, True, (passed,))  # not validated yet
    world.oms.validate(order.order_id, lambda a: True)
    assert not world.oms.validate(order.order_id, lambda a: True)  # twice
    assert world.types(order.order_id) == [E.ORDER_RECEIVED, E.ORDER_VALIDATED]


def test_unknown_order_id(world):
    with pytest.raises(UnknownOrder):
        world.oms.get("ORD-nope")


# -- illegal transitions ------------------------------------------------------------

def test_a_blocked_order_cannot_be_routed_or_filled(world, policy):
    passed, failed = policy
    order = world.validated()
    world.oms.record_risk(order.order_id, False, (failed,))
    before = len(world.log)
    with pytest.raises(IllegalTransition) as info:
        world.route(order, ("XNAS", 100))
    assert (info.value.current, info.value.target) == (S.BLOCKED, S.ROUTED)
    assert order.status is S.BLOCKED and order.open_children == {} and len(world.log) == before
    # a fill for a child the OMS never recorded changes nothing
    stray = world.children(order, ("XNAS", 100))[0]
    assert world.deliver(world.fill(stray, 100, 190 * D, leaves=0)) is NOTHING
    assert order.filled_qty == 0 and order.status is S.BLOCKED and len(world.log) == before


@pytest.mark.parametrize("stage", ["new", "validated"])
def test_an_order_not_yet_approved_cannot_be_routed(world, stage):
    order = world.new() if stage == "new" else world.validated()
    with pytest.raises(IllegalTransition):
        world.route(order, ("XNAS", 100))
    assert order.open_children == {}


def test_settle_before_allocate_is_refused(world):
    order, (child,) = world.routed(("XNAS", 100))
    world.deliver(world.fill(child, 100, 190 * D, leaves=0))
    before = len(world.log)
    for premature in (E.ORDER_SETTLED, E.ORDER_CONFIRMED):
        with pytest.raises(IllegalTransition):
            world.oms.record_post_trade(order.order_id, premature, {})
    assert order.status is S.FILLED and len(world.log) == before
    world.oms.record_post_trade(order.order_id, E.ORDER_ALLOCATED, {})
    with pytest.raises(IllegalTransition):
        world.oms.record_post_trade(order.order_id, E.ORDER_SETTLED, {})
    assert order.status is S.ALLOCATED


def test_allocating_a_working_order_is_refused(world):
    order, _ = world.routed(("XNAS", 100))
    with pytest.raises(IllegalTransition):
        world.oms.record_post_trade(order.order_id, E.ORDER_ALLOCATED, {})
    assert order.status is S.ROUTED


def test_a_canceled_order_with_no_fills_cannot_be_allocated(world):
    order = world.validated()
    world.oms.request_cancel(order.order_id)
    with pytest.raises(IllegalTransition, match="nothing was filled"):
        world.oms.record_post_trade(order.order_id, E.ORDER_ALLOCATED, {})


def test_a_terminal_order_cannot_be_expired(world):
    order = world.new()
    world.oms.validate(order.order_id, lambda a: False)
    with pytest.raises(IllegalTransition):
        world.oms.expire(order.order_id)
    assert order.status is S.REJECTED


# -- cancels ----------------------------------------------------------------------

@pytest.mark.parametrize("stage", ["new", "validated", "approved"])
def test_cancel_before_routing_is_immediate(world, stage):
    order = {"new": world.new, "validated": world.validated, "approved": world.approved}[stage]()
    assert world.oms.request_cancel(order.order_id) == ()
    assert order.status is S.CANCELED
    last = world.events(order.order_id)[-1]
    assert last.event_type is E.ORDER_CANCELED and last.detail("reason") == "CLIENT_REQUEST"
    # nothing more happens to it
    assert not world.oms.validate(order.order_id, lambda a: True)
    assert world.oms.request_cancel(order.order_id) == ()
    assert world.oms.open_orders() == []


def test_cancel_after_routing_waits_for_every_venue(world):
    order, (a, b) = world.routed(("XNAS", 60), ("ARCX", 40))
    to_cancel = world.oms.request_cancel(order.order_id)
    assert sorted(to_cancel) == sorted([("XNAS", a.child_id), ("ARCX", b.child_id)])
    assert order.status is S.ROUTED
    assert world.deliver(world.report(ExecKind.CANCELED, a)) is NOTHING
    assert order.status is S.ROUTED  # ARCX still working
    assert world.deliver(world.report(ExecKind.CANCELED, b)) is NOTHING
    assert order.status is S.CANCELED
    last = world.events(order.order_id)[-1]
    assert (last.detail("reason"), last.detail("leaves_qty")) == ("CLIENT_REQUEST", 100)


def test_a_fill_racing_a_cancel_still_counts(world):
    order, (child,) = world.routed(("XNAS", 100))
    world.oms.request_cancel(order.order_id)
    world.deliver(world.fill(child, 30, 190 * D, leaves=70))
    assert world.deliver(world.report(ExecKind.CANCELED, child)) is POST_TRADE
    assert order.status is S.CANCELED and order.filled_qty == 30


# -- venue reports ----------------------------------------------------------------

def test_duplicate_and_late_reports_are_ignored(world):
    order, (child,) = world.routed(("XNAS", 100))
    partial = world.fill(child, 40, 190 * D, leaves=60, fee=12)
    world.deliver(partial)
    n = len(world.log)
    assert world.deliver(partial) is NOTHING  # at-least-once: the same fill again, child still open
    assert (order.filled_qty, order.fees, order.filled_notional, len(world.log)) == (40, 12, 40 * 190 * D, n)
    assert order.open_children == {child.child_id: 60}
    last = world.fill(child, 60, 190 * D, leaves=0)
    assert world.deliver(last) is POST_TRADE
    n = len(world.log)
    for late in (last, partial, world.report(ExecKind.CANCELED, child), world.report(ExecKind.ACK, child)):
        assert world.deliver(late) is NOTHING
    assert (order.status, order.filled_qty, len(world.log)) == (S.FILLED, 100, n)


def test_the_same_exec_id_from_another_venue_is_another_fill(world):
    order, (a, b) = world.routed(("XNAS", 50), ("ARCX", 50))
    world.deliver(world.report(ExecKind.FILL, a, last_qty=10, last_px=190 * D, leaves_qty=40, exec_id="E1"))
    world.deliver(world.report(ExecKind.FILL, b, last_qty=10, last_px=190 * D, leaves_qty=40, exec_id="E1"))
    assert order.filled_qty == 20


def test_report_for_unknown_order_is_ignored(world):
    order, (child,) = world.routed(("XNAS", 100))
    stray = replace(world.fill(child, 10, 190 * D, leaves=90), order_id="ORD-none")
    assert world.deliver(stray) is NOTHING
    assert order.filled_qty == 0 and order.open_children == {child.child_id: 100}


def test_end_of_day_cancel_expires_the_order(world):
    order, (child,) = world.routed(("XNAS", 100))
    assert world.deliver(world.report(ExecKind.CANCELED, child, reason="END_OF_DAY")) is NOTHING
    assert order.status is S.EXPIRED
    assert world.events(order.order_id)[-1].detail("reason") == "END_OF_DAY"


def test_end_of_day_after_a_partial_fill_goes_to_post_trade(world):
    order, (child,) = world.routed(("XNAS", 100))
    world.deliver(world.fill(child, 25, 190 * D, leaves=75))
    assert world.deliver(world.report(ExecKind.CANCELED, child, reason="END_OF_DAY")) is POST_TRADE
    assert order.status is S.EXPIRED and order.filled_qty == 25
    world.oms.record_post_trade(order.order_id, E.ORDER_ALLOCATED, {})
    assert order.status is S.ALLOCATED


def test_venue_rejects_are_rerouted_twice_then_the_order_is_rejected(world):
    order, (first,) = world.routed(("XNAS", 100))
    assert world.deliver(world.report(ExecKind.REJECTED, first, reason="VENUE_HALTED")) is REROUTE
    assert order.status is S.ROUTED and order.open_children == {}
    second = world.route(order, ("ARCX", 100))[0]
    assert world.deliver(world.report(ExecKind.REJECTED, second, reason="VENUE_HALTED")) is REROUTE
    third = world.route(order, ("BATS", 100))[0]
    assert world.deliver(world.report(ExecKind.REJECTED, third, reason="VENUE_HALTED")) is NOTHING
    assert order.status is S.REJECTED
    assert world.types(order.order_id) == [
        E.ORDER_RECEIVED, E.ORDER_VALIDATED, E.ORDER_RISK_APPROVED, E.ORDER_ROUTED,
        E.CHILD_ORDER_REJECTED, E.ORDER_REROUTED, E.CHILD_ORDER_REJECTED, E.ORDER_REROUTED,
        E.CHILD_ORDER_REJECTED, E.ORDER_REJECTED]
    assert world.events(order.order_id)[-1].detail("reason") == "VENUE_HALTED"
    assert_seq_contiguous(world, order.order_id)


def test_a_reject_after_partial_fills_closes_the_rest(world):
    order, (first,) = world.routed(("XNAS", 100))
    world.deliver(world.fill(first, 30, 190 * D, leaves=70))
    # the venue then refuses the rest: rerouted twice, then the order is done for day
    for venue in ("ARCX", "BATS"):
        assert world.deliver(world.report(ExecKind.REJECTED, first, reason="NO")) is REROUTE
        (first,) = world.route(order, (venue, order.leaves_qty))
    assert world.deliver(world.report(ExecKind.REJECTED, first, reason="NO")) is POST_TRADE
    assert order.status is S.CANCELED and order.filled_qty == 30


def test_a_cancel_requested_order_is_not_rerouted_on_reject(world):
    order, (child,) = world.routed(("XNAS", 100))
    world.oms.request_cancel(order.order_id)
    assert world.deliver(world.report(ExecKind.REJECTED, child, reason="NO")) is NOTHING
    assert order.status is S.CANCELED
    assert world.events(order.order_id)[-1].detail("reason") == "CLIENT_REQUEST"


def test_partially_filled_then_canceled_goes_to_post_trade(world):
    order, (child,) = world.routed(("XNAS", 100))
    world.deliver(world.fill(child, 70, 190 * D, leaves=30, liquidity=Liquidity.MAKER, fee=-14))
    assert world.deliver(world.report(ExecKind.CANCELED, child, reason="IOC")) is POST_TRADE
    assert order.status is S.CANCELED and order.filled_qty == 70 and order.leaves_qty == 30
    assert world.events(order.order_id)[-1].detail("reason") == "IOC"
    world.oms.record_post_trade(order.order_id, E.ORDER_ALLOCATED, {"quantity": 70})
    assert order.status is S.ALLOCATED


# -- expiry -----------------------------------------------------------------------

@pytest.mark.parametrize("stage", ["new", "validated", "approved"])
def test_an_order_that_never_reached_a_venue_expires(world, stage):
    # Platform.expire_day expires NEW, VALIDATED and RISK_APPROVED orders at the close.
    order = {"new": world.new, "validated": world.validated, "approved": world.approved}[stage]()
    world.oms.expire(order.order_id)
    assert order.status is S.EXPIRED
    assert world.events(order.order_id)[-1].detail("reason") == "END_OF_DAY"
    assert world.oms.open_orders() == []


def test_an_order_working_at_a_venue_is_expired_by_the_venue_not_the_oms(world):
    order, (child,) = world.routed(("XNAS", 100))
    with pytest.raises(IllegalTransition):
        world.oms.expire(order.order_id)
    assert order.status is S.ROUTED
    world.deliver(world.fill(child, 10, 190 * D, leaves=90))  # the venue still trades it
    assert order.filled_qty == 10 and order.status is S.PARTIALLY_FILLED


def test_open_orders_lists_working_and_done_for_day_orders(world):
    working, _ = world.routed(("XNAS", 100), client_order_id="C-w")
    done = world.approved(client_order_id="C-d")
    world.oms.request_cancel(done.order_id)
    partly, (child,) = world.routed(("XNAS", 100), client_order_id="C-p")
    world.deliver(world.fill(child, 1, 190 * D, leaves=99))
    world.deliver(world.report(ExecKind.CANCELED, child))
    assert [o.order_id for o in world.oms.open_orders()] == [working.order_id, partly.order_id]


def test_listeners_see_each_event_after_it_is_stored(world):
    seen = []
    world.oms.subscribe(lambda event, order: seen.append((event.event_type, order.status, len(world.log))))
    order = world.new()
    world.oms.validate(order.order_id, lambda a: True)
    assert seen == [(E.ORDER_RECEIVED, S.NEW, 1), (E.ORDER_VALIDATED, S.VALIDATED, 2)]


@pytest.mark.parametrize("qty, reason", [(101, "OVERFILL"), (0, "BAD_QUANTITY"), (-5, "BAD_QUANTITY")])
def test_a_fill_the_child_cannot_take_is_refused_and_recorded_once(world, qty, reason):
    order, (child,) = world.routed(("XNAS", 100))
    bad = world.report(ExecKind.FILL, child, last_qty=qty, last_px=190 * D, leaves_qty=0, exec_id="X1")
    assert world.deliver(bad) is NOTHING
    assert world.deliver(bad) is NOTHING  # redelivered: not recorded twice
    refused = [e for e in world.events(order.order_id) if e.event_type is E.EXECUTION_REFUSED]
    assert [(e.detail("reason"), e.detail("last_qty"), e.detail("child_leaves")) for e in refused] == [
        (reason, qty, 100)]
    assert (order.status, order.filled_qty, order.open_children) == (S.ROUTED, 0, {child.child_id: 100})
    assert world.deliver(world.fill(child, 100, 190 * D, leaves=0)) is POST_TRADE  # the real fill still lands


def test_an_overfill_after_a_partial_fill_is_measured_against_the_child_leaves(world):
    order, (child,) = world.routed(("XNAS", 100))
    world.deliver(world.fill(child, 70, 190 * D, leaves=30))
    world.deliver(world.report(ExecKind.FILL, child, last_qty=31, last_px=190 * D, leaves_qty=0, exec_id="X2"))
    assert (order.filled_qty, order.open_children) == (70, {child.child_id: 30})
    assert world.types(order.order_id)[-1] is E.EXECUTION_REFUSED


def test_a_discrepancy_is_recorded_on_the_order_and_changes_nothing_else(world):
    order, (child,) = world.routed(("XNAS", 100))
    world.deliver(world.fill(child, 100, 190 * D, leaves=0))  # the child is closed
    before = (order.status, order.filled_qty, order.filled_notional)
    lost = world.report(ExecKind.DISCREPANCY, child, last_qty=40, leaves_qty=0, reason="LOST_FILL")
    assert world.deliver(lost) is NOTHING
    assert (order.status, order.filled_qty, order.filled_notional) == before
    last = world.events(order.order_id)[-1]
    assert last.event_type is E.EXECUTION_DISCREPANCY
    assert (last.detail("reason"), last.detail("missing_qty"), last.detail("venue")) == ("LOST_FILL", 40, "XNAS")


def _rebuilt_dump(world):
    from components.rebuild.oms import OmsPart, dump
    from components.rebuild import recover

    live = dump(world.oms)
    recover(OmsPart(world.oms), world.log)  # the OMS loses its memory and replays the log
    return live, dump(world.oms)


def test_a_refused_fill_is_still_refused_once_after_a_rebuild(world):
    order, (child,) = world.routed(("XNAS", 100))
    bad = world.report(ExecKind.FILL, child, last_qty=101, last_px=190 * D, leaves_qty=0, exec_id="X1")
    world.deliver(bad)
    live, rebuilt = _rebuilt_dump(world)
    assert rebuilt == live
    world.deliver(bad)  # redelivered after the restart
    assert [e.event_type for e in world.events(order.order_id)].count(E.EXECUTION_REFUSED) == 1


def test_a_rebuild_keeps_the_leaves_the_venue_reported(world):
    order, (a, b) = world.routed(("XNAS", 100), ("BATS", 100), quantity=200)
    world.deliver(world.fill(a, 30, 190 * D, leaves=0))  # the venue ended the rest of child a with this fill
    assert order.open_children == {b.child_id: 100}
    live, rebuilt = _rebuilt_dump(world)
    assert rebuilt == live and order.open_children == {b.child_id: 100}


@pytest.mark.parametrize("order_type, tif, expected", [(OrderType.MARKET, TimeInForce.DAY, TimeInForce.IOC),
                                                       (OrderType.LIMIT, TimeInForce.DAY, TimeInForce.DAY),
                                                       (OrderType.LIMIT, TimeInForce.IOC, TimeInForce.IOC)])
def test_a_plan_entry_rebuilds_the_child_the_router_sent(order_type, tif, expected):
    """What live recovery and the OMS rebuild both use: a MARKET child went out IOC, a short flag survives."""
    from components.oms import child_of_plan

    entry = {"child_id": "C-1", "venue": "XNAS", "quantity": 300, "limit_price": None, "short": True}
    child = child_of_plan("O-1", "AAPL", Side.SELL, order_type, tif, entry)
    assert (child.child_id, child.order_id, child.venue, child.symbol, child.side, child.quantity) == \
        ("C-1", "O-1", "XNAS", "AAPL", Side.SELL, 300)
    assert child.time_in_force is expected and child.short is True
    assert child_of_plan("O-1", "AAPL", Side.BUY, order_type, tif, {**entry, "short": False}).short is False
