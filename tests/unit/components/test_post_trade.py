"""Post-trade: 1:1 allocation at the average price, confirmation, settlement on the clock."""

from __future__ import annotations

import pytest

from components.domain.events import EventType as E
from components.domain.lifecycle import IllegalTransition
from components.domain.money import PRICE_SCALE
from components.domain.orders import OrderStatus as S
from components.domain.orders import Side
from components.domain.outcomes import NextStep
from components.domain.venues import ExecKind
from components.post_trade import PostTrade

D = PRICE_SCALE
PX = 190 * D
HOUR = 3_600 * 1_000_000_000


def filled(world, qty=100, side=Side.BUY, fills=((100, PX, 300),), client_order_id="C-1"):
    """An order filled by ``fills`` = (qty, price, fee) on one child."""
    order, (child,) = world.routed(("XNAS", qty), quantity=qty, side=side, client_order_id=client_order_id)
    leaves = qty
    for q, px, fee in fills:
        leaves -= q
        world.deliver(world.fill(child, q, px, leaves=leaves, fee=fee))
    return order, child


def events_of(world, order, kind):
    return [e for e in world.events(order.order_id) if e.event_type is kind]


def test_allocation_is_one_to_one_at_the_average_price(world, settlement):
    order, _ = filled(world, fills=((30, PX, 90), (70, PX + 100, 210)))
    PostTrade(world.oms, world.clock, settlement).process(order.order_id)
    (alloc,) = events_of(world, order, E.ORDER_ALLOCATED)
    # (30 * 190.00 + 70 * 190.01) / 100 = 190.007 -> 1_900_070 units exactly
    assert alloc.detail("avg_price") == 1_900_070 == order.avg_price
    assert alloc.detail("allocations") == [{"account_id": "A1", "quantity": 100}]
    assert alloc.detail("policy") == "SINGLE_ACCOUNT"
    assert alloc.actor == "post_trade"


def test_average_price_rounds_half_up_to_the_unit(world, settlement):
    order, _ = filled(world, qty=3, fills=((1, PX, 0), (2, PX + 1, 0)))  # 1_900_000.666...
    PostTrade(world.oms, world.clock, settlement).process(order.order_id)
    assert events_of(world, order, E.ORDER_ALLOCATED)[0].detail("avg_price") == 1_900_001
    order2, _ = filled(world, qty=2, fills=((1, PX, 0), (1, PX + 1, 0)), client_order_id="C-2")  # .5 -> up
    assert order2.avg_price == 1_900_001


def test_confirmation_carries_the_settlement_date(world, settlement):
    order, _ = filled(world, fills=((100, PX, 300),))
    now = world.clock.now_ns()
    PostTrade(world.oms, world.clock, settlement).process(order.order_id)
    assert order.status is S.CONFIRMED
    (confirm,) = events_of(world, order, E.ORDER_CONFIRMED)
    assert confirm.detail("settlement_ns") == settlement(now) > now
    assert (confirm.detail("quantity"), confirm.detail("avg_price"), confirm.detail("fees")) == (100, PX, 300)
    assert confirm.detail("confirmation") == "CLIENT"


def test_settlement_fires_at_the_settlement_time_with_net_cash(world, settlement):
    order, _ = filled(world, fills=((40, PX, 120), (60, PX + 100, 180)))
    post = PostTrade(world.oms, world.clock, settlement)
    post.process(order.order_id)
    due = settlement(world.clock.now_ns())
    assert post.pending == 1
    world.clock.advance_to(due - 1)
    assert order.status is S.CONFIRMED and events_of(world, order, E.ORDER_SETTLED) == []
    world.clock.advance_to(due + HOUR)
    assert order.status is S.SETTLED and post.pending == 0
    (settled,) = events_of(world, order, E.ORDER_SETTLED)
    assert settled.timestamp_utc == due
    notional = 40 * PX + 60 * (PX + 100)
    assert settled.detail("net_cash") == -(notional + 300)  # a buy pays the notional and the fees
    assert (settled.detail("quantity"), settled.detail("settlement_ns")) == (100, due)


def test_a_sell_receives_the_notional_less_fees_and_plus_rebates(world, settlement):
    order, _ = filled(world, side=Side.SELL, fills=((50, PX, 150), (50, PX, -100)))
    post = PostTrade(world.oms, world.clock, settlement)
    post.process(order.order_id)
    world.clock.advance_to(settlement(world.clock.now_ns()))
    (settled,) = events_of(world, order, E.ORDER_SETTLED)
    assert settled.detail("net_cash") == 100 * PX - 50


def test_processing_twice_allocates_once(world, settlement):
    order, _ = filled(world)
    post = PostTrade(world.oms, world.clock, settlement)
    post.process(order.order_id)
    n = len(world.log)
    post.process(order.order_id)  # at-least-once delivery
    assert len(world.log) == n and post.pending == 1
    world.clock.advance_to(settlement(world.clock.now_ns()))
    post.process(order.order_id)  # and again after settlement
    counts = [len(events_of(world, order, kind)) for kind in (E.ORDER_ALLOCATED, E.ORDER_CONFIRMED, E.ORDER_SETTLED)]
    assert counts == [1, 1, 1]
    assert order.status is S.SETTLED


def test_orders_settling_the_same_day_all_settle(world, settlement):
    post = PostTrade(world.oms, world.clock, settlement)
    orders = [filled(world, client_order_id=f"C-{i}")[0] for i in range(3)]
    for i, order in enumerate(orders):
        world.clock.advance_to(world.clock.now_ns() + i * HOUR)
        post.process(order.order_id)
    assert post.pending == 3
    world.clock.advance_to(settlement(world.clock.now_ns()))
    assert [o.status for o in orders] == [S.SETTLED] * 3 and post.pending == 0


def test_a_done_for_day_order_allocates_only_what_filled(world, settlement):
    order, (child,) = world.routed(("XNAS", 100))
    world.deliver(world.fill(child, 30, PX, leaves=70, fee=90))
    assert world.deliver(world.report(ExecKind.CANCELED, child, reason="END_OF_DAY")) is NextStep.POST_TRADE
    post = PostTrade(world.oms, world.clock, settlement)
    post.process(order.order_id)
    (alloc,) = events_of(world, order, E.ORDER_ALLOCATED)
    assert alloc.detail("allocations") == [{"account_id": "A1", "quantity": 30}]
    world.clock.advance_to(settlement(world.clock.now_ns()))
    (settled,) = events_of(world, order, E.ORDER_SETTLED)
    assert (settled.detail("quantity"), settled.detail("net_cash")) == (30, -(30 * PX + 90))


def test_a_working_order_is_not_processed(world, settlement):
    order, (child,) = world.routed(("XNAS", 100))
    world.deliver(world.fill(child, 30, PX, leaves=70))
    post = PostTrade(world.oms, world.clock, settlement)
    n = len(world.log)
    post.process(order.order_id)
    assert len(world.log) == n and post.pending == 0 and order.status is S.PARTIALLY_FILLED


def test_an_order_with_nothing_filled_is_not_allocated(world, settlement):
    order = world.approved()
    world.oms.request_cancel(order.order_id)
    events_before = len(world.log)
    post = PostTrade(world.oms, world.clock, settlement)
    post.process(order.order_id)  # nothing to settle: a no-op, safe under at-least-once delivery
    assert order.status is S.CANCELED and post.pending == 0
    assert len(world.log) == events_before
