"""CAT Industry Member order events implied by the event log, their linkage checks, and repairs.

Layout followed: *CAT Reporting Technical Specifications for Industry Members*,
version 4.0.0 r18 (CAT NMS Plan, 2022-12-16), as published in machine-readable
form (FIX Orchestra repository "FINRA CAT" 4.0.0-r18). Field names are the
spec's; only the fields the twin can fill are written (see
docs/regulatory_reporting.md for what is simplified).

What is produced, per order:
* ``MENO`` New Order: every order the firm received (advisor orders, and block-desk
  representative orders with ``representativeInd`` and ``aggregatedOrders`` naming
  the customer orders the block represents);
* ``MEOR`` Order Route: every child order sent to a venue (first routes and reroutes);
* ``MEOC`` Order Canceled: every cancel (IOC remainders, venue and client cancels);
* ``MEOF`` Order Fulfillment: a block's fills passed to each represented customer order;
* ``MEPA`` Post-Trade Allocation: every allocation line of a customer order.
Not produced: ``MEOA`` (the firm receives no orders from other CAT reporters),
``MEOM`` (the twin has no order modifications), and venue executions, which the
exchange reports; those are kept as ``Execution`` references so the checks can
prove every fill links to a route.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Iterable, Mapping

from components.domain.money import PRICE_SCALE

from .orders import OrderFacts

SPEC_VERSION = "CAT Reporting Technical Specifications for Industry Members v4.0.0 r18 (2022-12-16)"
SIDE = {"BUY": "B", "SELL": "SL"}
ORDER_TYPE = {"MARKET": "MKT", "LIMIT": "LMT"}
# Venues that are Industry Members (a wholesaler), not exchanges: destinationType 'F', else 'E'.
MEMBER_VENUES = frozenset({"WHSL"})


@dataclass(frozen=True, slots=True)
class Execution:
    """A venue execution (reported to CAT by the venue): kept to check fill -> route linkage."""

    exec_id: str
    routed_order_id: str
    order_id: str
    quantity: int
    event_id: str


def _date(ns: int) -> int:
    return int(datetime.fromtimestamp(ns // 1_000_000_000, tz=timezone.utc).strftime("%Y%m%d"))


def _price(units: int | None) -> float | None:
    # A JSON number; units / 10,000 has at most 4 decimals, and float repr prints it exactly.
    return None if units is None else float(Decimal(units) / PRICE_SCALE)


class _Ids:
    """firmROEIDs: ``<event date>_<sequence>``, unique per date and reporter as the spec requires."""

    def __init__(self) -> None:
        self.n: dict[int, int] = {}

    def __call__(self, ns: int) -> str:
        d = _date(ns)
        self.n[d] = self.n.get(d, 0) + 1
        return f"{d}_{self.n[d]}"


def cat_events(orders: Iterable[OrderFacts], reporter: str) -> tuple[list[dict[str, Any]], list[Execution]]:
    """The CAT records of ``orders`` (in log order) and the venue executions behind them."""
    orders = list(orders)
    members: dict[str, list[OrderFacts]] = {}
    for o in orders:
        if o.block_id:
            members.setdefault(o.block_id, []).append(o)
    keys = {o.order_id: o.received_ns for o in orders}
    ids = _Ids()
    records: list[dict[str, Any]] = []
    executions: list[Execution] = []
    for o in orders:
        key = o.received_ns
        base = {"actionType": "NEW", "CATReporterIMID": reporter, "symbol": o.symbol}
        tif = {"DAY": _date(o.received_ns)} if o.time_in_force == "DAY" else {"IOC": True}
        order_type = ORDER_TYPE.get(o.order_type, o.order_type)
        meno = {**base, "firmROEID": ids(o.received_ns), "type": "MENO", "orderKeyDate": key, "orderID": o.order_id,
                "eventTimestamp": o.received_ns, "manualFlag": False, "deptType": "A", "side": SIDE[o.side],
                "quantity": o.quantity, "orderType": order_type, "timeInForce": tif, "tradingSession": "REG",
                "custDspIntrFlag": False, "firmDesignatedID": o.account_id,
                "accountHolderType": "O" if o.is_block else "I", "affiliateFlag": False,
                "representativeInd": "YF" if o.is_block else "N"}
        if o.limit_price is not None:
            meno["price"] = _price(o.limit_price)
        if o.is_block:
            meno["aggregatedOrders"] = [{"orderKeyDate": m.received_ns, "orderID": m.order_id, "quantity": m.quantity}
                                        for m in members.get(o.order_id, ())]
        records.append(meno)
        for r in o.routes:
            rec = {**base, "firmROEID": ids(r.timestamp_ns), "type": "MEOR", "orderKeyDate": key,
                   "orderID": o.order_id, "eventTimestamp": r.timestamp_ns, "manualFlag": False,
                   "senderIMID": reporter, "destination": r.venue,
                   "destinationType": "F" if r.venue in MEMBER_VENUES else "E", "routedOrderID": r.child_id,
                   "session": r.venue, "side": SIDE[o.side], "quantity": r.quantity, "orderType": order_type,
                   "timeInForce": tif, "tradingSession": "REG", "affiliateFlag": False, "isoInd": "NA",
                   "routeRejectedFlag": r.child_id in o.rejected_children}
            if r.limit_price is not None:
                rec["price"] = _price(r.limit_price)
            records.append(rec)
        for f in o.fills:
            if f.venue:  # the venue reports the execution; we keep it to check the link to our route
                executions.append(Execution(f.exec_id, f.child_id, o.order_id, f.quantity, f.event_id))
                continue
            # A block's execution passed to a customer order it represents: Order Fulfillment.
            records.append({**base, "firmROEID": ids(f.timestamp_ns), "type": "MEOF", "fillKeyDate": f.timestamp_ns,
                            "fulfillmentID": f.exec_id, "eventTimestamp": f.timestamp_ns, "manualFlag": False,
                            "fulfillmentLinkType": "Y", "quantity": f.quantity, "price": _price(f.price),
                            "capacity": "A",
                            "clientDetails": {"orderKeyDate": key, "orderID": o.order_id, "side": SIDE[o.side]},
                            "firmDetails": {"orderKeyDate": keys.get(o.block_id, 0), "orderID": o.block_id,
                                            "side": SIDE[o.side]}})
        if o.cancel_event_id:
            records.append({**base, "firmROEID": ids(o.cancel_ns), "type": "MEOC", "orderKeyDate": key,
                            "orderID": o.order_id, "eventTimestamp": o.cancel_ns, "manualFlag": False,
                            "cancelQty": o.cancel_leaves, "leavesQty": 0, "initiator": "F"})
        if o.allocations and not o.is_block:  # a block's lines are its customer orders' own allocations
            avg = _price((2 * o.filled_notional + o.filled_qty) // (2 * o.filled_qty)) if o.filled_qty else None
            for n, line in enumerate(o.allocations, 1):
                if line.quantity == 0:
                    continue
                records.append({**base, "firmROEID": ids(o.allocation_ns), "type": "MEPA",
                                "allocationKeyDate": o.allocation_ns, "allocationID": f"{o.order_id}-A{n}",
                                "orderKeyDate": key, "orderID": o.order_id, "eventTimestamp": o.allocation_ns,
                                "manualFlag": False, "side": SIDE[o.side], "price": avg,
                                "quantity": line.quantity, "firmDesignatedID": line.account_id,
                                "tradeDate": _date(o.fills[0].timestamp_ns if o.fills else o.allocation_ns),
                                "allocationType": "CUST", "institutionFlag": False})
    return records, executions


@dataclass(frozen=True, slots=True)
class LinkageProblem:
    """A record whose link to its lifecycle is missing: which record, which rule, what it names."""

    rule: str
    ref: str  # the record's firmROEID, or the execution's exec id
    detail: str


def check_linkage(records: Iterable[Mapping[str, Any]], executions: Iterable[Execution] = ()) -> list[LinkageProblem]:
    """Lifecycle linkage: every route links to a new order, every fill to a route, every
    fulfillment to a routed representative order and a new customer order, every allocation to
    an order that was filled, every cancel to a new order, every aggregated order to a new order."""
    records = list(records)
    new = {(r["orderKeyDate"], r["orderID"]) for r in records if r["type"] == "MENO"}
    routed = {(r["orderKeyDate"], r["orderID"]) for r in records if r["type"] == "MEOR"}
    routes = {r["routedOrderID"]: r["orderID"] for r in records if r["type"] == "MEOR"}
    problems: list[LinkageProblem] = []
    filled: set[str] = set()
    for x in executions:
        if routes.get(x.routed_order_id) != x.order_id:
            problems.append(LinkageProblem("fill->route", x.exec_id,
                                           f"execution on {x.routed_order_id} of {x.order_id} has no matching MEOR "
                                           f"(event {x.event_id})"))
        filled.add(x.order_id)
    for r in records:
        t, ref = r["type"], r["firmROEID"]
        if t in ("MEOR", "MEOC") and (r["orderKeyDate"], r["orderID"]) not in new:
            problems.append(LinkageProblem(f"{t}->MENO", ref, f"order {r['orderID']} has no New Order"))
        elif t == "MENO":
            for agg in r.get("aggregatedOrders", ()):
                if (agg["orderKeyDate"], agg["orderID"]) not in new:
                    problems.append(LinkageProblem("aggregated->MENO", ref,
                                                   f"aggregated order {agg['orderID']} has no New Order"))
        elif t == "MEOF":
            firm, client = r["firmDetails"], r["clientDetails"]
            if (firm["orderKeyDate"], firm["orderID"]) not in routed:
                problems.append(LinkageProblem("MEOF->route", ref,
                                               f"representative order {firm['orderID']} was never routed"))
            if (client["orderKeyDate"], client["orderID"]) not in new:
                problems.append(LinkageProblem("MEOF->MENO", ref,
                                               f"customer order {client['orderID']} has no New Order"))
            filled.add(client["orderID"])
    for r in records:
        if r["type"] == "MEPA" and r["orderID"] not in filled:
            problems.append(LinkageProblem("MEPA->fill", r["firmROEID"], f"order {r['orderID']} has no fill"))
    return problems


@dataclass(frozen=True, slots=True)
class Rejection:
    """One record CAT refused, as its feedback names it."""

    firm_roe_id: str
    error_roe_id: int
    error_codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Repair:
    """What to send back for a rejection: a RPR record (and any missing parent it needs), or why not."""

    rejection: Rejection
    records: tuple[dict[str, Any], ...]
    unresolved: str = ""


def repair(rejections: Iterable[Rejection], submitted: Iterable[Mapping[str, Any]],
           expected: Iterable[Mapping[str, Any]]) -> list[Repair]:
    """Repairs for rejected records. ``submitted`` is what was sent, ``expected`` what the event log
    implies now (``cat_events``). The repair of a rejected record is the log's record with the same
    firmROEID, marked ``actionType: RPR`` with CAT's ``errorROEID``; when the expected record names
    an order whose New Order was never submitted, that MENO is sent too. A rejected firmROEID the log
    does not know cannot be repaired automatically and is left for a person (``unresolved``)."""
    sent = {r["firmROEID"]: r for r in submitted}
    truth = {r["firmROEID"]: r for r in expected}
    sent_new = {(r["orderKeyDate"], r["orderID"]) for r in sent.values() if r["type"] == "MENO"}
    new_by_key = {(r["orderKeyDate"], r["orderID"]): r for r in truth.values() if r["type"] == "MENO"}
    out = []
    for rej in rejections:
        good = truth.get(rej.firm_roe_id)
        if good is None or rej.firm_roe_id not in sent:
            out.append(Repair(rej, (), f"firmROEID {rej.firm_roe_id} is not in the submitted file or the event log"))
            continue
        fixed = {**good, "actionType": "RPR", "errorROEID": rej.error_roe_id}
        extra = []
        key = (good.get("orderKeyDate"), good.get("orderID"))
        if good["type"] != "MENO" and key in new_by_key and key not in sent_new:
            extra.append(dict(new_by_key[key]))
        out.append(Repair(rej, (*extra, fixed)))
    return out
