"""The session close in live mode: on the wall clock, through the HTTP API and the live runtime.

The close is armed a fraction of a second ahead (``SessionCloser.arm``) on a
live stack with in-process venues, so the test sees what an advisor sees at
16:00 New York: a resting DAY limit order comes back EXPIRED (END_OF_DAY) and
its venue no longer holds it, while filled and IOC orders are untouched.
"""

from __future__ import annotations

import time

import pytest

from components.domain.events import EventType
from live.bootstrap import build_live
from components.config.live import parse_live_config
from tests.live_app import http_client, live_stack, wait_for_status
from tests.live_configs import IN_PROCESS, REBATE_VENUES, account, quiet_market, symbols, tokens

TOKEN = "test-token-close-adv-0001"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CONFIG = (symbols(AAPL="190.00") + quiet_market(requote_s=0.2) + IN_PROCESS
          + account("ACCT-1", "CLNT-1", "ADV-1") + tokens(ADV_1=TOKEN))
_coid = iter(range(1, 10**9))


def order(**overrides):
    body = {"account_id": "ACCT-1", "symbol": "AAPL", "side": "BUY", "quantity": 100, "order_type": "MARKET",
            "time_in_force": "DAY", "advisor_id": "ADV-1", "client_order_id": f"SC-{next(_coid)}"}
    body.update(overrides)
    return body






@pytest.fixture
def live():
    """A fresh stack per test: each arms and counts its own closes."""
    with live_stack(CONFIG) as app:
        yield app


@pytest.fixture
def client(live):
    with http_client(live) as c:
        yield c


def test_starting_the_app_arms_the_configured_close(client, live):
    closer = live.session_close
    assert closer is not None and closer.next_ns is not None
    assert closer.next_ns > time.time_ns()
    assert closer.next_ns == live.config.session.next_close_ns(time.time_ns())  # not a minute past midnight
    assert "session close: 16:00 New York, Monday to Friday" in live.describe()


def test_at_the_close_a_resting_day_order_expires_and_leaves_the_book_while_done_orders_stay(client, live):
    filled = client.post("/v1/orders", json=order(), headers=AUTH)
    ioc = client.post("/v1/orders", json=order(order_type="LIMIT", limit_price="150.00", time_in_force="IOC"),
                      headers=AUTH)
    resting = client.post("/v1/orders", json=order(order_type="LIMIT", limit_price="150.00"), headers=AUTH)
    assert {r.status_code for r in (filled, ioc, resting)} == {201}, [r.text for r in (filled, ioc, resting)]
    filled_id, ioc_id, resting_id = (r.json()["order_id"] for r in (filled, ioc, resting))
    filled_before = wait_for_status(client, filled_id, {"CONFIRMED"}, AUTH)
    ioc_before = wait_for_status(client, ioc_id, {"CANCELED"}, AUTH)
    assert filled_before["status"] == "CONFIRMED" and ioc_before["status"] == "CANCELED", (filled_before, ioc_before)

    oms, venues = live.platform.oms, live.link.market.venues
    deadline = time.monotonic() + 5
    while True:  # the child reaches its venue after the venue's latency
        with live.runtime.atomic():
            children = {c: oms.child_venue[c] for c in oms.get(resting_id).open_children}
            on_book = {c: venues[v].leaves(c) for c, v in children.items()}
        if on_book and all(on_book.values()) or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    assert on_book and all(q > 0 for q in on_book.values()), on_book
    assert wait_for_status(client, resting_id, {"ROUTED"}, AUTH)["status"] == "ROUTED"

    with live.runtime.atomic():
        armed = live.session_close.arm(time.time_ns() + 200_000_000)
    expired = wait_for_status(client, resting_id, {"EXPIRED"}, AUTH)
    assert time.time_ns() >= armed
    assert expired["status"] == "EXPIRED" and expired["status_reason"] == "END_OF_DAY", expired
    assert expired["filled_quantity"] == 0
    with live.runtime.atomic():
        assert {c: venues[v].leaves(c) for c, v in children.items()} == dict.fromkeys(children, 0)
        assert not oms.get(resting_id).open_children
        kinds = [e.event_type for e in live.log.read() if e.order_id in (filled_id, ioc_id)]
    assert EventType.ORDER_EXPIRED not in kinds
    for order_id, before in ((filled_id, filled_before), (ioc_id, ioc_before)):
        after = client.get(f"/v1/orders/{order_id}", headers=AUTH).json()
        assert (after["status"], after["status_reason"], after["filled_quantity"]) == \
            (before["status"], before["status_reason"], before["filled_quantity"]), (before, after)

    assert len(live.session_close.closes) == 1
    # The next business day's close is armed; the one that ran is not run twice.
    assert live.session_close.next_ns == live.config.session.next_close_ns(time.time_ns())
    assert len(live.platform.refused) == 0 and live.runtime.failures == []


def test_rearming_replaces_the_armed_close(client, live):
    with live.runtime.atomic():
        live.session_close.arm(time.time_ns() + 100_000_000)
        live.session_close.arm(time.time_ns() + 300_000_000)
    time.sleep(0.2)
    assert live.session_close.closes == []  # the superseded timer did nothing
    deadline = time.monotonic() + 5
    while not live.session_close.closes and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(live.session_close.closes) == 1


def test_orders_after_the_close_work_until_the_next_close(client, live):
    with live.runtime.atomic():
        live.session_close.arm(time.time_ns())  # closes at once
    deadline = time.monotonic() + 5
    while not live.session_close.closes and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(live.session_close.closes) == 1
    r = client.post("/v1/orders", json=order(order_type="LIMIT", limit_price="150.00"), headers=AUTH)
    assert r.status_code == 201, r.text
    time.sleep(0.1)
    assert client.get(f"/v1/orders/{r.json()['order_id']}", headers=AUTH).json()["status"] == "ROUTED"


def test_a_disabled_close_is_never_armed():
    app = build_live(parse_live_config(CONFIG + "\n[session]\nenabled = false\n", "test"))
    try:
        assert app.session_close is None
    finally:
        app.close()


EMBEDDED = """
run_dir = "{run_dir}"
[event_log]
kind = "memory"
[venue_link]
liquidity = false
""" + symbols(AAPL="190.00") + REBATE_VENUES + account("ACCT-1", "CL-1", "ADV-1", cash="10000000.00")


def test_embedded_fix_venues_end_their_day_over_fix_at_the_close(tmp_path):
    pytest.importorskip("quickfix", reason="quickfix is not installed")
    import asyncio

    from components.domain.money import to_units
    from components.domain.orders import OrderStatus, Side
    from tests.live_script import LiveScript
    from twin.scripted import AgentOrder, Submit

    live = build_live(parse_live_config(EMBEDDED.format(run_dir=tmp_path / "run"), "embedded"))

    async def session() -> None:
        live.start()  # on this loop: the close is a wall-clock timer
        driver = LiveScript(live)
        driver.run([AgentOrder(0, v, "AAPL", side, 1000, to_units(px), owner=f"SEED{v}")
                    for v in ("XNAS", "BATS") for side, px in ((Side.SELL, "190.10"), (Side.BUY, "189.90"))])
        driver.run([Submit(0, order(client_order_id="E-1", order_type="LIMIT", limit_price="189.00")),  # rests
                    Submit(0, order(client_order_id="E-2", order_type="LIMIT", limit_price="190.10"))])  # fills
        resting = live.platform.entry.lookup("ACCT-1", "E-1")
        children = dict(resting.open_children)
        assert resting.status is OrderStatus.ROUTED and children
        embedded = live.link.embedded
        assert set(live.platform.oms.child_venue[c] for c in children) == {"XNAS"}  # the better rebate
        book = embedded.venues["XNAS"].book("AAPL")
        with embedded.locks["XNAS"]:
            assert dict(book.depth(10)[0]).get(to_units("189.00")) == 100  # our child rests there

        live.runtime.run(live.session_close.arm, time.time_ns() + 100_000_000)
        deadline = time.monotonic() + 15
        while resting.status is not OrderStatus.EXPIRED and time.monotonic() < deadline:
            await asyncio.sleep(0.01)  # the loop runs the close; the report comes back over FIX
        driver.wait_quiet()
        assert resting.status is OrderStatus.EXPIRED, resting.status
        assert live.views.reasons[resting.order_id] == "END_OF_DAY"
        with embedded.locks["XNAS"]:
            assert to_units("189.00") not in dict(book.depth(10)[0])  # the venue's day is over
        assert live.platform.entry.lookup("ACCT-1", "E-2").status is OrderStatus.CONFIRMED
        assert len(live.session_close.closes) == 1 and live.runtime.failures == []

    try:
        asyncio.run(session())
    finally:
        live.close()
