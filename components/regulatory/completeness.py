"""Completeness checks: each report reconciled with the raw event log before sign-off.

The figures are recounted from the events themselves (not from the
``OrderFacts`` the reports were built from), so a bug in gathering orders shows
up as a discrepancy. Every check returns a ``Check`` with the two sides and,
when they differ, the events behind the difference.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Iterable, Mapping, Sequence

from components.domain.events import EventType as E
from components.domain.events import OrderEvent
from components.domain.money import PRICE_SCALE

from .cat import Execution, check_linkage
from .orders import BLOCK_ACTOR, OrderFacts
from .rule606 import OrderClass, Published606, month_of, quarter_months, reportable


@dataclass(frozen=True, slots=True)
class Check:
    """One reconciliation: its name, what the log says, what the report says, the events behind a gap."""

    report: str
    name: str
    expected: str
    reported: str
    events: tuple[str, ...] = ()
    within_tolerance: bool | None = None  # set where the two sides may differ by rounding only

    @property
    def ok(self) -> bool:
        if self.within_tolerance is not None:
            return self.within_tolerance and not self.events
        return self.expected == self.reported and not self.events

    def to_record(self) -> dict[str, Any]:
        return {"report": self.report, "check": self.name, "ok": self.ok, "log": self.expected,
                "report_value": self.reported, "events": list(self.events)}


def _fills(events: Sequence[OrderEvent]) -> list[OrderEvent]:
    return [e for e in events if e.event_type in (E.ORDER_FILLED, E.ORDER_PARTIALLY_FILLED)]


def check_606(days: Sequence[tuple[Sequence[OrderEvent], Mapping[str, OrderFacts]]],
              report: Published606) -> list[Check]:
    """The 606 report against the logs (one (events, orders) pair per run/day): net payments equal
    the venue fees of the orders in scope and of their blocks; order-type percentages add to 100 (up
    to rounding); the orders counted are the routed customer orders; no canceled-before-route order
    is counted."""
    fee_units, in_scope_n, log_routed, bad, unrouted = 0, 0, 0, [], []
    months = {(report.year, m) for m in quarter_months(report.year, report.quarter)}
    for events, orders in days:
        in_scope = {o.order_id for o in orders.values() if reportable(o, report.year, report.quarter)}
        in_scope_n += len(in_scope)
        blocks = {orders[i].block_id for i in in_scope if orders[i].block_id}
        fee_units += sum(e.detail("fee", 0) for e in _fills(events)
                         if e.detail("venue") and (e.order_id in in_scope or e.order_id in blocks))
        bad += [o.received_event_id for i, o in orders.items() if i in in_scope and o.canceled_before_route]
        routed_ids = {e.order_id for e in events if e.event_type is E.ORDER_ROUTED}
        received = [e for e in events if e.event_type is E.ORDER_RECEIVED and e.actor != BLOCK_ACTOR
                    and month_of(e.timestamp_utc) in months]
        log_routed += sum(1 for e in received if e.order_id in routed_ids)
        unrouted += [e.event_id for e in received if e.order_id not in routed_ids and e.order_id in in_scope]
    reported_net = sum((v.net_usd[c] or Decimal(0) for s in report.sections for v in s.venues for c in OrderClass),
                       Decimal(0))
    expected_net = Decimal(-fee_units) / PRICE_SCALE
    # Each venue row is rounded to the cent: the sum may differ by half a cent per row and order type.
    rows = sum(len(s.venues) for s in report.sections) * len(OrderClass)
    net_ok = abs(expected_net - reported_net) <= Decimal("0.005") * rows
    checks = [Check("606", "net payment (USD) = -(venue fees of routed orders), to rounding",
                    f"{expected_net:.4f}", f"{reported_net:.2f}", within_tolerance=net_ok)]
    for s in report.sections:
        total = sum((p or Decimal(0) for p in s.class_pct.values()), Decimal(0))
        checks.append(Check("606", f"{report.year}-{s.month:02d} {s.section} order types add to 100",
                            "100.00", "100.00" if abs(total - 100) <= Decimal("0.03") else str(total)))
    checks.append(Check("606", "no canceled-before-route order counted as routed", "0", str(len(bad)), tuple(bad)))
    checks.append(Check("606", "orders in the report = customer orders of the quarter the log shows routed",
                        str(log_routed), str(in_scope_n), tuple(unrouted)))
    return checks


def check_cat(events: Sequence[OrderEvent], records: Sequence[Mapping[str, Any]],
              executions: Iterable[Execution]) -> list[Check]:
    """The CAT records against the log: counts, quantities and notionals per event kind, and linkage."""
    executions = list(executions)
    by_type: dict[str, list[Mapping[str, Any]]] = {}
    for r in records:
        by_type.setdefault(r["type"], []).append(r)

    def count(t: str) -> int:
        return len(by_type.get(t, ()))

    def qty(t: str) -> int:
        return sum(r["quantity"] for r in by_type.get(t, ()))

    received = [e for e in events if e.event_type is E.ORDER_RECEIVED]
    children = [c for e in events if e.event_type in (E.ORDER_ROUTED, E.ORDER_REROUTED)
                for c in e.detail("children", ())]
    fills = _fills(events)
    venue_fills = [e for e in fills if e.detail("venue")]
    passed = [e for e in fills if not e.detail("venue")]
    cancels = [e for e in events if e.event_type is E.ORDER_CANCELED]
    allocated = [a for e in events if e.event_type is E.ORDER_ALLOCATED
                 and e.detail("block_id") != e.order_id  # a block's own lines repeat its customer orders'
                 for a in e.detail("allocations", ()) if a["quantity"]]
    passed_notional = sum(e.detail("last_qty") * e.detail("last_px") for e in passed)
    meof_notional = sum(round(r["quantity"] * r["price"] * PRICE_SCALE) for r in by_type.get("MEOF", ()))
    reported_ids = {r["orderID"] for r in by_type.get("MENO", ())}
    missing_new = [e.event_id for e in received if e.order_id not in reported_ids]
    checks = [
        Check("CAT", "MENO count = orders received", str(len(received)), str(count("MENO")), tuple(missing_new)),
        Check("CAT", "MENO shares = shares received", str(sum(e.quantity for e in received)), str(qty("MENO"))),
        Check("CAT", "MEOR count = child orders routed", str(len(children)), str(count("MEOR"))),
        Check("CAT", "MEOR shares = child shares routed", str(sum(c["quantity"] for c in children)), str(qty("MEOR"))),
        Check("CAT", "venue executions = venue fills", str(len(venue_fills)), str(len(executions))),
        Check("CAT", "venue execution shares", str(sum(e.detail("last_qty") for e in venue_fills)),
              str(sum(x.quantity for x in executions))),
        Check("CAT", "MEOF count = block fills passed to customer orders", str(len(passed)), str(count("MEOF"))),
        Check("CAT", "MEOF notional (units)", str(passed_notional), str(meof_notional)),
        Check("CAT", "MEOC count = cancels", str(len(cancels)), str(count("MEOC"))),
        Check("CAT", "MEPA shares = allocated shares", str(sum(a["quantity"] for a in allocated)), str(qty("MEPA"))),
    ]
    problems = check_linkage(records, executions)
    checks.append(Check("CAT", "lifecycle linkage", "0 problems", f"{len(problems)} problems",
                        tuple(f"{p.rule} {p.ref}: {p.detail}" for p in problems)))
    return checks
