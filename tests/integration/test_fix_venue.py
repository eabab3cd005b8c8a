"""The simulated venue's FIX 4.4 acceptor, driven by a real QuickFIX initiator over loopback.

One acceptor runs in-process (``FixVenueServer``) with a book seeded by
participant orders; a second runs as ``twin venue serve --liquidity`` in a
subprocess. The initiator validates everything it receives against the FIX
4.4 data dictionary, so a malformed ExecutionReport would never reach the
test's queue and the test would fail on its timeout.
"""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

fix = pytest.importorskip("quickfix", reason="quickfix is not installed (pip install quickfix builds it from source)")

from components.domain.money import to_units  # noqa: E402
from components.domain.orders import Side, TimeInForce  # noqa: E402
from venues_sim.fees import MakerTakerFees  # noqa: E402
from venues_sim.fix_acceptor import FixVenueServer, VenueFixApp  # noqa: E402
from venues_sim.fix_config import data_dictionary, write_acceptor_settings  # noqa: E402

WAIT = 10.0  # seconds for any one expected message; nothing here should take more than a few ms
SOH = "\x01"
REPORT_TYPES = {"3", "8", "9", "j"}  # Reject, ExecutionReport, OrderCancelReject, BusinessMessageReject


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fields_of(message) -> dict[str, str]:
    """A flat message as ``{tag: value}`` (these messages carry no repeating groups)."""
    return dict(part.split("=", 1) for part in message.toString().split(SOH) if part)


class Client(fix.Application):
    """The test's initiator application: queues every report-like message it receives."""

    def __init__(self):
        super().__init__()
        self.messages: queue.Queue[dict[str, str]] = queue.Queue()
        self.logon = threading.Event()
        self.logout = threading.Event()
        self.session_id = None
        self.symbol = "AAPL"  # default Symbol of the order helpers

    def onCreate(self, sessionID):  # noqa: N802, N803
        self.session_id = fix.SessionID(sessionID.getBeginString().getValue(), sessionID.getSenderCompID().getValue(),
                                        sessionID.getTargetCompID().getValue())

    def onLogon(self, sessionID):  # noqa: N802, N803
        self.logon.set()

    def onLogout(self, sessionID):  # noqa: N802, N803
        self.logout.set()

    def toAdmin(self, message, sessionID):  # noqa: N802, N803
        pass

    def toApp(self, message, sessionID):  # noqa: N802, N803
        pass

    def fromAdmin(self, message, sessionID):  # noqa: N802, N803
        self._collect(message)

    def fromApp(self, message, sessionID):  # noqa: N802, N803
        self._collect(message)

    def _collect(self, message) -> None:
        fields = fields_of(message)
        if fields.get("35") in REPORT_TYPES:
            self.messages.put(fields)

    # ------------------------------------------------------------ test API

    def next(self, timeout: float = WAIT) -> dict[str, str]:
        try:
            return self.messages.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"no message from the venue within {timeout}s")

    def expect(self, msg_type: str, **expected: str) -> dict[str, str]:
        """The next message; it must be ``msg_type`` with the given tag values (``t150="F"``)."""
        got = self.next()
        assert got.get("35") == msg_type, got
        for key, value in expected.items():
            assert got.get(key[1:]) == value, f"tag {key[1:]}: expected {value!r}, got {got}"
        return got

    def quiet(self, seconds: float = 0.3) -> None:
        """Nothing else arrives for ``seconds``."""
        try:
            extra = self.messages.get(timeout=seconds)
        except queue.Empty:
            return
        pytest.fail(f"unexpected message {extra}")

    def send(self, msg_type: str, *fields: tuple[int, str]) -> None:
        message = fix.Message()
        message.getHeader().setField(35, msg_type)
        for tag, value in fields:
            message.setField(tag, value)
        assert fix.Session.sendToTarget(message, self.session_id)

    def new_order(self, cl: str, side: str, qty: int, price: str | None, *, tif: str = "0", symbol: str = "",
                  ord_type: str | None = None) -> None:
        body = [(11, cl), (55, symbol or self.symbol), (54, side), (60, _now()), (38, str(qty)),
                (40, ord_type or ("1" if price is None else "2")), (59, tif)]
        if price is not None:
            body.append((44, price))
        self.send("D", *body)

    def cancel(self, cl: str, orig: str, side: str = "1", qty: int = 100) -> None:
        self.send("F", (11, cl), (41, orig), (55, self.symbol), (54, side), (60, _now()), (38, str(qty)))

    def replace(self, cl: str, orig: str, side: str, qty: int, price: str) -> None:
        self.send("G", (11, cl), (41, orig), (55, self.symbol), (54, side), (60, _now()), (38, str(qty)), (40, "2"),
                  (44, price), (59, "0"))


def _now() -> str:
    return time.strftime("%Y%m%d-%H:%M:%S", time.gmtime())


def initiator_settings(tmp: Path, port: int, target: str) -> Path:
    tmp.mkdir(parents=True, exist_ok=True)
    path = tmp / "initiator.cfg"
    path.write_text(f"""[DEFAULT]
ConnectionType=initiator
BeginString=FIX.4.4
SenderCompID=BD
TargetCompID={target}
SocketConnectHost=127.0.0.1
SocketConnectPort={port}
HeartBtInt=30
ReconnectInterval=1
ResetOnLogon=Y
StartTime=00:00:00
EndTime=00:00:00
UseDataDictionary=Y
DataDictionary={data_dictionary()}
FileStorePath={tmp / "store"}
FileLogPath={tmp / "log"}

[SESSION]
""")
    return path


class Initiator:
    """A started QuickFIX initiator; ``stop`` is safe to call twice."""

    def __init__(self, settings_path: Path):
        self.client = Client()
        self._settings = fix.SessionSettings(str(settings_path))
        self._store = fix.FileStoreFactory(self._settings)
        self._log = fix.FileLogFactory(self._settings)
        self._initiator = fix.SocketInitiator(self.client, self._store, self._settings, self._log)
        self._initiator.start()

    def wait_logon(self) -> Client:
        assert self.client.logon.wait(WAIT), "initiator did not log on"
        return self.client

    def stop(self) -> None:
        if self._initiator is not None:
            self._initiator.stop()
            self._initiator = None


# --------------------------------------------------------------- in-process venue

ASK, BID = to_units("190.05"), to_units("189.95")
SYMBOLS = [f"SYM{i}" for i in range(30)]  # one fresh book per test, so tests need no order (pytest -n)


@dataclass
class World:
    """The in-process venue and the initiator logged on to it."""

    app: VenueFixApp
    client: Client
    unused_symbols: list[str] = field(default_factory=lambda: list(SYMBOLS))
    seeds: int = 0


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Iterator[World]:
    """XNAS in-process (``FixVenueServer``) with a logged-on initiator."""
    tmp = tmp_path_factory.mktemp("fix-venue")
    app = VenueFixApp("XNAS", MakerTakerFees(maker_rebate=20, taker_fee=30), SYMBOLS)
    port = free_port()
    server = FixVenueServer(app, write_acceptor_settings(tmp / "venue", venue="XNAS", port=port))
    server.start()
    initiator = None
    try:
        initiator = Initiator(initiator_settings(tmp / "client", port, "XNAS"))
        yield World(app, initiator.wait_logon())
    finally:
        if initiator is not None:
            initiator.stop()
        server.stop()


def seed(world: World, side: Side, qty: int, price: int, tif: TimeInForce = TimeInForce.DAY) -> None:
    """A participant order on the client's book, entered from this (non-QuickFIX) thread as the requoter does."""
    world.seeds += 1
    with world.app.lock:
        world.app.venue.submit_agent_order(f"P{world.seeds}", "MM", world.client.symbol, side, qty, price, tif,
                                           world.app.now_ns())


@pytest.fixture
def client(world) -> Client:
    """The initiator, on a fresh symbol whose book has 300 offered at 190.05 and 300 bid at 189.95."""
    c = world.client
    c.quiet(0.05)  # nothing left over from the test before
    c.symbol = world.unused_symbols.pop(0)
    seed(world, Side.SELL, 300, ASK)
    seed(world, Side.BUY, 300, BID)
    return c


def test_resting_limit_order_is_acknowledged(client):
    client.new_order("REST-1", "1", 100, "189.00")
    ack = client.expect("8", t11="REST-1", t150="0", t39="0", t151="100", t14="0", t54="1", t55=client.symbol)
    assert ack["37"].startswith("XNAS-O") and ack["17"]
    client.quiet()


def test_crossing_order_fills_at_the_resting_price(client):
    client.new_order("CROSS-1", "1", 100, "190.10")
    client.expect("8", t11="CROSS-1", t150="0", t39="0", t151="100")
    fill = client.expect("8", t11="CROSS-1", t150="F", t39="2", t32="100", t31="190.0500", t14="100", t151="0")
    assert fill["6"] == "190.0500"  # AvgPx
    assert fill["851"] == "2" and fill["12"] == "0.3000"  # took liquidity: 100 x $0.0030
    client.quiet()


def test_partial_fill_then_maker_fill_from_another_thread(world, client):
    client.new_order("PART-1", "1", 400, "190.05")
    client.expect("8", t11="PART-1", t150="0")
    client.expect("8", t11="PART-1", t150="F", t39="1", t32="300", t31="190.0500", t14="300", t151="100")
    seed(world, Side.SELL, 100, to_units("190.00"), TimeInForce.IOC)  # sells into our resting 100
    fill = client.expect("8", t11="PART-1", t150="F", t39="2", t32="100", t31="190.0500", t14="400", t151="0")
    assert fill["851"] == "1" and fill["12"] == "-0.2000"  # added liquidity: rebate 100 x $0.0020


def test_ioc_remainder_is_canceled(client):
    client.new_order("IOC-1", "2", 500, "189.95", tif="3")
    client.expect("8", t11="IOC-1", t150="0")
    client.expect("8", t11="IOC-1", t150="F", t39="1", t32="300", t31="189.9500", t151="200")
    client.expect("8", t11="IOC-1", t150="4", t39="4", t14="300", t151="0", t58="IOC_REMAINDER")


def test_market_order_takes_the_offer(client):
    client.new_order("MKT-1", "1", 100, None)
    client.expect("8", t11="MKT-1", t150="0")
    client.expect("8", t11="MKT-1", t150="F", t39="2", t31="190.0500", t14="100")


def test_cancel_of_a_resting_order(client):
    client.new_order("CXL-1", "1", 100, "188.00")
    client.expect("8", t11="CXL-1", t150="0")
    client.cancel("CXL-1-X", "CXL-1")
    client.expect("8", t11="CXL-1-X", t41="CXL-1", t150="4", t39="4", t14="0", t151="0")
    client.cancel("CXL-1-Y", "CXL-1")  # already canceled
    client.expect("9", t11="CXL-1-Y", t41="CXL-1", t434="1", t102="0", t39="4")


def test_cancel_of_an_unknown_order_is_rejected(client):
    client.cancel("CXL-2", "NO-SUCH-ORDER")
    reject = client.expect("9", t11="CXL-2", t41="NO-SUCH-ORDER", t434="1", t102="1", t39="8", t37="NONE")
    assert "UNKNOWN_ORDER" in reject["58"]


def test_cancel_of_a_filled_order_is_too_late(client):
    client.new_order("CXL-3", "2", 100, "189.95")
    client.expect("8", t11="CXL-3", t150="0")
    client.expect("8", t11="CXL-3", t150="F", t39="2")
    client.cancel("CXL-4", "CXL-3", side="2")
    client.expect("9", t11="CXL-4", t41="CXL-3", t434="1", t102="0", t39="2")


def test_replace_changes_quantity_and_price_then_crosses(world, client):
    client.new_order("RPL-1", "1", 100, "188.50")
    client.expect("8", t11="RPL-1", t150="0")
    client.replace("RPL-2", "RPL-1", "1", 200, "188.60")
    client.expect("8", t11="RPL-2", t41="RPL-1", t150="5", t39="0", t38="200", t151="200", t14="0")
    with world.app.lock:  # 200 rest at 188.60 under the venue child of the new ClOrdID; the old one is gone
        assert [world.app.venue.leaves(f"FIX.4.4:XNAS->BD|{cl}") for cl in ("RPL-1", "RPL-2")] == [0, 200]
    # Replace up through the offer: the replacement trades as it lands, keeping the chain's OrderID.
    client.replace("RPL-3", "RPL-2", "1", 500, "190.05")
    replaced = client.expect("8", t11="RPL-3", t41="RPL-2", t150="5", t39="0", t151="500")
    fill = client.expect("8", t11="RPL-3", t150="F", t39="1", t32="300", t31="190.0500", t14="300", t151="200")
    assert replaced["37"] == fill["37"]
    # A partly filled order keeps its CumQty across a replace; OrderQty is the chain's total.
    client.replace("RPL-4", "RPL-3", "1", 350, "187.00")
    client.expect("8", t11="RPL-4", t41="RPL-3", t150="5", t39="1", t38="350", t14="300", t151="50", t6="190.0500")
    client.cancel("RPL-5", "RPL-4", qty=350)
    client.expect("8", t11="RPL-5", t41="RPL-4", t150="4", t39="4", t14="300", t151="0")


def test_replace_refusals(client):
    client.replace("RPL-X1", "NO-SUCH-ORDER", "1", 100, "189.00")
    client.expect("9", t11="RPL-X1", t434="2", t102="1", t39="8")
    client.new_order("RPL-X2", "1", 100, "190.05")
    client.expect("8", t11="RPL-X2", t150="0")
    client.expect("8", t11="RPL-X2", t150="F", t39="2")
    client.replace("RPL-X3", "RPL-X2", "1", 300, "189.00")  # filled: no longer working
    client.expect("9", t11="RPL-X3", t41="RPL-X2", t434="2", t102="0", t39="2")
    client.new_order("RPL-X4", "1", 100, "188.00")
    client.expect("8", t11="RPL-X4", t150="0")
    client.replace("RPL-X5", "RPL-X4", "1", 100, "188.00001")  # finer than 1/10_000 of a dollar
    assert "INVALID_PRICE" in client.expect("9", t11="RPL-X5", t434="2", t39="0")["58"]
    client.replace("RPL-X6", "RPL-X4", "2", 100, "188.00")  # a replace may not change the side
    assert "INVALID_ORDER" in client.expect("9", t11="RPL-X6", t434="2")["58"]
    client.cancel("RPL-X7", "RPL-X4")  # the original is untouched and still cancelable
    client.expect("8", t11="RPL-X7", t41="RPL-X4", t150="4")


def test_orders_the_venue_cannot_take_are_rejected_with_a_reason(client):
    client.new_order("BAD-1", "1", 100, "190.000001")
    assert "INVALID_PRICE" in client.expect("8", t11="BAD-1", t150="8", t39="8", t37="NONE")["58"]
    client.new_order("BAD-2", "1", 100, "190.00", ord_type="3")  # stop orders: valid FIX, not supported
    assert "INVALID_ORDER" in client.expect("8", t11="BAD-2", t150="8")["58"]
    client.new_order("BAD-3", "1", 100, "190.00", symbol="ZZZZ")
    client.expect("8", t11="BAD-3", t150="8", t103="1", t58="UNKNOWN_SYMBOL")
    client.new_order("BAD-4", "1", 100, "189.00")
    client.expect("8", t11="BAD-4", t150="0")
    client.new_order("BAD-4", "1", 100, "189.00")  # ClOrdID already used
    client.expect("8", t11="BAD-4", t150="8", t103="6", t58="DUPLICATE_CHILD_ID")
    client.new_order("BAD-4", "1", 100, "189.00")  # and again: refused again, never a second order
    client.expect("8", t11="BAD-4", t150="8", t103="6", t58="DUPLICATE_CHILD_ID")
    client.cancel("BAD-4X", "BAD-4")  # the order holding the ClOrdID is untouched: all 100 still rest
    client.expect("8", t11="BAD-4X", t41="BAD-4", t150="4", t151="0", t14="0")


def test_malformed_messages_get_rejects_and_the_session_keeps_serving(client):
    sym = client.symbol
    # NewOrderSingle without OrdType (40): QuickFIX's own session-level reject.
    client.send("D", (11, "MAL-1"), (55, sym), (54, "1"), (60, _now()), (38, "100"), (44, "189.00"))
    client.expect("3", t371="40", t372="D", t373="1")
    # A value outside the tag's enumeration.
    client.send("D", (11, "MAL-2"), (55, sym), (54, "Z"), (60, _now()), (38, "100"), (40, "2"), (44, "189.00"))
    client.expect("3", t371="54", t373="5")
    # Symbol is optional in FIX 4.4 but the venue needs it.
    client.send("D", (11, "MAL-3"), (54, "1"), (60, _now()), (38, "100"), (40, "2"), (44, "189.00"))
    missing = client.expect("j", t372="D", t380="5")  # conditionally required field missing
    assert "(55)" in missing["58"]
    # A message type the venue does not handle: BusinessMessageReject, unsupported type.
    client.send("AF", (584, "MAL-4"), (585, "7"))  # OrderMassStatusRequest (35=H is served now)
    client.expect("j", t372="AF", t380="3")
    # The session is still up and trading.
    client.new_order("AFTER-1", "1", 100, "189.00")
    client.expect("8", t11="AFTER-1", t150="0", t39="0", t151="100")


# --------------------------------------------------------------- `twin venue serve`


def _read_line(stream, timeout: float) -> str:
    """One line from a subprocess pipe, or "" after ``timeout`` s (a reader thread keeps this hang-proof)."""
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(stream.readline()), daemon=True).start()
    try:
        return lines.get(timeout=timeout)
    except queue.Empty:
        return ""


def test_twin_venue_serve_trades_against_its_market_maker(tmp_path):
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "twin.cli", "venue", "serve", "--venue", "ARCX", "--port", str(port),
           "--symbols", "AAPL", "--liquidity", "--run-dir", str(tmp_path / "venue")]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            cwd=Path(__file__).resolve().parents[2])
    initiator = None
    try:
        banner = _read_line(proc.stdout, 30.0)
        assert banner.startswith("serving venue ARCX"), (banner, proc.poll())
        initiator = Initiator(initiator_settings(tmp_path / "client", port, "ARCX"))
        client = initiator.wait_logon()
        # The maker quotes around $190.00 (trading_day's AAPL reference): a buy at $199 must trade.
        client.new_order("CLI-1", "1", 100, "199.00", tif="3")
        client.expect("8", t11="CLI-1", t150="0")
        filled, last = 0, {}
        while filled < 100:
            last = client.expect("8", t11="CLI-1", t150="F")
            filled = int(last["14"])
            assert to_units("180") < to_units(last["31"]) < to_units("199.00")
        assert last["39"] == "2" and last["151"] == "0"
        client.new_order("CLI-2", "1", 100, "150.00")  # far below the market: rests
        client.expect("8", t11="CLI-2", t150="0", t39="0")
        client.cancel("CLI-3", "NOT-THERE")
        client.expect("9", t11="CLI-3", t434="1", t102="1")
        client.send("D", (11, "CLI-4"), (55, "AAPL"), (54, "1"), (60, _now()), (38, "100"))  # no OrdType
        client.expect("3", t371="40")
        client.new_order("CLI-5", "2", 100, "250.00")
        client.expect("8", t11="CLI-5", t150="0")
        proc.send_signal(signal.SIGTERM)
        assert client.logout.wait(WAIT), "venue did not log the session out on SIGTERM"
        out, err = proc.communicate(timeout=20)
        assert proc.returncode == 0, err
        assert "stopped venue ARCX" in out
        assert "AllowedRemoteAddresses=127.0.0.1" in (tmp_path / "venue" / "acceptor.cfg").read_text()
    finally:
        if initiator is not None:
            initiator.stop()
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=10)
