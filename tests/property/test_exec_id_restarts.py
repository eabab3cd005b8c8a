"""Issue 10, property: a venue that restarts at random (its ExecID counter starting from 1 again,
its orders kept) while orders fill, and that resends (PossDupFlag) what it sent, never loses nor
doubles a fill: each order's filled quantity and notional equal what the venue executed for it.

The reports take the live path from FIX fields to the OMS: ``messages.execution_report`` qualifies
each ExecID by the FIX session it came in (a restart starts a new session), and the OMS keys fills by
venue, child, ExecID, quantity and price. With the old key (venue, ExecID) this fails at once."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from components.domain.orders import OrderSpec, OrderType, Side, TimeInForce
from components.domain.venues import ChildOrder
from components.fix import wire as w
from components.memory import InMemoryEventLog, ManualClock, SequentialIds
from components.oms import Oms
from live.adapters.fix import messages as m

T0 = 1_700_000_000_000_000_000
PX = 2_000_000  # $200.0000 in units

# One step: (the venue restarts first?, fill quantity, price offset in units, resent afterwards?)
steps = st.lists(st.tuples(st.booleans(), st.integers(1, 40), st.integers(0, 3), st.booleans()),
                 min_size=1, max_size=60)


def units_text(units: int) -> str:
    return w.price_text(units)


@settings(max_examples=150, deadline=None)
@given(steps=steps, orders=st.integers(1, 5))
def test_venue_restarts_with_exec_id_reset_never_lose_or_double_a_fill(steps, orders):
    clock = ManualClock(T0)
    oms = Oms(clock, SequentialIds(), InMemoryEventLog())
    children = []
    for n in range(orders):
        spec = OrderSpec("A1", "AAPL", Side.BUY, 1_000, OrderType.LIMIT, PX, TimeInForce.DAY, "ADV1", f"C-{n}")
        order = oms.create(spec, clock.now_ns())
        oms.validate(order.order_id, lambda account: True)
        oms.record_risk(order.order_id, True, ())
        child = ChildOrder(f"CH-{n}", order.order_id, "XNAS", "AAPL", Side.BUY, 1_000, OrderType.LIMIT, PX,
                           TimeInForce.DAY)
        oms.record_routed(order.order_id, [child])
        children.append(child)
    executed = {c.child_id: [0, 0] for c in children}  # the venue's books: quantity, notional
    session, counter = 1, 0
    for i, (restart, qty, offset, resend) in enumerate(steps):
        if restart:
            session, counter = session + 1, 0  # a new FIX session; ExecIDs from 1 again
        child = children[i % len(children)]
        done = executed[child.child_id]
        if done[0] + qty > child.quantity:
            continue
        counter += 1
        done[0] += qty
        done[1] += qty * (PX - offset)
        fields = {w.CL_ORD_ID: child.child_id, w.EXEC_ID: str(counter), w.EXEC_TYPE: w.EXEC_TRADE,
                  w.LAST_QTY: str(qty), w.LAST_PX: units_text(PX - offset),
                  w.LEAVES_QTY: str(child.quantity - done[0]), w.CUM_QTY: str(done[0])}
        report = m.execution_report(fields, child, received_ns=clock.now_ns(), session=session)
        oms.on_execution(report)
        if resend:  # PossDupFlag=Y within the same session: exactly once
            oms.on_execution(m.execution_report(fields, child, received_ns=clock.now_ns(), session=session))
    for child in children:
        order = oms.orders[child.order_id]
        assert [order.filled_qty, order.filled_notional] == executed[child.child_id]
