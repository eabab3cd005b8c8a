"""Market data over FIX: venues' acceptors publish top of book, the live stack routes and marks on it.

Two simulated venues run as FIX acceptors on loopback in this process (so the
test can set their books), and the live stack connects to them as remote
venues (``[venue_link] mode = "fix"``). XNAS pays the better maker rebate;
BATS shows the better offer once the book changes. The configured reference
price (150.00) is far from the books (~190.00), so a reference price of
190.00 can only come from the quotes received over FIX.

A second test kills a ``twin venue serve --liquidity`` process outright
(SIGKILL) and checks its quotes stop being used; a third checks the default
embedded mode also gets its quotes over FIX, in step with the book.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import pytest

pytest.importorskip("quickfix", reason="quickfix is not installed (pip install quickfix builds it from source)")

from components.domain.commands import SubmitOrder  # noqa: E402
from components.domain.money import to_units  # noqa: E402
from components.domain.orders import OrderStatus, Side, TimeInForce  # noqa: E402
from live.bootstrap import build_live  # noqa: E402
from components.config.live import parse_live_config  # noqa: E402
from live.adapters.embedded_venues import CountingVenueFixApp, free_port  # noqa: E402
from tests.integration.test_fix_venue import _read_line  # noqa: E402
from tests.live_script import LiveScript  # noqa: E402
from tests.live_configs import REBATE_VENUES, REMOTE_ARCX, account, symbols  # noqa: E402
from twin.scripted import AgentOrder  # noqa: E402
from venues_sim.fees import MakerTakerFees  # noqa: E402
from venues_sim.fix_acceptor import FixVenueServer  # noqa: E402
from venues_sim.fix_config import write_acceptor_settings  # noqa: E402

WAIT = 10.0
ROOT = Path(__file__).resolve().parents[2]
REMOTE = """
run_dir = "{run_dir}"
[event_log]
kind = "memory"
[venue_link]
mode = "fix"
sessions = [{{ venue = "XNAS", host = "127.0.0.1", port = {xnas} }},
            {{ venue = "BATS", host = "127.0.0.1", port = {bats} }}]
""" + symbols(AAPL="150.00") + REBATE_VENUES + account("ACCT-1", "CL-1", "ADV-1", cash="10000000.00")


class Venue:
    """A simulated venue behind a FixVenueServer on loopback; its book is set under its lock."""

    def __init__(self, tmp: Path, name: str) -> None:
        self.name, self.port = name, free_port()
        self.app = CountingVenueFixApp(name, MakerTakerFees(20, 30), ["AAPL"])
        self.server: FixVenueServer | None = FixVenueServer(
            self.app, write_acceptor_settings(tmp / name, venue=name, port=self.port)).start()
        self._n = 0

    def rest(self, side: Side, qty: int, price: str) -> None:
        self._n += 1
        with self.app.lock:  # its release publishes the change to subscribers
            self.app.venue.submit_agent_order(f"{self.name}-S{self._n}", "SEED", "AAPL", side, qty, to_units(price),
                                              TimeInForce.DAY, self.app.now_ns())

    def top(self) -> tuple[int, int, int, int]:
        with self.app.lock:
            return self.app.venue.book("AAPL").top()

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None


def wait_for(what: str, condition: Callable[[], object], timeout: float = WAIT):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)
    return value


def as_top(quote) -> tuple[int, int, int, int] | None:
    return None if quote is None else (quote.bid, quote.bid_size, quote.ask, quote.ask_size)


def order(n: int, side: str, qty: int, kind: str = "MARKET", price: str | None = None, tif: str = "DAY") -> dict:
    body = {"account_id": "ACCT-1", "symbol": "AAPL", "side": side, "quantity": qty, "order_type": kind,
            "time_in_force": tif, "advisor_id": "ADV-1", "client_order_id": f"K-{n}"}
    if price is not None:
        body["limit_price"] = price
    return body


def wait_status(live, n: int, wanted: set[OrderStatus]) -> OrderStatus:
    def status():
        found = live.platform.entry.lookup("ACCT-1", f"K-{n}")
        return found is not None and found.status in wanted and found.status
    return wait_for(f"K-{n} to be one of {sorted(s.value for s in wanted)}", status)


@pytest.fixture
def venues(tmp_path):
    made = {name: Venue(tmp_path / "venues", name) for name in ("XNAS", "BATS")}
    try:
        yield made
    finally:
        for venue in made.values():
            venue.stop()


def test_remote_fix_venues_quotes_routing_and_a_killed_venue(tmp_path, venues):
    xnas, bats = venues["XNAS"], venues["BATS"]
    xnas.rest(Side.BUY, 300, "189.80")
    xnas.rest(Side.SELL, 400, "190.10")
    bats.rest(Side.BUY, 200, "189.90")
    bats.rest(Side.SELL, 500, "190.20")
    live = build_live(parse_live_config(REMOTE.format(run_dir=tmp_path / "run", xnas=xnas.port, bats=bats.port),
                                        "remote"))
    try:
        live.start()  # returns once both sessions are up and have sent their first snapshots
        md = live.market_data
        assert live.venue_statuses() == {"XNAS": "UP", "BATS": "UP"}

        # The quotes are the acceptors' book tops, exactly.
        for venue in (xnas, bats):
            assert as_top(md.quote(venue.name, "AAPL")) == venue.top()
        assert as_top(md.quote("XNAS", "AAPL")) == (to_units("189.80"), 300, to_units("190.10"), 400)
        assert md.reference_price("AAPL") == (to_units("189.90") + to_units("190.10")) // 2  # not the 150.00 configured

        # A better offer at BATS: a new snapshot comes without asking.
        bats.rest(Side.SELL, 250, "190.04")
        wait_for("BATS's new offer", lambda: as_top(md.quote("BATS", "AAPL")) == bats.top())
        assert as_top(md.quote("BATS", "AAPL")) == (to_units("189.90"), 200, to_units("190.04"), 250)
        assert md.reference_price("AAPL") == to_units("189.97")  # (189.90 + 190.04) / 2

        # A market buy goes to the best offer (BATS), not the best rebate (XNAS, where it went without quotes).
        live.runtime.dispatch(SubmitOrder(order(1, "BUY", 100), live.clock.now_ns()))
        assert wait_status(live, 1, {OrderStatus.CONFIRMED, OrderStatus.REJECTED, OrderStatus.BLOCKED}) \
            is OrderStatus.CONFIRMED
        assert bats.top()[3] == 150 and xnas.top()[3] == 400  # 100 taken from BATS's 250 at 190.04
        assert bats.app.received == 2 and xnas.app.received == 1  # market data request (+ the order at BATS)
        wait_for("BATS's offer after the fill", lambda: as_top(md.quote("BATS", "AAPL")) == bats.top())

        # Risk marks at the quotes' mid: a limit at 189.50 is within the collar of 189.97, not of 150.00.
        live.runtime.dispatch(SubmitOrder(order(2, "BUY", 10, "LIMIT", "189.50"), live.clock.now_ns()))
        assert wait_status(live, 2, {OrderStatus.ROUTED, OrderStatus.BLOCKED, OrderStatus.REJECTED}) \
            is OrderStatus.ROUTED

        # BATS goes away: its quotes are dropped, nothing is routed or marked on them any more.
        bats.stop()
        wait_for("BATS to be DOWN", lambda: live.venue_statuses()["BATS"] == "DOWN")
        assert md.quote("BATS", "AAPL") is None and live.link.gateway.quotes.top("BATS", "AAPL") is None
        assert md.reference_price("AAPL") == (to_units("189.80") + to_units("190.10")) // 2  # XNAS alone
        live.runtime.dispatch(SubmitOrder(order(3, "BUY", 100), live.clock.now_ns()))
        assert wait_status(live, 3, {OrderStatus.CONFIRMED, OrderStatus.REJECTED, OrderStatus.BLOCKED}) \
            is OrderStatus.CONFIRMED
        assert xnas.top()[3] == 300  # filled at XNAS
        assert live.runtime.failures == []
    finally:
        live.close()


ONE_REMOTE = (REMOTE_ARCX + symbols(AAPL="150.00", ZZZZ="10.00")
              + account("ACCT-1", "CL-1", "ADV-1", cash="1000000.00"))


def test_a_remote_venue_process_killed_outright_stops_quoting(tmp_path):
    """``twin venue serve --liquidity`` in its own process: its market maker's quotes arrive (and an
    unknown symbol is refused); after SIGKILL they are gone and risk falls back to the last good mid."""
    port = free_port()
    venue = subprocess.Popen([sys.executable, "-m", "twin.cli", "venue", "serve", "--venue", "ARCX", "--port",
                              str(port), "--symbols", "AAPL", "--liquidity", "--run-dir", str(tmp_path / "venue")],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT,
                             env={**os.environ, "PYTHONUNBUFFERED": "1"})
    live = build_live(parse_live_config(ONE_REMOTE.format(run_dir=tmp_path / "run", port=port), "remote"))
    try:
        assert _read_line(venue.stdout, 30.0).startswith("serving venue ARCX")
        live.start()
        md, quotes = live.market_data, live.link.gateway.quotes
        quote = md.quote("ARCX", "AAPL")
        assert quote is not None and 0 < quote.bid < quote.ask and quote.bid_size > 0 and quote.ask_size > 0
        assert to_units("150.00") < quote.bid < to_units("250.00")  # the maker quotes around 190, not 150
        assert md.quote("ARCX", "ZZZZ") is None and quotes.answered("ARCX")  # refused (35=Y), not pending
        mark = md.reference_price("AAPL")
        assert mark == consolidated(quote)
        venue.send_signal(signal.SIGKILL)  # no logout: the socket just closes
        wait_for("ARCX to be DOWN", lambda: live.venue_statuses() == {"ARCX": "DOWN"})
        assert md.quote("ARCX", "AAPL") is None and quotes.top("ARCX", "AAPL") is None
        assert md.reference_price("AAPL") == mark  # the last good mid, not a quote of a dead venue
    finally:
        live.close()
        if venue.poll() is None:
            venue.kill()
        venue.wait(timeout=10)


def consolidated(quote) -> int:
    return (quote.bid + quote.ask) // 2


EMBEDDED = """
run_dir = "{run_dir}"
[event_log]
kind = "memory"
[venue_link]
liquidity = false
[[symbols]]
symbol = "AAPL"
reference_price = "150.00"
[[venues]]
name = "XNAS"
"""


def test_embedded_venues_quote_over_fix_in_step_with_their_books(tmp_path):
    live = build_live(parse_live_config(EMBEDDED.format(run_dir=tmp_path / "run"), "embedded"))
    try:
        live.start()
        driver = LiveScript(live)
        md, quotes = live.market_data, live.link.gateway.quotes
        assert md.quote("XNAS", "AAPL") is not None and as_top(md.quote("XNAS", "AAPL")) == (0, 0, 0, 0)
        before = quotes.updates["XNAS"]
        # The seed changes the book holding the venue's lock; once quiet, the snapshot is in.
        driver.run([AgentOrder(0, "XNAS", "AAPL", Side.SELL, 100, to_units("190.10")),
                    AgentOrder(0, "XNAS", "AAPL", Side.BUY, 100, to_units("189.90"))])
        assert quotes.updates["XNAS"] == before + 2  # one snapshot per change of the top, none extra
        assert as_top(md.quote("XNAS", "AAPL")) == (to_units("189.90"), 100, to_units("190.10"), 100)
        assert md.reference_price("AAPL") == to_units("190.00")
    finally:
        live.close()
