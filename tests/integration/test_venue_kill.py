"""Kill a venue's FIX acceptor while orders work there; bring it back on the same port.

The live stack (live bootstrap, SQLite event log, FIX gateway) trades with
two simulated venues served over FIX in-process. XNAS pays the better maker
rebate, so resting orders go there. With orders working at XNAS (resting,
and one partly filled), its ``FixVenueServer`` is stopped: the gateway marks
XNAS DOWN, and every child working there gets an outcome at once, per the
``on_disconnect`` policy (cancel: the orders are canceled, reason
VENUE_DISCONNECTED; reroute: the leaves go to BATS). New orders avoid XNAS.
XNAS then comes back on the same port with an empty book (a restarted
process): the session logs on again, XNAS is UP and gets resting orders
again. At the end every order the platform accepted is in the log with
contiguous events and a final state with a reason, after the rest are
canceled; no accepted order is lost.

A second test runs the gateway in remote mode (``[venue_link] mode = "fix"``)
against ``twin venue serve`` in its own process and kills that process
outright (SIGKILL: no logout, the socket just closes).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("quickfix", reason="quickfix is not installed (pip install quickfix builds it from source)")

from components.domain.commands import SubmitOrder  # noqa: E402
from components.domain.money import to_units  # noqa: E402
from components.domain.orders import OrderStatus, Side, TimeInForce  # noqa: E402
from components.eventstore.sqlite import SqliteEventStore  # noqa: E402
from live.bootstrap import build_live  # noqa: E402
from components.config.live import parse_live_config  # noqa: E402
from tests.integration.test_fix_venue import _read_line  # noqa: E402
from tests.live_script import LiveScript  # noqa: E402
from tests.services import free_port  # noqa: E402
from tests.live_configs import REBATE_VENUES, REMOTE_ARCX, account, symbols  # noqa: E402
from twin.scripted import AgentOrder, Cancel, Submit  # noqa: E402

WAIT = 15.0
CONFIG = """
run_dir = "{run_dir}"
[event_log]
kind = "sqlite"
[venue_link]
liquidity = false
on_disconnect = "{policy}"
""" + symbols(AAPL="190.00") + REBATE_VENUES + account("ACCT-1", "CL-1", "ADV-1", cash="10000000.00")
DONE = {OrderStatus.CONFIRMED, OrderStatus.CANCELED, OrderStatus.REJECTED, OrderStatus.BLOCKED}


def body(n: int, side: str, qty: int, price: str, tif: str = "DAY") -> dict:
    return {"account_id": "ACCT-1", "symbol": "AAPL", "side": side, "quantity": qty, "order_type": "LIMIT",
            "limit_price": price, "time_in_force": tif, "advisor_id": "ADV-1", "client_order_id": f"K-{n}"}


def seed(venue: str) -> list[AgentOrder]:
    return [AgentOrder(0, venue, "AAPL", Side.SELL, 1000, to_units("190.10"), owner=f"SEED{venue}"),
            AgentOrder(0, venue, "AAPL", Side.BUY, 1000, to_units("189.90"), owner=f"SEED{venue}")]


def status_of(live, n: int) -> OrderStatus:
    order = live.platform.entry.lookup("ACCT-1", f"K-{n}")
    assert order is not None, f"K-{n} was accepted but is not in the OMS"
    return order.status


@pytest.mark.parametrize("policy", ["cancel", "reroute"])
def test_no_order_is_lost_when_a_venue_dies_and_comes_back(tmp_path, policy):
    live = build_live(parse_live_config(CONFIG.format(run_dir=tmp_path / "run", policy=policy), "kill"))
    farm = None
    try:
        live.start()
        farm = live.link.embedded
        driver = LiveScript(live)
        driver.run([*seed("XNAS"), *seed("BATS"),
                    Submit(0, body(1, "BUY", 100, "189.00")),  # these four rest at XNAS (best rebate)
                    Submit(0, body(2, "BUY", 200, "189.10")),
                    Submit(0, body(3, "BUY", 100, "189.20")),
                    Submit(0, body(4, "BUY", 300, "189.95")),
                    AgentOrder(0, "XNAS", "AAPL", Side.SELL, 100, to_units("189.95"), TimeInForce.IOC,
                               owner="HIT"),  # K-4 partly filled (maker), 200 still working
                    Submit(0, body(5, "BUY", 100, "190.10"))])  # fills at once (BATS: same price, name first)
        sent_before = {n: status_of(live, n) for n in range(1, 6)}
        assert sent_before == {1: OrderStatus.ROUTED, 2: OrderStatus.ROUTED, 3: OrderStatus.ROUTED,
                               4: OrderStatus.PARTIALLY_FILLED, 5: OrderStatus.CONFIRMED}, sent_before
        assert all(live.platform.oms.child_venue[c] == "XNAS" for n in range(1, 5)
                   for c in live.platform.entry.lookup("ACCT-1", f"K-{n}").open_children)

        farm.stop_venue("XNAS")  # the acceptor goes away with four orders working there
        driver.wait_quiet(WAIT)
        assert live.venue_statuses() == {"XNAS": "DOWN", "BATS": "UP"}
        after = {n: status_of(live, n) for n in range(1, 5)}
        if policy == "cancel":
            assert after == {1: OrderStatus.CANCELED, 2: OrderStatus.CANCELED, 3: OrderStatus.CANCELED,
                             4: OrderStatus.CONFIRMED}, after  # K-4's fill is booked; its rest canceled
        else:  # rerouted to BATS, where they rest
            assert after == {1: OrderStatus.ROUTED, 2: OrderStatus.ROUTED, 3: OrderStatus.ROUTED,
                             4: OrderStatus.PARTIALLY_FILLED}, after
            assert all(live.platform.oms.child_venue[c] == "BATS" for n in range(1, 5)
                       for c in live.platform.entry.lookup("ACCT-1", f"K-{n}").open_children)
        driver.run([Submit(0, body(6, "BUY", 100, "189.20")),  # XNAS is down: rests at BATS
                    Submit(0, body(7, "BUY", 50, "190.10"))])  # fills at BATS
        assert status_of(live, 7) is OrderStatus.CONFIRMED

        farm.restart_venue("XNAS")  # same port, fresh (empty) book
        assert live.link.gateway.wait_logged_on(WAIT) == [], "the gateway did not log on to XNAS again"
        driver.wait_quiet(WAIT)
        assert live.venue_statuses() == {"XNAS": "UP", "BATS": "UP"}
        driver.run([Submit(0, body(8, "BUY", 100, "188.00"))])  # resting: XNAS again
        order8 = live.platform.entry.lookup("ACCT-1", "K-8")
        assert [live.platform.oms.child_venue[c] for c in order8.open_children] == ["XNAS"]

        working = [n for n in range(1, 9) if status_of(live, n) not in DONE]
        driver.run([Cancel(0, "ACCT-1", f"K-{n}") for n in working])
        views = {n: live.views.order_json(live.platform.entry.lookup("ACCT-1", f"K-{n}")) for n in range(1, 9)}
        for n, view in views.items():
            assert OrderStatus(view["status"]) in DONE, (n, view)
            if view["status"] in ("CANCELED", "REJECTED"):
                assert view["status_reason"], (n, view)
        if policy == "cancel":
            assert {views[n]["status_reason"] for n in (1, 2, 3)} == {"VENUE_DISCONNECTED"}
        assert live.runtime.failures == []
        events = list(live.log.read())
    finally:
        live.close()

    received = [e for e in events if e.event_type.value == "OrderReceived"]
    assert sorted(e.detail("client_order_id") for e in received) == [f"K-{n}" for n in range(1, 9)]
    for order_id in {e.order_id for e in received}:  # contiguous per order: nothing lost or duplicated
        seqs = [e.stream_seq for e in events if e.order_id == order_id]
        assert seqs == list(range(1, len(seqs) + 1)), (order_id, seqs)
    with SqliteEventStore(tmp_path / "run" / "events.sqlite", read_only=True) as stored:
        assert stored.verify().ok and len(stored) == len(events)


REMOTE = REMOTE_ARCX + symbols(AAPL="190.00") + account("ACCT-1", "CL-1", "ADV-1", cash="1000000.00")


def wait_status(live, n: int, wanted: set[OrderStatus], timeout: float = WAIT) -> OrderStatus:
    deadline = time.monotonic() + timeout
    while (status := status_of(live, n)) not in wanted:
        assert time.monotonic() < deadline, f"K-{n} is {status.value}, not {sorted(s.value for s in wanted)}"
        time.sleep(0.01)
    return status


def test_a_remote_venue_process_killed_outright(tmp_path):
    """``[venue_link] mode = "fix"`` to ``twin venue serve`` in its own process, then SIGKILL it."""
    port = free_port()
    venue = subprocess.Popen([sys.executable, "-m", "twin.cli", "venue", "serve", "--venue", "ARCX", "--port",
                              str(port), "--symbols", "AAPL", "--liquidity", "--run-dir", str(tmp_path / "venue")],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                             cwd=Path(__file__).resolve().parents[2], env={**os.environ, "PYTHONUNBUFFERED": "1"})
    live = build_live(parse_live_config(REMOTE.format(run_dir=tmp_path / "run", port=port), "remote"))
    try:
        assert _read_line(venue.stdout, 30.0).startswith("serving venue ARCX")
        live.start()
        assert live.venue_statuses() == {"ARCX": "UP"}
        submit = lambda n, side, qty, price, tif="DAY": live.runtime.dispatch(  # noqa: E731
            SubmitOrder(body(n, side, qty, price, tif), live.clock.now_ns()))
        # No market data from a remote venue: risk uses the configured reference, the router
        # sends everything to the venue; its market maker quotes around $190.
        submit(1, "BUY", 100, "199.00", "IOC")
        assert wait_status(live, 1, {OrderStatus.CONFIRMED}) is OrderStatus.CONFIRMED
        submit(2, "BUY", 100, "150.00")  # rests
        assert status_of(live, 2) is OrderStatus.ROUTED and live.link.gateway.working == 1
        venue.send_signal(signal.SIGKILL)  # no logout, no goodbye: the socket just closes
        assert wait_status(live, 2, {OrderStatus.CANCELED}) is OrderStatus.CANCELED
        assert live.views.order_json(live.platform.entry.lookup("ACCT-1", "K-2"))["status_reason"] == \
            "VENUE_DISCONNECTED"
        assert live.venue_statuses() == {"ARCX": "DOWN"}
        submit(3, "BUY", 100, "190.00")  # nowhere to go
        assert wait_status(live, 3, {OrderStatus.REJECTED}) is OrderStatus.REJECTED
        assert live.views.order_json(live.platform.entry.lookup("ACCT-1", "K-3"))["status_reason"] == \
            "NO_VENUE_AVAILABLE"
        assert live.runtime.failures == []
    finally:
        live.close()
        if venue.poll() is None:
            venue.kill()
        venue.wait(timeout=10)
