"""FIX session recovery with ``[venue_link] on_disconnect = "hold"`` (live stack, embedded venues).

A dropped session no longer settles the children working at its venue at
once: they are held up to ``hold_s``. Three ways it can end:

* the session comes back while the venue kept running (the venue's acceptor
  refuses logons for a while, then accepts them again): what the venue sent
  meanwhile is replayed by FIX resend (PossDupFlag=Y), so a fill made during
  the drop reaches the OMS exactly once and nothing needs booking by hand;
* the venue process was restarted empty: the session starts over (sequence
  numbers reset), the status request is answered "unknown order", and the
  held child is closed, reason VENUE_RESTARTED;
* ``hold_s`` passes with the venue still away: the children are settled as
  the "cancel" policy settles them at once (VENUE_DISCONNECTED), and the
  venue is asked to cancel them when it is back.

The venue stays DOWN for new orders throughout. Every wait is bounded.
"""

from __future__ import annotations

import logging
import time

import pytest

fix = pytest.importorskip("quickfix", reason="quickfix is not installed (pip install quickfix builds it from source)")

from components.domain.commands import SubmitOrder  # noqa: E402
from components.domain.money import to_units  # noqa: E402
from components.domain.orders import OrderStatus, Side, TimeInForce  # noqa: E402
from live.bootstrap import build_live  # noqa: E402
from components.config.live import parse_live_config  # noqa: E402
from tests.live_configs import REBATE_VENUES, account, symbols  # noqa: E402
from tests.live_script import LiveScript  # noqa: E402
from twin.scripted import AgentOrder, Submit  # noqa: E402

WAIT = 15.0
CONFIG = """
run_dir = "{run_dir}"
[event_log]
kind = "memory"
[venue_link]
liquidity = false
on_disconnect = "{policy}"
hold_s = {hold_s}
""" + symbols(AAPL="190.00") + REBATE_VENUES + account("ACCT-1", "CL-1", "ADV-1", cash="10000000.00")


def body(n: int, qty: int, price: str) -> dict:
    return {"account_id": "ACCT-1", "symbol": "AAPL", "side": "BUY", "quantity": qty, "order_type": "LIMIT",
            "limit_price": price, "time_in_force": "DAY", "advisor_id": "ADV-1", "client_order_id": f"K-{n}"}


def seed(venue: str) -> list[AgentOrder]:
    return [AgentOrder(0, venue, "AAPL", Side.SELL, 1000, to_units("190.10"), owner=f"SEED{venue}"),
            AgentOrder(0, venue, "AAPL", Side.BUY, 1000, to_units("189.90"), owner=f"SEED{venue}")]


def order_of(live, n: int):
    order = live.platform.entry.lookup("ACCT-1", f"K-{n}")
    assert order is not None, f"K-{n} was accepted but is not in the OMS"
    return order


def wait_until(predicate, what: str, timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"not within {timeout}s: {what}"
        time.sleep(0.01)


def gateway_session(live, venue: str):
    """The gateway's QuickFIX session with ``venue``: ``logout`` ends it and keeps it from
    reconnecting (as a network outage would) until ``logon``; the venue keeps running."""
    sid = fix.SessionID("FIX.4.4", live.link.embedded.counterparty, venue)
    session = fix.Session.lookupSession(sid)
    assert session is not None, sid.toString()
    return session


@pytest.fixture
def stack(tmp_path, request):
    policy, hold_s = request.param
    live = build_live(parse_live_config(CONFIG.format(run_dir=tmp_path / "run", policy=policy, hold_s=hold_s),
                                        "reconnect"))
    try:
        live.start()
        driver = LiveScript(live)
        driver.run([*seed("XNAS"), *seed("BATS"),
                    Submit(0, body(1, 100, "189.00"))])  # rests at XNAS (best maker rebate)
        order = order_of(live, 1)
        assert order.status is OrderStatus.ROUTED
        assert [live.platform.oms.child_venue[c] for c in order.open_children] == ["XNAS"]
        yield live, driver
    finally:
        live.close()


@pytest.mark.parametrize("stack", [("hold", 30)], indirect=True)
def test_a_fill_made_while_the_session_was_away_arrives_once_by_resend(stack, caplog):
    live, driver = stack
    gateway = live.link.gateway
    app = live.link.embedded.apps["XNAS"]
    caplog.set_level(logging.INFO, logger="live.fix")
    session = gateway_session(live, "XNAS")
    session.logout("network blip")  # the session ends and stays down until ``logon``
    wait_until(lambda: not gateway.is_logged_on("XNAS"), "the gateway sees XNAS go")
    assert live.venue_statuses()["XNAS"] == "DOWN"
    assert order_of(live, 1).status is OrderStatus.ROUTED  # held, not canceled
    assert gateway.working == 1

    with app.lock:  # another participant hits the resting order while the session is away
        app.venue.submit_agent_order("HIT-1", "HIT", "AAPL", Side.SELL, 1040, to_units("189.00"),
                                     TimeInForce.IOC, app.now_ns())  # the seeded 1000 bid first, then 40 of K-1
    time.sleep(0.3)  # the venue's sender thread has handed the fill to QuickFIX (stored, not sent)
    assert order_of(live, 1).status is OrderStatus.ROUTED

    session.logon()  # the network is back: the gateway reconnects
    assert gateway.wait_logged_on(WAIT) == []
    wait_until(lambda: order_of(live, 1).status is OrderStatus.PARTIALLY_FILLED, "K-1's fill booked")
    wait_until(lambda: "order status of" in caplog.text, "the status answer")
    driver.wait_quiet(WAIT)
    assert gateway.resent_received["XNAS"] >= 1  # the fill came by resend (PossDupFlag=Y)
    assert "asked XNAS for the status of 1 child order(s)" in caplog.text
    assert gateway.lost_fills == [] and gateway.working == 1  # the venue's CumQty 40 = the 40 received
    driver.run([AgentOrder(0, "XNAS", "AAPL", Side.SELL, 60, to_units("189.00"), TimeInForce.IOC, owner="HIT")])
    order = order_of(live, 1)
    assert order.status is OrderStatus.CONFIRMED and order.filled_qty == 100
    fills = [e for e in live.log.read() if e.order_id == order.order_id
             and e.event_type.value in ("OrderPartiallyFilled", "OrderFilled")]
    assert [e.detail("last_qty") for e in fills] == [40, 60], fills  # the resent fill booked exactly once
    assert "manual booking" not in caplog.text and "LOST FILL" not in caplog.text
    assert live.venue_statuses()["XNAS"] == "UP"
    assert live.runtime.failures == []


@pytest.mark.parametrize("stack", [("hold", 30)], indirect=True)
def test_a_venue_restarted_empty_within_the_hold_closes_the_held_child_as_unknown(stack):
    live, driver = stack
    gateway, farm = live.link.gateway, live.link.embedded
    farm.stop_venue("XNAS")
    wait_until(lambda: not gateway.is_logged_on("XNAS"), "the gateway sees XNAS go")
    driver.wait_quiet(WAIT)
    assert order_of(live, 1).status is OrderStatus.ROUTED and gateway.working == 1  # held
    driver.run([Submit(0, body(2, 100, "189.10"))])  # XNAS is DOWN: new orders go to BATS
    assert [live.platform.oms.child_venue[c] for c in order_of(live, 2).open_children] == ["BATS"]

    farm.restart_venue("XNAS")  # same port, empty book, empty FIX store: sequence numbers start at 1
    assert gateway.wait_logged_on(WAIT) == []
    wait_until(lambda: order_of(live, 1).status is OrderStatus.CANCELED, "K-1 closed")
    view = live.views.order_json(order_of(live, 1))
    assert view["status_reason"] == "VENUE_RESTARTED", view
    driver.wait_quiet(WAIT)
    assert gateway.working == 1  # K-2 at BATS
    assert live.runtime.failures == []


@pytest.mark.parametrize("stack", [("hold", 0.5)], indirect=True)
def test_a_hold_that_expires_settles_the_children_as_cancel_does(stack, caplog):
    live, driver = stack
    caplog.set_level(logging.INFO, logger="live.fix")
    gateway, farm = live.link.gateway, live.link.embedded
    farm.stop_venue("XNAS")
    wait_until(lambda: order_of(live, 1).status is OrderStatus.CANCELED, "K-1 canceled after hold_s")
    view = live.views.order_json(order_of(live, 1))
    assert view["status_reason"] == "VENUE_DISCONNECTED", view
    assert gateway.working == 0 and live.venue_statuses()["XNAS"] == "DOWN"

    farm.restart_venue("XNAS")
    assert gateway.wait_logged_on(WAIT) == []
    driver.wait_quiet(WAIT)  # as after "cancel": the venue is asked to cancel the orphan (unknown to it)
    assert "asked XNAS to cancel 1 child order(s) closed while it was away" in caplog.text
    assert "status of" not in caplog.text  # nothing held any more: no status asked


@pytest.mark.parametrize("stack", [("hold", 30)], indirect=True)
def test_an_order_the_venue_asks_for_again_is_resent_once(stack):
    live, driver = stack
    app = live.link.embedded.apps["XNAS"]
    venue_side = fix.Session.lookupSession(fix.SessionID("FIX.4.4", "XNAS", live.link.embedded.counterparty))
    with app.lock:
        orders_before = len(app._by_cl_ord_id)
    # The venue forgets the last two messages it got from us (K-1's NewOrderSingle among them):
    # the gateway's next message (K-2's) is "too high" for it, and it asks for all from there.
    # K-1's is resent (still working; the venue knows it: not entered twice), so is K-2's.
    venue_side.setNextTargetMsgSeqNum(venue_side.getExpectedTargetNum() - 2)
    # Not ``driver.run``: the venue processes the two forgotten messages twice (a real loss
    # would not have reached it the first time), so the in-flight counts never match again.
    live.runtime.dispatch(SubmitOrder(body(2, 100, "189.10"), live.clock.now_ns()))
    wait_until(lambda: len(app._by_cl_ord_id) == orders_before + 1, "K-2 at the venue")
    wait_until(lambda: app.received >= 3 and app.outbox_empty(), "the resent messages processed")
    time.sleep(0.2)
    order = order_of(live, 2)
    assert order.status is OrderStatus.ROUTED
    assert [live.platform.oms.child_venue[c] for c in order.open_children] == ["XNAS"]
    with app.lock:  # K-2 is new there; K-1 was not entered a second time
        assert len(app._by_cl_ord_id) == orders_before + 1
    assert order_of(live, 1).status is OrderStatus.ROUTED and live.link.gateway.working == 2
    assert live.runtime.failures == []
    assert live.runtime.failures == []


@pytest.mark.parametrize("stack", [("hold", 30)], indirect=True)
def test_a_fill_the_venue_can_no_longer_resend_is_recorded_as_a_discrepancy(stack, caplog):
    """The venue keeps its book but loses its FIX store while the session is away: the fill it
    made meanwhile cannot be resent. The status answer shows it; the OMS records the missing
    shares (no price is made up) and books nothing."""
    from components.domain.events import EventType
    from live.adapters.fix.recovery import LOST_FILL

    live, driver = stack
    gateway = live.link.gateway
    app = live.link.embedded.apps["XNAS"]
    caplog.set_level(logging.INFO, logger="live.fix")
    session = gateway_session(live, "XNAS")
    session.logout("network blip")
    wait_until(lambda: not gateway.is_logged_on("XNAS"), "the gateway sees XNAS go")
    with app.lock:
        app.venue.submit_agent_order("HIT-1", "HIT", "AAPL", Side.SELL, 1040, to_units("189.00"),
                                     TimeInForce.IOC, app.now_ns())  # 40 of K-1
    time.sleep(0.3)  # the fill report is stored for resend...
    venue_side = fix.Session.lookupSession(fix.SessionID("FIX.4.4", "XNAS", live.link.embedded.counterparty))
    venue_side.reset()  # ...and the store is lost: the venue starts over at 1, its book intact

    session.logon()
    wait_until(lambda: gateway.lost_fills, "the status answer shows the lost fill")
    driver.wait_quiet(WAIT)
    order = order_of(live, 1)
    assert (order.status, order.filled_qty) == (OrderStatus.ROUTED, 0)  # nothing booked without a price
    (lost,) = gateway.lost_fills
    assert (lost.venue_cum_qty, lost.received_qty) == (40, 0)
    found = [e for e in live.log.read() if e.event_type is EventType.EXECUTION_DISCREPANCY]
    assert [(e.order_id, e.detail("reason"), e.detail("missing_qty"), e.detail("venue_leaves_qty")) for e in found] \
        == [(order.order_id, LOST_FILL, 40, 60)]
    assert "LOST FILL" in caplog.text
    from live.entrypoints.service import OrderService

    assert OrderService(live).health().body["lost_fills"] == 1
