"""The live FIX gateway (a QuickFIX initiator) against simulated venues served over FIX on loopback.

Reports reach the sink the gateway is connected to (here a queue, in the live
stack the runtime's ``dispatch``) from the gateway's pump thread. Every wait
is bounded; servers and gateways stop in ``finally``.
"""

from __future__ import annotations

import queue
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("quickfix", reason="quickfix is not installed (pip install quickfix builds it from source)")

from components.domain.money import to_units  # noqa: E402
from components.domain.orders import OrderType, Side, TimeInForce  # noqa: E402
from components.domain.venues import ChildOrder, ExecKind  # noqa: E402
from live.bootstrap import build_live  # noqa: E402
from components.config.live import parse_live_config  # noqa: E402
from live.adapters.embedded_venues import CountingVenueFixApp, free_port  # noqa: E402
from live.adapters.fix.settings import write_initiator_settings  # noqa: E402
from live.adapters.fix.gateway import FixVenueGateway  # noqa: E402
from venues_sim.fees import MakerTakerFees  # noqa: E402
from venues_sim.fix_acceptor import FixVenueServer  # noqa: E402
from venues_sim.fix_config import write_acceptor_settings  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
WAIT = 10.0
SYMBOLS = [f"G{i}" for i in range(20)]


class Venue:
    """One simulated venue behind a FixVenueServer; ``restart`` brings a fresh one back on the same port."""

    def __init__(self, tmp: Path, name: str = "XNAS") -> None:
        self.tmp, self.name, self.port, self.generation = tmp, name, free_port(), 0
        self.server: FixVenueServer | None = None
        self.start()

    def start(self) -> None:
        self.generation += 1
        self.app = CountingVenueFixApp(self.name, MakerTakerFees(20, 30), SYMBOLS)
        settings = write_acceptor_settings(self.tmp / f"{self.name}-{self.generation}", venue=self.name, port=self.port)
        self.server = FixVenueServer(self.app, settings).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    def seed(self, symbol: str, side: Side, qty: int, price: str, tif: TimeInForce = TimeInForce.DAY) -> None:
        with self.app.lock:
            self.app.venue.submit_agent_order(f"S{qty}{side.value}{price}{symbol}", "MM", symbol, side, qty,
                                              to_units(price), tif, self.app.now_ns())


class Sink:
    def __init__(self) -> None:
        self.reports: queue.Queue = queue.Queue()

    def next(self, timeout: float = WAIT):
        try:
            return self.reports.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"no report within {timeout}s")

    def expect(self, kind: ExecKind, **fields):
        got = self.next()
        assert got.kind is kind, got
        for key, value in fields.items():
            assert getattr(got, key) == value, (key, got)
        return got

    def quiet(self, seconds: float = 0.3) -> None:
        try:
            extra = self.reports.get(timeout=seconds)
        except queue.Empty:
            return
        pytest.fail(f"unexpected report {extra}")


@pytest.fixture
def venue(tmp_path):
    v = Venue(tmp_path)
    try:
        yield v
    finally:
        v.stop()


def start_gateway(tmp: Path, venue: Venue, on_disconnect: str = "cancel") -> tuple[FixVenueGateway, Sink]:
    gateway = FixVenueGateway([venue.name], on_disconnect=on_disconnect)
    sink = Sink()
    gateway.connect(sink.reports.put)
    gateway.start(write_initiator_settings(tmp / "gateway", sender="BD", venues=[venue.name],
                                           sessions={venue.name: ("127.0.0.1", venue.port)}))
    assert gateway.wait_logged_on(WAIT) == [], "the gateway did not log on"
    return gateway, sink


@pytest.fixture
def gateway(tmp_path, venue):
    gw, sink = start_gateway(tmp_path, venue)
    try:
        yield gw, sink
    finally:
        gw.stop()


def child(child_id: str, symbol: str, side: Side, qty: int, price: str | None,
          tif: TimeInForce = TimeInForce.DAY) -> ChildOrder:
    kind = OrderType.MARKET if price is None else OrderType.LIMIT
    return ChildOrder(child_id, f"ORD-{child_id}", "XNAS", symbol, side, qty, kind,
                      None if price is None else to_units(price), tif)


def test_orders_fills_cancels_and_rejects_map_to_domain_reports(venue, gateway):
    gw, sink = gateway
    venue.seed("G1", Side.SELL, 300, "190.05")
    gw.send(child("C1", "G1", Side.BUY, 400, "190.05"))
    sink.expect(ExecKind.ACK, child_id="C1", order_id="ORD-C1", venue="XNAS", leaves_qty=400)
    fill = sink.expect(ExecKind.FILL, child_id="C1", last_qty=300, last_px=to_units("190.05"), leaves_qty=100)
    assert fill.fee == 300 * 30 and fill.liquidity.value == "TAKER" and fill.exec_id.startswith("XNAS-E")
    assert gw.working == 1
    gw.cancel("XNAS", "C1")
    sink.expect(ExecKind.CANCELED, child_id="C1", reason="CANCEL_REQUESTED", last_qty=100)
    assert gw.working == 0
    gw.cancel("XNAS", "C1")  # no longer working: nothing is sent
    gw.send(child("C2", "NOPE", Side.BUY, 100, "10.00"))
    sink.expect(ExecKind.REJECTED, child_id="C2", reason="UNKNOWN_SYMBOL")
    venue.seed("G2", Side.BUY, 200, "189.95")
    gw.send(child("C3", "G2", Side.SELL, 500, "189.95", TimeInForce.IOC))
    sink.expect(ExecKind.ACK, child_id="C3")
    sink.expect(ExecKind.FILL, child_id="C3", last_qty=200, leaves_qty=300)
    sink.expect(ExecKind.CANCELED, child_id="C3", reason="IOC_REMAINDER", last_qty=300)
    sink.quiet()
    assert gw.sent["XNAS"] == venue.app.received == 4 and gw.received["XNAS"] == venue.app.sent == 7


def test_a_cancel_the_venue_cannot_match_closes_the_child_only_when_the_order_is_unknown(venue, gateway):
    gw, sink = gateway
    venue.seed("G3", Side.SELL, 100, "50.00")
    gw.send(child("C4", "G3", Side.BUY, 100, "50.00"))
    sink.expect(ExecKind.ACK, child_id="C4")
    sink.expect(ExecKind.FILL, child_id="C4", leaves_qty=0)
    gw.cancel("XNAS", "C4")  # filled: the gateway knows it is done, sends nothing
    # A child the venue never received (as if its NewOrderSingle was lost on the way): the
    # gateway still thinks it works, the venue answers "unknown order", the child is gone.
    ghost = child("C5", "G3", Side.BUY, 100, "49.00")
    with gw._lock:
        gw._children[ghost.child_id] = ghost
        gw._working.add(ghost.child_id)
    gw.cancel("XNAS", "C5")
    sink.expect(ExecKind.REJECTED, child_id="C5", reason="UNKNOWN_ORDER")
    # A cancel refused as too late changes nothing but is recorded (CANCEL_REJECTED, a CancelRejected
    # event): the venue's own reports tell the story.
    venue.seed("G4", Side.SELL, 100, "20.00")
    gw.send(child("C6", "G4", Side.BUY, 200, "20.00"))
    sink.expect(ExecKind.ACK, child_id="C6")
    sink.expect(ExecKind.FILL, child_id="C6", leaves_qty=100)
    with venue.app.lock:  # the rest leaves the book behind the gateway's back
        venue.app.venue.book("G4").cancel("FIX.4.4:XNAS->BD|C6")
    gw.cancel("XNAS", "C6")
    refused = sink.expect(ExecKind.CANCEL_REJECTED, child_id="C6")
    assert refused.reason.startswith("CxlRejReason=0"), refused
    sink.quiet()
    assert gw.working == 1  # still working as far as anyone told us


@pytest.mark.parametrize("policy, outcome", [("cancel", ExecKind.CANCELED), ("reroute", ExecKind.REJECTED)])
def test_a_venue_going_away_closes_its_working_children_and_it_is_down_until_it_returns(tmp_path, venue, policy,
                                                                                          outcome):
    gw, sink = start_gateway(tmp_path, venue, on_disconnect=policy)
    try:
        gw.send(child("K1", "G5", Side.BUY, 100, "10.00"))
        gw.send(child("K2", "G5", Side.SELL, 100, "30.00"))
        sink.expect(ExecKind.ACK, child_id="K1")
        sink.expect(ExecKind.ACK, child_id="K2")
        venue.stop()
        got = {sink.expect(outcome, reason="VENUE_DISCONNECTED").child_id for _ in range(2)}
        assert got == {"K1", "K2"} and not gw.is_logged_on("XNAS") and gw.working == 0
        gw.send(child("K3", "G5", Side.BUY, 100, "10.00"))  # never leaves: refused at once
        sink.expect(ExecKind.REJECTED, child_id="K3", reason="VENUE_DISCONNECTED")
        venue.start()  # a fresh venue on the same port: its book is empty
        assert gw.wait_logged_on(WAIT) == [] and gw.is_logged_on("XNAS")
        sink.quiet(0.5)  # the orphan cancels are refused as unknown: nothing changes
        assert venue.app.received == 2  # the gateway asked the new venue to cancel K1 and K2
        gw.send(child("K4", "G5", Side.BUY, 100, "10.00"))
        sink.expect(ExecKind.ACK, child_id="K4")
    finally:
        gw.stop()


def test_gateways_start_and_stop_repeatedly_without_crashing(tmp_path):
    """Run in a child process: a QuickFIX stop-time crash must fail this test, not kill pytest."""
    code = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from pathlib import Path
        from tests.integration.test_fix_gateway import Venue, start_gateway, child
        from components.domain.orders import Side
        tmp = Path({str(tmp_path)!r})
        venue = Venue(tmp)
        for i in range(6):
            gw, sink = start_gateway(tmp / str(i), venue)
            gw.send(child(f"R{{i}}", "G6", Side.BUY, 10, "10.00"))
            assert sink.next().child_id == f"R{{i}}"
            gw.stop()
        venue.stop()
        print("cycles ok")
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0 and "cycles ok" in done.stdout, (done.returncode, done.stdout, done.stderr[-3000:])


def test_two_live_stacks_in_one_process_use_distinct_fix_sessions(tmp_path):
    config = parse_live_config('[event_log]\nkind = "memory"\n[venue_link]\nliquidity = false\n'
                               '[[venues]]\nname = "XNAS"\n', "two")
    first = build_live(config)
    second = build_live(config)
    try:
        first.start()
        second.start()
        assert first.venue_statuses() == second.venue_statuses() == {"XNAS": "UP"}
        names = {first.link.settings_path.read_text().count("SenderCompID=BD\n"),
                 second.link.settings_path.read_text().count("SenderCompID=BD2\n")}
        assert names == {1}
        second.close()  # destroying the second's sessions must leave the first's registered
        first.link.gateway.send(ChildOrder("TW-1", "ORD-TW", "XNAS", "AAPL", Side.BUY, 10, OrderType.LIMIT,
                                           to_units("1.00"), TimeInForce.DAY))
        assert first.link.gateway.wait_logged_on(1.0) == []
    finally:
        second.close()
        first.close()
