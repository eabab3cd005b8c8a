"""Rebuild the OMS order table from the event log, and restart a crashed OMS from a snapshot plus replay.

Every order fact is in the log, so an OMS that lost its memory can get its
orders back by replaying their events: spec (from the envelope fields; the
client order id from ``OrderReceived``, the advisor from its actor), status
(``STATUS_OF``), filled quantity, notional and fees (fill events), the fills
already applied (so a redelivered execution report is still recognised as a
duplicate) and each order's last ``stream_seq`` (so the next event continues
the stream). Working children are derived from routing plans minus fills and
child rejections, and cleared when the order leaves the working states.

It also rebuilds what the OMS decides from those events: the venues that
refused each order, whether a venue refused part of it since it was last
routed (and with a market-wide reason), and its reroute count (one per
``ORDER_REROUTED``, which is where ``Oms.record_routed`` counts it).

Crash recovery (``restart``): the state is rebuilt from the newest
``OmsSnapshot`` (a deep copy taken between two messages) plus the events after
it, then ``reconcile``d with the venues, because two facts are not in the log:
a venue that ends one of several working children (others still open) writes
no event, and a client's cancel sent to the venues is only remembered in
memory until the order closes. The venues' answers to an order-status request
(every report about each child the rebuild thinks is working, and the cancels
we sent) are applied again through ``Oms.on_execution``, which dedupes them;
reports still in flight then arrive as duplicates and are ignored.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Iterable, Protocol, Sequence

from .domain.events import STATUS_OF, EventType, OrderEvent
from .domain.lifecycle import WORKING
from .domain.orders import Order, OrderSpec, OrderType, Side, TimeInForce
from .domain.venues import ExecutionReport
from .oms import MARKET_WIDE_REFUSALS, Oms, _Stream

class ReadableLog(Protocol):
    def read(self, start: int = 0) -> Iterable[OrderEvent]: ...


_FILLS = frozenset({EventType.ORDER_FILLED, EventType.ORDER_PARTIALLY_FILLED})
_ROUTING = frozenset({EventType.ORDER_ROUTED, EventType.ORDER_REROUTED})


def _spec(event: OrderEvent) -> OrderSpec:
    advisor = event.actor.removeprefix("advisor:") if event.actor.startswith("advisor:") else ""
    return OrderSpec(event.account_id, event.symbol, Side(event.side), event.quantity, OrderType(event.order_type),
                     event.limit_price, TimeInForce(event.time_in_force), advisor,
                     event.detail("client_order_id", ""))  # fmt: skip


def rebuild(oms: Oms, events: Iterable[OrderEvent]) -> Oms:
    """Replay ``events`` into ``oms`` (expected empty); returns it. Listeners are not called."""
    for event in events:
        order_id = event.order_id
        if not order_id:
            continue
        kind = event.event_type
        if kind is EventType.ORDER_RECEIVED:
            order = oms.orders[order_id] = Order(order_id, event.trace_id, _spec(event), event.recorded_at)
            oms._streams[order_id] = _Stream(order.spec, 0)
        order = oms.orders[order_id]
        oms._streams[order_id].seq = event.stream_seq
        d = event.details or {}
        if kind in _ROUTING:
            for child in d.get("children", ()):
                order.open_children[child["child_id"]] = child["quantity"]
                oms.child_venue[child["child_id"]] = child["venue"]
            if kind is EventType.ORDER_REROUTED:
                oms.reroutes[order_id] = oms.reroutes.get(order_id, 0) + 1
        elif kind in _FILLS:
            order.filled_qty += d["last_qty"]
            order.filled_notional += d["last_qty"] * d["last_px"]
            order.fees += d["fee"]
            child = d.get("child_id")
            if child in order.open_children:
                left = order.open_children[child] - d["last_qty"]
                if left > 0:
                    order.open_children[child] = left
                else:
                    del order.open_children[child]
            if d.get("exec_id") and d.get("venue"):
                oms._applied_fills.add((d["venue"], d["exec_id"]))
        elif kind is EventType.CHILD_ORDER_REJECTED:
            order.open_children.pop(d["child_id"], None)
            oms.refused_by.setdefault(order_id, set()).add(d["venue"])
            oms._refused_since_routing.add(order_id)
            if d.get("reason") in MARKET_WIDE_REFUSALS:
                oms._market_refusal[order_id] = MARKET_WIDE_REFUSALS[d["reason"]]
        if kind in _ROUTING:
            oms._refused_since_routing.discard(order_id)
        status = STATUS_OF.get(kind)
        if status is not None:
            order.status = status
            if status not in WORKING:
                order.open_children.clear()
                oms._refused_since_routing.discard(order_id)
                oms._market_refusal.pop(order_id, None)
                oms._cancel_requested.discard(order_id)
    return oms


# -- crash recovery: snapshot + replay, then reconcile with the venues ---------------------------

_STATE = ("orders", "_streams", "_cancel_requested", "reroutes", "refused_by", "_refused_since_routing",
          "_market_refusal", "child_venue", "_applied_fills")


@dataclass(frozen=True)
class OmsSnapshot:
    """The OMS's in-memory state after the first ``offset`` events of the log (a deep copy)."""

    offset: int
    state: dict


def snapshot(oms: Oms, offset: int) -> OmsSnapshot:
    """Copy ``oms``'s state; ``offset`` is the log length it reflects (take it between two messages)."""
    return OmsSnapshot(offset, copy.deepcopy({name: getattr(oms, name) for name in _STATE}))


def recover(oms: Oms, log: ReadableLog, snap: OmsSnapshot | None = None) -> Oms:
    """An OMS rebuilt into ``oms`` (expected empty) from ``snap`` plus the events after it
    (the whole log when there is no snapshot)."""
    start = 0
    if snap is not None:
        for name, value in copy.deepcopy(snap.state).items():
            setattr(oms, name, value)
        start = snap.offset
    return rebuild(oms, log.read(start))


def replace_state(live: Oms, rebuilt: Oms) -> None:
    """The live OMS object (its clock, ids, log and listeners stay) takes the rebuilt state."""
    for name in _STATE:
        setattr(live, name, getattr(rebuilt, name))


class StatusSource(Protocol):
    """The venue side of an order-status request (as FIX OrderMassStatusRequest on reconnect)."""

    def child_reports(self, venue: str, child_id: str) -> Sequence[ExecutionReport]:
        """Every report the venue sent about ``child_id``, in order (empty if it never got it)."""
        ...

    def cancel_sent(self, child_id: str) -> bool:
        """Whether we asked the venue to cancel ``child_id``."""
        ...


def reconcile(oms: Oms, venues: StatusSource) -> list[ExecutionReport]:
    """After a rebuild: the reports to apply again for every child the rebuild thinks is working.

    A child a venue ended while a sibling stayed open wrote no event, and a
    report may still be on its way (or held by the bus) when the OMS restarts,
    so the venue's own reports about each open child are applied again through
    ``Oms.on_execution``, which dedupes them (fills by exec id, the rest by the
    child no longer working); the originals still in flight then arrive as
    duplicates. Orders with a cancel already sent to a venue are marked cancel
    requested again (that fact is not in the log).
    """
    reports: list[ExecutionReport] = []
    children_of: dict[str, list[str]] = {}
    for order_id, order in oms.orders.items():
        if order.open_children:
            children_of[order_id] = list(order.open_children)
    for order_id, children in children_of.items():
        if any(venues.cancel_sent(child) for child in children):
            oms._cancel_requested.add(order_id)
        for child in children:
            reports.extend(venues.child_reports(oms.child_venue[child], child))
    return reports


def restart(live: Oms, log: ReadableLog, snap: OmsSnapshot | None, venues: StatusSource) -> list[ExecutionReport]:
    """A restarted OMS: ``live`` loses its in-memory state and takes the one rebuilt from
    ``snap`` plus the log after it; returns the venue reports to apply (``reconcile``)."""
    rebuilt = recover(Oms(live._clock, live._ids, live._log, live._actor), log, snap)
    replace_state(live, rebuilt)
    return reconcile(live, venues)
