"""Builders for component tests: order requests, specs, and a small OMS world.

Test modules here are not a package, so they get these through fixtures rather
than imports. Everything is built through the components' public API with the
in-memory ports (ManualClock, InMemoryEventLog, SequentialIds).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

import pytest

from components.domain.events import EventType, OrderEvent, Outcome, PolicyDecision
from components.domain.money import PRICE_SCALE
from components.domain.orders import Order, OrderSpec, OrderType, Side, TimeInForce
from components.domain.venues import ChildOrder, ExecKind, ExecutionReport, Liquidity
from components.domain.outcomes import NextStep
from components.memory import InMemoryEventLog, ManualClock, SequentialIds
from components.oms import Oms

D = PRICE_SCALE
SEC = 1_000_000_000
DAY = 86_400 * SEC
T0 = 20_000 * DAY + 14 * 3_600 * SEC  # some UTC day, 14:00

PASS = PolicyDecision("max_notional", "1.0", Outcome.PASS)
FAIL = PolicyDecision("max_notional", "1.0", Outcome.FAIL, "NOTIONAL_EXCEEDS_MAX_PER_ORDER",
                      (("limit", 10 * D), ("value", 20 * D)))


def valid_body(**overrides: Any) -> dict[str, Any]:
    """A well-formed ``POST /v1/orders`` body (a LIMIT buy of 100 AAPL at 190.25)."""
    body = {
        "account_id": "A1",
        "symbol": "AAPL",
        "side": "BUY",
        "quantity": 100,
        "order_type": "LIMIT",
        "limit_price": "190.25",
        "time_in_force": "DAY",
        "advisor_id": "ADV1",
        "client_order_id": "C-1",
    }
    body.update(overrides)
    return body


def make_spec(**overrides: Any) -> OrderSpec:
    """An OrderSpec for account A1; override any field."""
    fields = dict(
        account_id="A1",
        symbol="AAPL",
        side=Side.BUY,
        quantity=100,
        order_type=OrderType.LIMIT,
        limit_price=190 * D,
        time_in_force=TimeInForce.DAY,
        advisor_id="ADV1",
        client_order_id="C-1",
    )
    fields.update(overrides)
    return OrderSpec(**fields)


@dataclass
class OmsWorld:
    """An Oms on a ManualClock and an in-memory log, with steps as one-liners."""

    clock: ManualClock = field(default_factory=lambda: ManualClock(T0))
    log: InMemoryEventLog = field(default_factory=InMemoryEventLog)
    ids: SequentialIds = field(default_factory=SequentialIds)
    oms: Oms = field(init=False)
    _exec_seq: int = 0

    def __post_init__(self) -> None:
        self.oms = Oms(self.clock, self.ids, self.log)

    # -- building orders ------------------------------------------------------
    def new(self, **spec: Any) -> Order:
        return self.oms.create(make_spec(**spec), self.clock.now_ns())

    def validated(self, **spec: Any) -> Order:
        order = self.new(**spec)
        assert self.oms.validate(order.order_id, lambda account: True)
        return order

    def approved(self, **spec: Any) -> Order:
        order = self.validated(**spec)
        assert self.oms.record_risk(order.order_id, True, (PASS,))
        return order

    def children(self, order: Order, *slices: tuple[str, int]) -> tuple[ChildOrder, ...]:
        """Child orders for ``(venue, quantity)`` slices, as a router would plan them."""
        spec = order.spec
        return tuple(
            ChildOrder(self.ids.next_id("CH"), order.order_id, venue, spec.symbol, spec.side, qty,
                       spec.order_type, spec.limit_price, spec.time_in_force)
            for venue, qty in slices
        )

    def route(self, order: Order, *slices: tuple[str, int]) -> tuple[ChildOrder, ...]:
        """Record a routing of ``order`` (whole leaves to XNAS unless slices are given)."""
        kids = self.children(order, *(slices or (("XNAS", order.leaves_qty),)))
        self.oms.record_routed(order.order_id, kids)
        return kids

    def routed(self, *slices: tuple[str, int], **spec: Any) -> tuple[Order, tuple[ChildOrder, ...]]:
        order = self.approved(**spec)
        return order, self.route(order, *slices)

    # -- venue reports --------------------------------------------------------
    def report(self, kind: ExecKind, child: ChildOrder, **kw: Any) -> ExecutionReport:
        self._exec_seq += 1
        kw.setdefault("exec_id", f"{child.venue}-E{self._exec_seq}")
        return ExecutionReport(kind, child.venue, child.child_id, child.order_id, self.clock.now_ns(), **kw)

    def fill(self, child: ChildOrder, qty: int, px: int, leaves: int, fee: int = 0,
             liquidity: Liquidity = Liquidity.TAKER) -> ExecutionReport:
        return self.report(ExecKind.FILL, child, last_qty=qty, last_px=px, leaves_qty=leaves, fee=fee,
                           liquidity=liquidity)

    def deliver(self, report: ExecutionReport) -> NextStep:
        return self.oms.on_execution(report)

    # -- reading the log ------------------------------------------------------
    def events(self, order_id: str | None = None) -> list[OrderEvent]:
        return [e for e in self.log.read() if order_id is None or e.order_id == order_id]

    def types(self, order_id: str) -> list[EventType]:
        return [e.event_type for e in self.events(order_id)]


@pytest.fixture
def world() -> OmsWorld:
    return OmsWorld()


@pytest.fixture
def new_world():
    """For tests that need more than one independent world."""
    return OmsWorld


@pytest.fixture
def body():
    """``body(**overrides)``: a valid order request body."""
    return valid_body


@pytest.fixture
def spec():
    """``spec(**overrides)``: an OrderSpec."""
    return make_spec


@pytest.fixture
def policy():
    """Passing and failing policy decisions for ``Oms.record_risk``."""
    return PASS, FAIL


def settle_next_day(now_ns: int) -> int:
    """T+1 at 14:00 UTC: a stand-in for the business calendar."""
    return (now_ns // DAY + 1) * DAY + 14 * 3_600 * SEC


@pytest.fixture
def settlement():
    return settle_next_day


def fill_events(events: Iterable[OrderEvent]) -> list[OrderEvent]:
    return [e for e in events if e.event_type in (EventType.ORDER_FILLED, EventType.ORDER_PARTIALLY_FILLED)]


@pytest.fixture
def fills_of():
    """``fills_of(events)``: the fill events among them, in order."""
    return fill_events
