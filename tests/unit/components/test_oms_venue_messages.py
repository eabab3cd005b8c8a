"""Issue 10: what the OMS does with venue messages a live gateway could not apply, refused cancels,
flags, exec ids a restarted venue reuses, and the venue's own reject reason."""

from __future__ import annotations

from components.domain.events import EventType as E
from components.domain.money import PRICE_SCALE
from components.domain.orders import OrderStatus as S
from components.domain.outcomes import NextStep
from components.domain.venues import ExecKind, ExecutionReport, Liquidity
from components.rebuild.oms import dump, rebuild
from components.oms import Oms

D = PRICE_SCALE


def fill(world, child, qty, px, leaves, exec_id):
    return world.report(ExecKind.FILL, child, last_qty=qty, last_px=px, leaves_qty=leaves, exec_id=exec_id,
                        liquidity=Liquidity.TAKER)


def test_a_restarted_venue_reusing_an_exec_id_for_another_child_is_a_new_fill(world):
    # Fails on the old OMS: (venue, exec id) alone dropped the second order's fill.
    first, (c1,) = world.routed(quantity=100, client_order_id="C-1")
    world.deliver(fill(world, c1, 100, 190 * D, 0, "E1"))
    second, (c2,) = world.routed(quantity=100, client_order_id="C-2")
    assert world.deliver(fill(world, c2, 100, 191 * D, 0, "E1")) is NextStep.POST_TRADE  # counters reset
    assert first.status is S.FILLED and second.status is S.FILLED and second.filled_qty == 100


def test_a_reused_exec_id_with_other_content_is_another_fill_and_a_resend_is_once(world):
    order, (child,) = world.routed(quantity=100)
    world.deliver(fill(world, child, 30, 190 * D, 70, "E1"))
    world.deliver(fill(world, child, 30, 190 * D, 70, "E1"))  # a PossDupFlag resend: same content
    assert order.filled_qty == 30
    world.deliver(fill(world, child, 20, 190 * D + 1, 50, "E1"))  # same exec id, other content
    assert order.filled_qty == 50


def test_a_refused_venue_message_is_an_event_on_its_order_or_a_platform_event(world):
    order, (child,) = world.routed(quantity=100)
    raw = "8=FIX.4.4|35=8|11=" + child.child_id + "|150=F|"
    refused = ExecutionReport(ExecKind.REFUSED, "XNAS", child.child_id, order.order_id, world.clock.now_ns(),
                              reason="QUICKFIX_REJECTED: 373=5 371=39", text=raw)
    assert world.deliver(refused) is NextStep.NOTHING
    event = world.events(order.order_id)[-1]
    assert event.event_type is E.VENUE_MESSAGE_REFUSED and event.details["text"] == raw
    assert event.details["reason"].startswith("QUICKFIX_REJECTED") and order.status is S.ROUTED
    stray = ExecutionReport(ExecKind.REFUSED, "XNAS", "", "", world.clock.now_ns(), reason="UNKNOWN_ORDER: 'X9'",
                            text="35=8|11=X9|")
    world.deliver(stray)
    platform = world.events("")[-1]
    assert platform.event_type is E.VENUE_MESSAGE_REFUSED and platform.details["text"] == "35=8|11=X9|"


def test_a_refused_cancel_and_a_flag_are_recorded_and_the_order_works_on(world):
    order, (child,) = world.routed(quantity=100)
    world.oms.request_cancel(order.order_id)
    world.deliver(ExecutionReport(ExecKind.CANCEL_REJECTED, "XNAS", child.child_id, order.order_id,
                                  world.clock.now_ns(), reason="BUSINESS_REJECT: 380=3 58=not supported"))
    world.deliver(ExecutionReport(ExecKind.FLAGGED, "XNAS", child.child_id, order.order_id,
                                  world.clock.now_ns(), reason="STUCK_PENDING_CANCEL: PENDING_CANCEL for 10.0 s"))
    assert world.types(order.order_id)[-2:] == [E.CANCEL_REJECTED, E.ORDER_FLAGGED]
    assert order.status is S.ROUTED and order.open_children == {child.child_id: 100}
    assert world.deliver(fill(world, child, 100, 190 * D, 0, "E7")) is NextStep.POST_TRADE


def test_the_venues_reject_reason_reaches_the_orders_final_state(world):
    # Fails on the old OMS: the order ended NO_VENUE_AVAILABLE, the venue's words only on the child.
    order, (child,) = world.routed(quantity=100)
    reason = "VENUE_REJECTED: FIX_REJECTED (session) 373=5 371=40 58=Value is incorrect (out of range) for this tag"
    assert world.deliver(world.report(ExecKind.REJECTED, child, reason=reason)) is NextStep.REROUTE
    world.oms.close_unroutable(order.order_id, "NO_VENUE_AVAILABLE")  # what the router says next
    assert order.status is S.REJECTED
    assert world.events(order.order_id)[-1].details["reason"] == reason
    assert world.oms.venue_refusal == {}


def test_a_rebuild_keeps_fill_identity_and_venue_refusals(world):
    a, (c1,) = world.routed(quantity=100, client_order_id="C-1")
    world.deliver(fill(world, c1, 40, 190 * D, 60, "E1"))
    b, (c2,) = world.routed(quantity=100, client_order_id="C-2")
    world.deliver(fill(world, c2, 40, 190 * D, 60, "E1"))
    world.deliver(world.report(ExecKind.REJECTED, c2, reason="VENUE_REJECTED: OrdRejReason=2: no MARKET"))
    rebuilt = rebuild(Oms(world.clock, world.ids, world.log), world.log.read())
    assert dump(rebuilt) == dump(world.oms)
    assert rebuilt._applied_fills == world.oms._applied_fills and rebuilt.venue_refusal == world.oms.venue_refusal
