"""Post-trade through a clearing adapter: settlement fails, retries and buy-ins."""

from __future__ import annotations

from datetime import date, timedelta

from components.clearing import FAIL_TO_RECEIVE, InMemoryClearing
from components.domain.events import EventType as E
from components.domain.orders import OrderStatus as S
from components.post_trade import PostTrade
from components.settlement_rail import SettlementRail

from .test_post_trade import HOUR, events_of, filled

DAY = 24 * HOUR
EPOCH = date(1970, 1, 1)


def rail(fails_until: int, max_retries: int) -> SettlementRail:
    """Attempts before ``fails_until`` fail; every calendar day is a business day here."""
    clearing = InMemoryClearing(lambda d: d + timedelta(days=1), lambda d: d + timedelta(days=1),
                                lambda instruction, day, attempt: FAIL_TO_RECEIVE if attempt < fails_until else None,
                                max_retries)  # fmt: skip
    return SettlementRail(clearing, day_of=lambda ns: EPOCH + timedelta(days=ns // DAY),
                          run_ns=lambda d: (d - EPOCH).days * DAY + 14 * HOUR)  # fmt: skip


def test_a_failed_settlement_stays_confirmed_until_a_retry_settles_it(world, settlement):
    order, _ = filled(world)
    PostTrade(world.oms, world.clock, settlement, rail(fails_until=3, max_retries=3)).process(order.order_id)
    due = settlement(world.clock.now_ns())
    world.clock.advance_to(due + HOUR)
    (failed,) = events_of(world, order, E.SETTLEMENT_FAILED)
    assert failed.detail("reason") == FAIL_TO_RECEIVE and failed.detail("attempt") == 1
    assert failed.detail("next_attempt_ns") == due + DAY
    assert order.status is S.CONFIRMED
    world.clock.advance_to(due + 2 * DAY + HOUR)
    assert len(events_of(world, order, E.SETTLEMENT_FAILED)) == 2
    (settled,) = events_of(world, order, E.ORDER_SETTLED)
    assert settled.detail("attempt") == 3 and settled.detail("buy_in") is False
    assert order.status is S.SETTLED


def test_after_every_retry_fails_the_order_settles_by_buy_in(world, settlement):
    order, _ = filled(world)
    PostTrade(world.oms, world.clock, settlement, rail(fails_until=99, max_retries=1)).process(order.order_id)
    world.clock.advance_to(settlement(world.clock.now_ns()) + 3 * DAY)
    kinds = [e.event_type for e in world.events(order.order_id)][-4:]
    assert kinds == [E.ORDER_CONFIRMED, E.SETTLEMENT_FAILED, E.BUY_IN_REQUIRED, E.ORDER_SETTLED]
    (settled,) = events_of(world, order, E.ORDER_SETTLED)
    assert settled.detail("buy_in") is True and settled.detail("quantity") == 100
    assert order.status is S.SETTLED
