"""A RouteOrder delivered again (at-least-once) finishes what a process that died mid-routing left undone.

The router records the children (``ORDER_ROUTED``) and then sends them. A process that dies in
between leaves the children in the log and nowhere else; the bus delivers the RouteOrder again and
``Platform.route`` must send exactly those children (same ids) once. A process that did send them
sends nothing on a redelivery. A rebuilt OMS cannot tell the two apart (acks are not logged), so it
sends again and relies on the venue, which ignores the child or refuses it as a duplicate
(``DUPLICATE_CHILD_ID``, FIX OrdRejReason 6): the OMS takes that refusal for "already there".
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pytest

from components.domain.commands import RouteOrder, SubmitBlock, SubmitOrder
from components.domain.events import EventType
from components.domain.money import PRICE_SCALE
from components.domain.orders import OrderStatus, OrderType, TimeInForce
from components.domain.venues import ChildOrder, ExecKind, ExecutionReport, FeeSchedule, Quote, VenueStatus
from components.ledger import Ledger
from components.memory import InMemoryEventLog, ManualClock, SequentialIds
from components.oms import DUPLICATE_CHILD_ID, Oms, is_duplicate_order, routed_child
from components.order_entry import OrderEntry
from components.platform import Platform
from components.post_trade import PostTrade
from components.rebuild.oms import recover
from components.reference.accounts import Account, AccountDirectory
from components.reference.sanctions import SanctionsList
from components.risk.engine import RiskEngine
from components.risk.policies import RiskLimits
from components.routing import SmartOrderRouter

D = PRICE_SCALE
SEC = 1_000_000_000
DAY = 86_400 * SEC
T0 = 20_000 * DAY + 14 * 3_600 * SEC


class Died(Exception):
    """The process died here."""


class ShallowBook:
    """Every venue up, quoting 190.00 / 190.10 with 60 shares a side: 100 shares split over two venues."""

    def __init__(self, clock: ManualClock) -> None:
        self._clock = clock

    def quote(self, venue: str, symbol: str) -> Quote:
        return Quote(venue, symbol, 190 * D, 60, 190 * D + D // 10, 60, self._clock.now_ns())

    def reference_price(self, symbol: str) -> int:
        return 190 * D + D // 20

    def venue_status(self, venue: str) -> VenueStatus:
        return VenueStatus.UP


class Gateway:
    """Keeps what it is sent; ``die_on_send`` makes the next send kill the process (nothing sent)."""

    def __init__(self) -> None:
        self.sent: list[ChildOrder] = []
        self.die_on_send = False

    def connect(self, on_report) -> None:
        pass

    def send(self, child: ChildOrder) -> None:
        if self.die_on_send:
            self.die_on_send = False
            raise Died()
        self.sent.append(child)

    def cancel(self, venue: str, child_id: str) -> None:
        pass


class DyingLog(InMemoryEventLog):
    """An event log whose appends can fail after ``stored`` more events: the process dies mid-append."""

    def __init__(self) -> None:
        super().__init__()
        self.stored: int | None = None

    def append(self, event) -> None:
        if self.stored is not None:
            if self.stored == 0:
                self.stored = None
                raise Died()
            self.stored -= 1
        super().append(event)


@dataclass
class World:
    clock: ManualClock = field(default_factory=lambda: ManualClock(T0))
    log: DyingLog = field(default_factory=DyingLog)
    gateway: Gateway = field(default_factory=Gateway)
    platform: Platform = field(init=False)

    def __post_init__(self) -> None:
        ids = SequentialIds()
        accounts = AccountDirectory([Account("A1", "C1", "Jane Client", "ADV1", cash=1_000_000 * D,
                                             positions=(("AAPL", 1_000),)),
                                     Account("A2", "C2", "John Client", "ADV1", cash=1_000_000 * D)])
        market = ShallowBook(self.clock)
        oms = Oms(self.clock, ids, self.log)
        risk = RiskEngine(RiskLimits(), accounts, market, SanctionsList())
        self.platform = Platform(
            clock=self.clock, oms=oms, entry=OrderEntry({"AAPL"}.__contains__, accounts.entitled, oms.create),
            risk=risk,
            router=SmartOrderRouter({"XNAS": FeeSchedule(20, 30), "BATS": FeeSchedule(10, 20)}, market, ids,
                                    position=risk.position),
            venues=self.gateway,
            post_trade=PostTrade(oms, self.clock, lambda now_ns: (now_ns // DAY + 1) * DAY),
            ledger=Ledger({"A1": 1_000_000 * D, "A2": 1_000_000 * D}, {}),
            account_known=lambda account_id: account_id in accounts,
        )

    @property
    def oms(self) -> Oms:
        return self.platform.oms

    def run(self, message: object, stop_at: type | None = None) -> list[object]:
        """Handle ``message`` and its follow-ups in order; the messages of type ``stop_at`` are returned
        unhandled (to be delivered by the test)."""
        held, queue = [], [message]
        while queue:
            msg = queue.pop(0)
            if stop_at is not None and type(msg) is stop_at:
                held.append(msg)
                continue
            queue.extend(self.platform.handle(msg).follow_ups)
        return held

    def approved_order(self, side: str = "BUY", order_type: str = "LIMIT") -> RouteOrder:
        body = {"account_id": "A1", "symbol": "AAPL", "side": side, "quantity": 100, "order_type": order_type,
                "time_in_force": "DAY", "advisor_id": "ADV1", "client_order_id": f"C-{len(self.oms.orders)}"}
        if order_type == "LIMIT":
            body["limit_price"] = "190.25" if side == "BUY" else "189.90"
        (route,) = self.run(SubmitOrder(body, T0), stop_at=RouteOrder)
        return route

    def restart_oms(self) -> None:
        """The process came back: the OMS is rebuilt from the log (no snapshot)."""
        recover(self.oms, self.log)

    def routed_children(self, order_id: str) -> list[str]:
        return [c["child_id"] for e in self.log.read() if e.order_id == order_id
                and e.event_type in (EventType.ORDER_ROUTED, EventType.ORDER_REROUTED)
                for c in e.details["children"]]

    def report(self, kind: ExecKind, child: ChildOrder, **kw) -> ExecutionReport:
        return ExecutionReport(kind, child.venue, child.child_id, child.order_id, self.clock.now_ns(), **kw)


@pytest.fixture
def w() -> World:
    return World()


def route_dying_before_the_sends(w: World, route: RouteOrder) -> None:
    w.gateway.die_on_send = True
    with pytest.raises(Died):
        w.platform.handle(route)


@pytest.mark.parametrize("rebuilt", [False, True], ids=["same-process", "rebuilt-from-the-log"])
def test_a_route_that_died_after_recording_sends_the_recorded_children_once_on_redelivery(w, rebuilt):
    route = w.approved_order()
    route_dying_before_the_sends(w, route)
    recorded = w.routed_children(route.order_id)
    assert len(recorded) == 2 and not w.gateway.sent  # ROUTED is stored; nothing reached a venue
    if rebuilt:
        w.restart_oms()
    w.platform.handle(route)  # the bus delivers it again
    assert [c.child_id for c in w.gateway.sent] == recorded  # the same ids, in plan order
    assert Counter(c.venue for c in w.gateway.sent) == {"XNAS": 1, "BATS": 1}  # once per venue
    assert sum(c.quantity for c in w.gateway.sent) == 100
    w.platform.handle(route)  # and again: now this process has sent them
    assert len(w.gateway.sent) == 2
    assert [e.event_type for e in w.log.read()].count(EventType.ORDER_ROUTED) == 1  # nothing recorded twice


def test_a_redelivery_while_the_children_are_in_flight_sends_nothing(w):
    route = w.approved_order()
    w.platform.handle(route)
    assert len(w.gateway.sent) == 2
    w.platform.handle(route)
    child = w.gateway.sent[0]
    w.platform.handle(w.report(ExecKind.ACK, child, leaves_qty=child.quantity))
    w.platform.handle(route)
    assert len(w.gateway.sent) == 2 and not w.oms.awaiting_venue


def test_a_rebuilt_oms_sends_only_the_children_no_venue_report_reached(w):
    route = w.approved_order()
    w.platform.handle(route)
    filled, silent = w.gateway.sent
    w.platform.handle(w.report(ExecKind.FILL, filled, last_qty=10, last_px=190 * D, leaves_qty=filled.quantity - 10,
                               exec_id="E1"))
    w.restart_oms()
    assert [c.child_id for c in w.oms.awaiting(w.oms.get(route.order_id))] == [silent.child_id]
    w.platform.handle(route)
    assert w.gateway.sent[2:] == [silent]  # the very same child: the venue ignores it if it has it


@pytest.mark.parametrize("reason", [DUPLICATE_CHILD_ID, "VENUE_REJECTED: OrdRejReason=6",
                                    "VENUE_REJECTED: OrdRejReason=6: Duplicate ClOrdID"])
def test_a_duplicate_refusal_of_a_working_child_means_the_venue_already_has_it(w, reason):
    route = w.approved_order()
    w.platform.handle(route)
    child = w.gateway.sent[0]
    w.platform.handle(w.report(ExecKind.ACK, child, leaves_qty=child.quantity))
    events = len(w.log)
    handled = w.platform.handle(w.report(ExecKind.REJECTED, child, reason=reason))
    assert not handled.follow_ups and len(w.log) == events  # nothing recorded, nothing rerouted
    order = w.oms.get(route.order_id)
    assert order.status is OrderStatus.ROUTED and child.child_id in order.open_children
    # It still works: its fill is booked.
    w.platform.handle(w.report(ExecKind.FILL, child, last_qty=child.quantity, last_px=190 * D, leaves_qty=0,
                               exec_id="E1"))
    assert order.filled_qty == child.quantity


@pytest.mark.parametrize("reason", ["VENUE_REJECTED: OrdRejReason=60", "VENUE_REJECTED: OrdRejReason=3: Bad",
                                    "DUPLICATE_CHILD_ID_X", "VENUE_DOWN"])
def test_other_refusals_are_not_duplicates(reason):
    assert not is_duplicate_order(reason)


def test_a_refused_duplicate_of_a_child_no_longer_working_is_a_late_report(w):
    route = w.approved_order()
    w.platform.handle(route)
    child = w.gateway.sent[0]
    w.platform.handle(w.report(ExecKind.REJECTED, child, reason="VENUE_DOWN"))
    events = len(w.log)
    w.platform.handle(w.report(ExecKind.REJECTED, child, reason=DUPLICATE_CHILD_ID))
    assert len(w.log) == events


@pytest.mark.parametrize("side, order_type", [("BUY", "LIMIT"), ("BUY", "MARKET"), ("SELL", "LIMIT")])
def test_a_child_rebuilt_from_its_routing_event_is_the_child_the_router_made(w, side, order_type):
    route = w.approved_order(side, order_type)
    w.platform.handle(route)
    order = w.oms.get(route.order_id)
    (event,) = [e for e in w.log.read() if e.event_type is EventType.ORDER_ROUTED]
    rebuilt = [routed_child(order, entry) for entry in event.details["children"]]
    assert rebuilt == w.gateway.sent
    if order_type == "MARKET":
        assert {c.time_in_force for c in rebuilt} == {TimeInForce.IOC} and rebuilt[0].order_type is OrderType.MARKET
    assert all("short" not in e for e in event.details["children"])  # written only for a short child


def test_a_short_child_is_logged_short_and_rebuilt_short(w):
    """Risk lets no wealth client sell short, so a short child is rare: the log still keeps the mark."""
    route = w.approved_order("SELL")
    order = w.oms.get(route.order_id)
    short = ChildOrder("CH-S", order.order_id, "XNAS", "AAPL", order.spec.side, 100, OrderType.LIMIT,
                       order.spec.limit_price, TimeInForce.DAY, short=True)
    w.oms.record_routed(order.order_id, [short])
    (event,) = [e for e in w.log.read() if e.event_type is EventType.ORDER_ROUTED]
    assert event.details["children"][0]["short"] is True
    assert routed_child(order, event.details["children"][0]) == short
    w.restart_oms()
    assert w.oms.awaiting(w.oms.get(order.order_id)) == [short]


def test_a_rebuilt_oms_holds_no_awaiting_child_of_a_finished_order(w):
    route = w.approved_order()
    w.platform.handle(route)
    for child in w.gateway.sent:
        w.platform.handle(w.report(ExecKind.CANCELED, child, last_qty=child.quantity, reason="END_OF_DAY"))
    assert w.oms.get(route.order_id).status is OrderStatus.EXPIRED
    w.restart_oms()
    assert w.oms.awaiting_venue == {}


@pytest.mark.parametrize("stored", [1, 2])
def test_a_block_route_that_died_mid_append_routes_every_member_and_sends_once(w, stored):
    block = SubmitBlock("ADV1", "AAPL", "BUY", (("A1", 40), ("A2", 60)), "pro_rata", "B-1", T0)
    (route,) = w.run(block, stop_at=RouteOrder)
    members = [m.order_id for m in w.platform.desk.members(route.order_id)]
    w.log.stored = stored  # the parent's ORDER_ROUTED (and, with 2, the first member's) only
    with pytest.raises(Died):
        w.platform.handle(route)
    w.restart_oms()
    assert not w.gateway.sent
    w.platform.handle(route)
    assert [c.child_id for c in w.gateway.sent] == w.routed_children(route.order_id)
    assert all(w.oms.get(m).status is OrderStatus.ROUTED for m in members)
    routed = [e.order_id for e in w.log.read() if e.event_type is EventType.ORDER_ROUTED]
    assert Counter(routed) == Counter([route.order_id, *members])  # each recorded exactly once
    w.platform.handle(route)
    assert len(w.gateway.sent) == 2

