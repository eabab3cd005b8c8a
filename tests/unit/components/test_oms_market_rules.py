"""OMS reaction to market-wide venue refusals: no reroute, a reason on the order.

A halt (HALTED, LULD_PAUSE), an order outside the LULD band or a short sale
priced through the bid (SSR) is refused by every venue alike, so the OMS
closes the leaves at once instead of rerouting: the order is REJECTED
(SYMBOL_HALTED / LULD_BAND / SSR_PRICE), or CANCELED with that reason when
part of it had already filled.
"""

from __future__ import annotations

import pytest

from components.domain.events import EventType
from components.domain.money import PRICE_SCALE
from components.domain.outcomes import NextStep
from components.domain.venues import ExecKind

PX = 190 * PRICE_SCALE


@pytest.mark.parametrize(
    ("venue_reason", "order_reason"),
    [("HALTED", "SYMBOL_HALTED"), ("LULD_PAUSE", "SYMBOL_HALTED"), ("LULD_BAND", "LULD_BAND"),
     ("SSR_PRICE", "SSR_PRICE")],
)
def test_a_market_wide_refusal_rejects_the_order_with_a_reason(world, venue_reason, order_reason):
    order, (child,) = world.routed(("XNAS", 100))
    assert world.deliver(world.report(ExecKind.REJECTED, child, reason=venue_reason)) is NextStep.NOTHING
    (last,) = world.events(order.order_id)[-1:]
    assert last.event_type is EventType.ORDER_REJECTED and last.details["reason"] == order_reason


def test_a_partly_filled_order_is_canceled_with_the_reason(world):
    order, (a, b) = world.routed(("XNAS", 60), ("BATS", 40))
    world.deliver(world.fill(a, 60, PX, leaves=0))
    assert world.deliver(world.report(ExecKind.REJECTED, b, reason="HALTED")) is NextStep.POST_TRADE
    last = world.events(order.order_id)[-1]
    assert last.event_type is EventType.ORDER_CANCELED
    assert (last.details["reason"], last.details["leaves_qty"]) == ("SYMBOL_HALTED", 40)


def test_the_halt_decides_even_when_another_childs_report_closes_the_order(world):
    order, (a, b) = world.routed(("XNAS", 60), ("BATS", 40))
    assert world.deliver(world.report(ExecKind.REJECTED, a, reason="HALTED")) is NextStep.NOTHING
    world.deliver(world.report(ExecKind.CANCELED, b, last_qty=40, reason="IOC_REMAINDER"))
    last = world.events(order.order_id)[-1]
    assert last.event_type is EventType.ORDER_REJECTED and last.details["reason"] == "SYMBOL_HALTED"


def test_other_refusals_are_still_rerouted(world):
    order, (child,) = world.routed(("XNAS", 100))
    assert world.deliver(world.report(ExecKind.REJECTED, child, reason="VENUE_THROTTLED")) is NextStep.REROUTE
