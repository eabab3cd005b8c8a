"""Stateful property: random command sequences never break the OMS's invariants.

A hypothesis state machine drives one Oms (ManualClock, in-memory log) and a
PostTrade with commands in any order: create, validate, risk, route (1-3
children), venue reports (ACK, fills up to the child's leaves, cancels, rejects,
end-of-day cancels, duplicates of earlier reports), client cancels, expiry,
post-trade and clock advances through settlement. Each command's outcome is
predicted from the order's state before it; a command the lifecycle forbids
must raise IllegalTransition and change nothing. After every step the books
are checked against the event log.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from components.domain.events import EventType, Outcome, PolicyDecision
from components.domain.lifecycle import ALLOWED, IllegalTransition, is_terminal
from components.domain.money import CENT, PRICE_SCALE
from components.domain.orders import Order, OrderSpec, OrderStatus, OrderType, Side, TimeInForce
from components.domain.outcomes import NextStep
from components.domain.venues import ChildOrder, ExecKind, ExecutionReport, Liquidity
from components.memory import InMemoryEventLog, ManualClock, SequentialIds
from components.oms import Oms
from components.post_trade import PostTrade

S = OrderStatus
D = PRICE_SCALE
SEC = 1_000_000_000
DAY = 86_400 * SEC
T0 = 20_000 * DAY + 14 * 3_600 * SEC
VENUES = ("ARCX", "BATS", "XNAS")
PASS = PolicyDecision("max_notional", "1.0", Outcome.PASS)
FAIL = PolicyDecision("max_notional", "1.0", Outcome.FAIL, "NOTIONAL_EXCEEDS_MAX_PER_ORDER")
FILLS = (EventType.ORDER_FILLED, EventType.ORDER_PARTIALLY_FILLED)
NOT_AT_VENUE = (S.NEW, S.VALIDATED, S.RISK_APPROVED)
AT_VENUE = (S.ROUTED, S.PARTIALLY_FILLED)


def settle_next_day(now_ns: int) -> int:
    return (now_ns // DAY + 1) * DAY + 14 * 3_600 * SEC


def routable(order: Order) -> bool:
    """What a router would route: an approved order, or a working one with nothing at a venue."""
    return order.status is S.RISK_APPROVED or (order.status in AT_VENUE and not order.open_children)


def done_with_fills(order: Order) -> bool:
    return order.status is S.FILLED or (order.status in (S.CANCELED, S.EXPIRED) and order.filled_qty > 0)


class OmsMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock(T0)
        self.log = InMemoryEventLog()
        self.oms = Oms(self.clock, SequentialIds(), self.log)
        self.post = PostTrade(self.oms, self.clock, settle_next_day)
        self.child_ids = SequentialIds("T")
        self.live: dict[str, dict[str, tuple[ChildOrder, int]]] = {}  # the venues' view: child -> leaves
        self.refused_since_routing: set[str] = set()  # orders a venue refused since their last routing
        self.sent: list[ExecutionReport] = []
        self.frozen: dict[str, tuple] = {}
        self.exec_seq = 0
        self.coid = 0

    # -- helpers ----------------------------------------------------------------
    def state(self) -> tuple:
        """Everything a refused or ignored command must leave alone."""
        return len(self.log), tuple(
            (o.order_id, o.status, o.filled_qty, o.filled_notional, o.fees, tuple(sorted(o.open_children.items())))
            for o in self.oms.orders.values()
        ), self.post.pending

    def cancel_requests(self, order_id: str) -> int:
        return sum(1 for e in self.log.read()
                   if e.order_id == order_id and e.event_type is EventType.ORDER_CANCEL_REQUESTED)

    def pick(self, data, applies=None) -> str:
        """An order id: usually one the command applies to (if any), sometimes any order at all,
        so that refusals are exercised too."""
        ids = list(self.oms.orders)
        if applies is not None:
            fitting = [i for i in ids if applies(self.oms.orders[i])]
            if fitting and data.draw(st.integers(0, 3), label="prefer fitting") > 0:
                ids = fitting
        return data.draw(st.sampled_from(ids), label="order")

    def refused(self, call, *args) -> None:
        before = self.state()
        with pytest.raises(IllegalTransition):
            call(*args)
        assert self.state() == before

    def deliver(self, report: ExecutionReport) -> NextStep:
        self.sent.append(report)
        return self.oms.on_execution(report)

    # -- commands ---------------------------------------------------------------
    @precondition(lambda self: len(self.oms.orders) < 4)  # few orders, each driven deep
    @rule(qty=st.integers(1, 300), side=st.sampled_from(Side), market=st.booleans(),
          tif=st.sampled_from(TimeInForce), account=st.sampled_from(["A1", "A2"]))
    def create(self, qty, side, market, tif, account):
        self.coid += 1
        spec = OrderSpec(account, "AAPL", side, qty, OrderType.MARKET if market else OrderType.LIMIT,
                         None if market else 190 * D, tif, "ADV1", f"C-{self.coid}")
        order = self.oms.create(spec, self.clock.now_ns())
        assert order.status is S.NEW and order.filled_qty == 0
        self.live[order.order_id] = {}

    @precondition(lambda self: self.oms.orders)
    @rule(data=st.data(), known=st.sampled_from([True, True, True, False]))
    def validate(self, data, known):
        self._validate(self.pick(data, lambda o: o.status is S.NEW), known)

    def _validate(self, order_id, known):
        order = self.oms.get(order_id)
        before = self.state()
        was = order.status
        result = self.oms.validate(order_id, lambda account: known)
        if was is S.NEW:
            assert result is known
            assert order.status is (S.VALIDATED if known else S.REJECTED)
        else:
            assert result is False and self.state() == before

    @precondition(lambda self: self.oms.orders)
    @rule(data=st.data(), approved=st.sampled_from([True, True, True, False]))
    def record_risk(self, data, approved):
        self._record_risk(self.pick(data, lambda o: o.status is S.VALIDATED), approved)

    def _record_risk(self, order_id, approved):
        order = self.oms.get(order_id)
        before = self.state()
        was = order.status
        result = self.oms.record_risk(order_id, approved, (PASS,) if approved else (PASS, FAIL))
        if was is S.VALIDATED:
            assert result is approved
            assert order.status is (S.RISK_APPROVED if approved else S.BLOCKED)
        else:
            assert result is False and self.state() == before

    @precondition(lambda self: self.oms.orders)
    @rule(data=st.data())
    def record_routed(self, data):
        self._record_routed(self.pick(data, routable), data)

    def _record_routed(self, order_id, data):
        order = self.oms.get(order_id)
        was = order.status
        if was in AT_VENUE and order.open_children:
            return  # a router only (re)routes an order with nothing working
        n = data.draw(st.integers(1, 3), label="children")
        leaves = max(order.leaves_qty, 1)
        n = min(n, leaves)
        cuts = sorted(data.draw(st.sets(st.integers(1, leaves - 1), min_size=n - 1, max_size=n - 1), label="cuts")) \
            if n > 1 else []
        sizes = [b - a for a, b in zip([0, *cuts], [*cuts, leaves])]
        venues = data.draw(st.lists(st.sampled_from(VENUES), min_size=n, max_size=n), label="venues")
        spec = order.spec
        kids = [ChildOrder(self.child_ids.next_id("CH"), order_id, venue, spec.symbol, spec.side, size,
                           spec.order_type, spec.limit_price, spec.time_in_force)
                for venue, size in zip(venues, sizes)]
        if was not in (S.RISK_APPROVED, *AT_VENUE):
            self.refused(self.oms.record_routed, order_id, kids)
            return
        self.oms.record_routed(order_id, kids)
        self.refused_since_routing.discard(order_id)
        assert order.status is (S.ROUTED if was is S.RISK_APPROVED else was)
        assert order.open_children == {k.child_id: k.quantity for k in kids}
        assert sum(order.open_children.values()) == order.leaves_qty
        self.live[order_id] = {k.child_id: (k, k.quantity) for k in kids}

    @precondition(lambda self: self.oms.orders)
    @rule(data=st.data(), kind=st.sampled_from(["ACK", "FILL", "FILL", "FILL", "CANCELED", "END_OF_DAY", "REJECTED"]))
    def venue_report(self, data, kind):
        self._venue_report(self.pick(data, lambda o: bool(o.open_children)), data, kind)

    def _venue_report(self, order_id, data, kind):
        live = self.live[order_id]
        if not live:
            return
        order = self.oms.get(order_id)
        child_id = data.draw(st.sampled_from(sorted(live)), label="child")
        child, leaves = live[child_id]
        self.exec_seq += 1
        self.clock.advance_to(self.clock.now_ns() + data.draw(st.integers(0, 60 * SEC), label="latency"))
        common = dict(venue=child.venue, child_id=child_id, order_id=order_id, timestamp_ns=self.clock.now_ns(),
                      exec_id=f"{child.venue}-E{self.exec_seq}")
        filled_before = order.filled_qty
        if kind == "FILL":
            qty = data.draw(st.integers(1, leaves), label="qty")
            px = data.draw(st.integers(185 * D // CENT, 195 * D // CENT), label="px") * CENT
            fee = data.draw(st.integers(-40, 40), label="fee")
            report = ExecutionReport(ExecKind.FILL, last_qty=qty, last_px=px, leaves_qty=leaves - qty,
                                     liquidity=Liquidity.MAKER if fee < 0 else Liquidity.TAKER, fee=fee, **common)
            step = self.deliver(report)
            assert order.filled_qty == filled_before + qty
            if leaves - qty:
                live[child_id] = (child, leaves - qty)
            else:
                del live[child_id]
        elif kind == "ACK":
            before = self.state()
            step = self.deliver(ExecutionReport(ExecKind.ACK, leaves_qty=leaves, **common))
            assert self.state() == before
        else:
            exec_kind = ExecKind.REJECTED if kind == "REJECTED" else ExecKind.CANCELED
            reason = {"END_OF_DAY": "END_OF_DAY", "REJECTED": "VENUE_REJECTED"}.get(kind, "")
            step = self.deliver(ExecutionReport(exec_kind, reason=reason, **common))
            if kind == "REJECTED":
                self.refused_since_routing.add(order_id)
            del live[child_id]
            assert order.filled_qty == filled_before
        if live:
            assert step is NextStep.NOTHING and order.status in AT_VENUE
        elif step is NextStep.POST_TRADE:
            assert done_with_fills(order)
        elif step is NextStep.REROUTE:
            # A venue refused part of the order since it was last routed (whichever report came last).
            assert order_id in self.refused_since_routing and order.status in AT_VENUE
            assert not order.open_children
            assert self.oms.reroutes.get(order_id, 0) < 2  # counted when the reroute is recorded
        else:
            assert step is NextStep.NOTHING
            assert order.status in (S.REJECTED, S.CANCELED, S.EXPIRED) and order.filled_qty == 0
        if kind == "END_OF_DAY" and not live and order.status is not S.FILLED:
            assert order.status is S.EXPIRED

    @precondition(lambda self: any(not is_terminal(o) and not done_with_fills(o) for o in self.oms.orders.values()))
    @rule(data=st.data())
    def progress(self, data):
        """One happy-path step for one working order, so that runs reach fills and settlement."""
        order_id = self.pick(data, lambda o: not is_terminal(o) and not done_with_fills(o))
        order = self.oms.get(order_id)
        if order.status is S.NEW:
            self._validate(order_id, True)
        elif order.status is S.VALIDATED:
            self._record_risk(order_id, True)
        elif routable(order):
            self._record_routed(order_id, data)
        elif order.open_children:
            self._venue_report(order_id, data, "FILL")

    @precondition(lambda self: any(self.live.values()))
    @rule(now=st.integers(0, 4))
    def venues_close(self, now):
        """End of day at every venue: each working child is canceled with END_OF_DAY."""
        if now:
            return  # the close is a rare event; most draws let the day go on
        for order_id, live in self.live.items():
            for child_id in sorted(live):
                child, _ = live.pop(child_id)
                self.exec_seq += 1
                step = self.deliver(ExecutionReport(ExecKind.CANCELED, child.venue, child_id, order_id,
                                                    self.clock.now_ns(), reason="END_OF_DAY",
                                                    exec_id=f"{child.venue}-E{self.exec_seq}"))
                if not live:
                    assert self.oms.get(order_id).status is S.EXPIRED
                    assert step is (NextStep.POST_TRADE if self.oms.get(order_id).filled_qty else NextStep.NOTHING)

    @precondition(lambda self: self.sent)
    @rule(data=st.data())
    def redeliver(self, data):
        report = data.draw(st.sampled_from(self.sent), label="duplicate")
        before = self.state()
        assert self.oms.on_execution(report) is NextStep.NOTHING
        assert self.state() == before

    @precondition(lambda self: self.oms.orders)
    @rule(data=st.data())
    def request_cancel(self, data):
        if data.draw(st.integers(0, 1), label="rare"):
            return
        order_id = self.pick(data, lambda o: bool(o.open_children))
        order = self.oms.get(order_id)
        was = order.status
        working = sorted((child.venue, cid) for cid, (child, _) in self.live[order_id].items())
        before, asked_before = self.state(), self.cancel_requests(order_id)
        pairs = self.oms.request_cancel(order_id)
        if was in NOT_AT_VENUE:
            assert pairs == () and order.status is S.CANCELED
        elif was in AT_VENUE and working:
            assert sorted(pairs) == working
            logged, orders, pending = self.state()
            assert (orders, pending) == before[1:]  # canceled only when the venues confirm
            asked = self.cancel_requests(order_id)
            assert asked == 1  # the request is one fact, however often it is repeated
            assert logged == before[0] + asked - asked_before
        else:
            assert pairs == () and self.state() == before

    @precondition(lambda self: self.oms.orders)
    @rule(data=st.data())
    def expire(self, data):
        if data.draw(st.integers(0, 2), label="rare"):
            return
        order_id = self.pick(data, None)
        order = self.oms.get(order_id)
        if order.status in NOT_AT_VENUE or (order.status in AT_VENUE and not order.open_children):
            self.oms.expire(order_id)
            assert order.status is S.EXPIRED
        else:
            self.refused(self.oms.expire, order_id)

    @precondition(lambda self: self.oms.orders)
    @rule(data=st.data())
    def post_trade(self, data):
        order_id = self.pick(data, done_with_fills)
        order = self.oms.get(order_id)
        pending = self.post.pending
        if done_with_fills(order):
            self.post.process(order_id)
            assert order.status is S.CONFIRMED and self.post.pending == pending + 1
        else:  # not done, already processed, or nothing filled: a no-op
            before = self.state()
            self.post.process(order_id)
            assert self.state() == before

    @rule(delta=st.integers(0, 3_600 * SEC))
    def advance(self, delta):
        self.clock.advance_to(self.clock.now_ns() + delta)

    @precondition(lambda self: self.post.pending)
    @rule(late=st.integers(-1, 3_600 * SEC))
    def advance_to_settlement(self, late):
        """To (or just before, late=-1) the next settlement date on the calendar."""
        self.clock.advance_to(settle_next_day(self.clock.now_ns()) + late)

    # -- invariants -------------------------------------------------------------
    @invariant()
    def books_match_the_log(self):
        events = list(self.log.read())
        assert len({e.event_id for e in events}) == len(events)
        by_order: dict[str, list] = {}
        for e in events:
            by_order.setdefault(e.order_id, []).append(e)
        assert set(by_order) == set(self.oms.orders)
        for order_id, order in self.oms.orders.items():
            stream = by_order[order_id]
            assert [e.stream_seq for e in stream] == list(range(1, len(stream) + 1))
            assert order.status in ALLOWED
            assert 0 <= order.filled_qty <= order.spec.quantity
            fills = [e for e in stream if e.event_type in FILLS]
            assert order.filled_qty == sum(e.detail("last_qty") for e in fills)
            assert order.filled_notional == sum(e.detail("last_qty") * e.detail("last_px") for e in fills)
            assert order.fees == sum(e.detail("fee") for e in fills)
            # replay the statuses: every step allowed by the lifecycle
            assert stream[0].event_type is EventType.ORDER_RECEIVED
            status, cum = S.NEW, 0
            for e in stream[1:]:
                if e.event_type in FILLS:
                    cum += e.detail("last_qty")
                    assert e.detail("cum_qty") == cum
                target = e.status
                if target is None:
                    continue
                assert target in ALLOWED[status], f"{order_id}: {status.value} -> {target.value}"
                if status in (S.CANCELED, S.EXPIRED):
                    assert cum > 0, f"{order_id}: {status.value} -> {target.value} with nothing filled"
                status = target
            assert status is order.status

    @invariant()
    def open_children_are_what_the_venues_work(self):
        for order_id, order in self.oms.orders.items():
            assert order.open_children == {cid: leaves for cid, (_, leaves) in self.live[order_id].items()}
            if order.open_children:
                assert order.status in AT_VENUE
                assert sum(order.open_children.values()) <= order.leaves_qty

    @invariant()
    def terminal_orders_never_change(self):
        counts: dict[str, int] = {}
        for e in self.log.read():
            counts[e.order_id] = counts.get(e.order_id, 0) + 1
        for order_id, order in self.oms.orders.items():
            now = (order.status, order.filled_qty, order.fees, counts[order_id])
            if order_id in self.frozen:
                assert now == self.frozen[order_id], f"terminal order {order_id} changed"
            elif is_terminal(order):
                self.frozen[order_id] = now

    @invariant()
    def settlement_happens_on_time(self):
        now = self.clock.now_ns()
        for order_id, order in self.oms.orders.items():
            if order.status is S.CONFIRMED:
                confirm = [e for e in self.log.read() if e.order_id == order_id
                           and e.event_type is EventType.ORDER_CONFIRMED]
                assert confirm[-1].detail("settlement_ns") > now
            if order.status is S.SETTLED:
                settled = [e for e in self.log.read() if e.order_id == order_id
                           and e.event_type is EventType.ORDER_SETTLED][-1]
                sign = order.spec.side.sign
                assert settled.detail("net_cash") == -(sign * order.filled_notional + order.fees)
                assert settled.timestamp_utc == settled.detail("settlement_ns")


OmsMachine.TestCase.settings = settings(
    max_examples=150,
    stateful_step_count=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestOmsStateful = OmsMachine.TestCase
