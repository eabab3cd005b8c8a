"""A finished order holds little memory (issue 19): what only a working order needs is dropped.

The OMS drops a child's venue when the child ends and, when an order stops working, its applied
fills and its emptied children table; once nothing more can happen to it (or it only waits for the
settlement run), its event stream keeps only its last ``stream_seq``. A late event about it still
continues its stream, a fill for one of its children is still ignored, and an OMS rebuilt from the
log drops exactly the same.
"""

from __future__ import annotations

import sys

from components.domain.events import EventType as E
from components.domain.money import PRICE_SCALE
from components.domain.orders import OrderStatus as S
from components.domain.outcomes import NextStep
from components.domain.venues import ExecKind
from components.memory import SequentialIds
from components.oms import Oms
from components.post_trade import PostTrade
from components.rebuild.oms import dump, rebuild

D = PRICE_SCALE
EMPTY_DICT = sys.getsizeof({})


def _settled(world, settlement, *slices):
    """An order routed in ``slices``, filled child by child, allocated, confirmed and settled."""
    order, children = world.routed(*slices)
    for child in children:
        world.deliver(world.fill(child, child.quantity, 190 * D, leaves=0))
    PostTrade(world.oms, world.clock, settlement).process(order.order_id)
    world.clock.advance_to(settlement(world.clock.now_ns()))
    assert order.status is S.SETTLED
    return order, children


def test_a_settled_order_keeps_only_its_last_stream_seq(world, settlement):
    oms = world.oms
    order, children = _settled(world, settlement, ("XNAS", 60), ("ARCX", 40))
    order_id = order.order_id
    assert order_id not in oms._streams and oms._closed_seq == {order_id: len(world.events(order_id))}
    assert not any(c.child_id in oms.child_venue for c in children) and oms._applied_fills == {}
    assert order.open_children == {} and sys.getsizeof(order.open_children) == EMPTY_DICT  # its slots freed


def test_a_confirmed_order_waiting_for_settlement_keeps_only_its_last_stream_seq(world, settlement):
    oms = world.oms
    order, (child,) = world.routed(("XNAS", 100))
    world.deliver(world.fill(child, 100, 190 * D, leaves=0))
    assert order.order_id in oms._streams  # FILLED: allocation and confirmation follow at once
    PostTrade(oms, world.clock, settlement).process(order.order_id)
    assert order.status is S.CONFIRMED and order.order_id not in oms._streams
    assert oms._closed_seq[order.order_id] == len(world.events(order.order_id))
    world.clock.advance_to(settlement(world.clock.now_ns()))
    assert order.status is S.SETTLED
    assert [e.stream_seq for e in world.events(order.order_id)] == list(range(1, 9))  # its stream went on


def test_a_working_order_keeps_what_it_needs(world):
    oms = world.oms
    order, (a, b) = world.routed(("XNAS", 60), ("ARCX", 40))
    fill = world.fill(a, 60, 190 * D, leaves=0)
    world.deliver(fill)
    assert order.status is S.PARTIALLY_FILLED and order.order_id in oms._streams
    assert oms.child_venue == {b.child_id: "ARCX"}  # the ended child's venue is dropped, the working one's kept
    before = len(world.log)
    part = world.fill(b, 10, 190 * D, leaves=30)
    assert world.deliver(part) is NextStep.NOTHING
    assert world.deliver(part) is NextStep.NOTHING and len(world.log) == before + 1  # delivered again: a duplicate
    assert oms.request_cancel(order.order_id) == (("ARCX", b.child_id),)  # the working child's venue is known


def test_a_late_event_about_a_settled_order_continues_its_stream(world, settlement):
    order, (child,) = _settled(world, settlement, ("XNAS", 100))
    last = world.events(order.order_id)[-1].stream_seq
    world.deliver(world.report(ExecKind.REFUSED, child, reason="UNKNOWN_ORDER", text="35=8|..."))
    world.deliver(world.report(ExecKind.DISCREPANCY, child, reason="VENUE_BUSTED", last_qty=100))
    late = world.events(order.order_id)[-2:]
    assert [e.event_type for e in late] == [E.VENUE_MESSAGE_REFUSED, E.EXECUTION_DISCREPANCY]
    assert [e.stream_seq for e in late] == [last + 1, last + 2]


def test_a_fill_after_the_order_is_done_is_ignored(world):
    order, (child,) = world.routed(("XNAS", 100))
    fill = world.fill(child, 100, 190 * D, leaves=0)
    assert world.deliver(fill) is NextStep.POST_TRADE and world.oms._applied_fills == {}
    before = len(world.log)
    assert world.deliver(fill) is NextStep.NOTHING  # its fills were dropped, its child no longer works
    assert len(world.log) == before and order.filled_qty == 100


def test_an_order_ended_without_fills_is_released_at_once(world):
    order, (child,) = world.routed(("XNAS", 100))
    world.deliver(world.report(ExecKind.CANCELED, child, reason="IOC"))
    assert order.status is S.CANCELED and order.order_id not in world.oms._streams
    assert world.oms._closed_seq[order.order_id] == len(world.events(order.order_id))
    assert world.oms.child_venue == {}


def test_a_partly_filled_canceled_order_keeps_its_stream_until_settled(world, settlement):
    order, (child,) = world.routed(("XNAS", 100))
    world.deliver(world.fill(child, 40, 190 * D, leaves=60))
    assert world.deliver(world.report(ExecKind.CANCELED, child, reason="IOC")) is NextStep.POST_TRADE
    assert order.status is S.CANCELED and order.order_id in world.oms._streams  # post-trade is still to come
    assert world.oms.child_venue == {} and world.oms._applied_fills == {}
    PostTrade(world.oms, world.clock, settlement).process(order.order_id)
    world.clock.advance_to(settlement(world.clock.now_ns()))
    assert order.status is S.SETTLED and order.order_id not in world.oms._streams


def test_a_rebuilt_oms_drops_the_same(world, settlement):
    _settled(world, settlement, ("XNAS", 60), ("ARCX", 40))
    working, _ = world.routed(("BATS", 100))  # still working beside the settled one
    world.validated(client_order_id="C-2")
    rebuilt = rebuild(Oms(world.clock, SequentialIds(), world.log), world.log.read())
    assert dump(rebuilt) == dump(world.oms)
    assert rebuilt._closed_seq == world.oms._closed_seq and rebuilt._streams.keys() == world.oms._streams.keys()
    assert rebuilt.child_venue == world.oms.child_venue and set(rebuilt.child_venue) == set(working.open_children)
