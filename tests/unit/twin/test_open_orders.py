"""Issue 10: ``twin replay-log`` names every open order with its age and last event (it only counted them)."""

from __future__ import annotations

from components.domain.orders import OrderSpec, OrderType, Side, TimeInForce
from components.domain.venues import ChildOrder, ExecKind, ExecutionReport
from components.eventstore import Projections
from components.memory import InMemoryEventLog, ManualClock, SequentialIds
from components.oms import Oms
from twin.open_orders import open_order_lines

T0 = 1_700_000_000_000_000_000
SEC = 1_000_000_000


def test_open_orders_are_listed_with_age_and_last_event():
    clock, log = ManualClock(T0), InMemoryEventLog()
    oms = Oms(clock, SequentialIds(), log)
    spec = OrderSpec("A1", "AAPL", Side.BUY, 100, OrderType.LIMIT, 1_900_000, TimeInForce.DAY, "ADV1", "C-1")
    order = oms.create(spec, clock.now_ns())
    oms.validate(order.order_id, lambda a: True)
    oms.record_risk(order.order_id, True, ())
    child = ChildOrder("CH-1", order.order_id, "XNAS", "AAPL", Side.BUY, 100, OrderType.LIMIT, 1_900_000,
                       TimeInForce.DAY)
    oms.record_routed(order.order_id, [child])
    clock.advance_to(T0 + 12 * SEC)
    oms.on_execution(ExecutionReport(ExecKind.FLAGGED, "XNAS", "CH-1", order.order_id, clock.now_ns(),
                                     reason="STUCK_ROUTED_NO_ACK: ROUTED for 12.0 s"))
    done = oms.create(OrderSpec("A1", "AAPL", Side.BUY, 5, OrderType.LIMIT, 1_900_000, TimeInForce.DAY, "ADV1",
                                "C-2"), clock.now_ns())
    oms.validate(done.order_id, lambda a: False)  # rejected: not open
    clock.advance_to(T0 + 20 * SEC)
    projections = Projections().apply_all(log.read())
    lines = open_order_lines(projections)
    assert len(lines) == 2 and order.order_id in lines[1] and done.order_id not in "".join(lines)
    assert "ROUTED" in lines[1] and "age 12.0 s" in lines[1] and "last OrderFlagged 0.0 s ago" in lines[1]
    assert open_order_lines(Projections()) == []
