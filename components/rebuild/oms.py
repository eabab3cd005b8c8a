"""Rebuild the OMS order table from the event log, and restart a crashed OMS from a snapshot plus replay.

Every order fact is in the log, so an OMS that lost its memory can get its
orders back by replaying their events: spec (from the envelope fields; the
client order id from ``OrderReceived``, the advisor from its actor), status
(``STATUS_OF``), filled quantity, notional and fees (fill events), the fills
already applied (so a redelivered execution report is still recognised as a
duplicate) and each order's last ``stream_seq`` (so the next event continues
the stream). Working children are derived from routing plans minus fills and
child rejections, and cleared when the order leaves the working states; what the
OMS then drops (a child's venue when the child ends, an order's applied fills when
it stops working and, once it is terminal or confirmed, its stream's spec fields:
``Oms._release``) is dropped here too. Working
children with no logged venue report (no fill, no rejection) are held as
``awaiting_venue``: acks are not logged, so the log cannot tell a child the venue
has from one a process died before sending, and a RouteOrder delivered again
sends them again (venues ignore a child id they already hold).

It also rebuilds what the OMS decides from those events: the venues that
refused each order, whether a venue refused part of it since it was last
routed (and with a market-wide reason), and its reroute count (one per
``ORDER_REROUTED``, which is where ``Oms.record_routed`` counts it).

Crash recovery (``restart``): the state is rebuilt from the newest
``OmsSnapshot`` (a deep copy taken between two messages) plus the events after
it, through ``OmsPart``, the OMS's ``components.rebuild.Part`` (the same
snapshot-and-replay every crashable component uses), then ``reconcile``d with
the venues, because a venue that ends one of several working children
(others still open) writes no event. The venues' answers to an order-status
request (every report about each child the rebuild thinks is working, and the
cancels we sent) are applied again through ``Oms.on_execution``, which dedupes
them; reports still in flight then arrive as duplicates and are ignored. A
client's cancel sent to the venues is in the log (``OrderCancelRequested``);
the venues' record of cancels we sent still counts, for logs older than that.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any, Iterable, Protocol, Sequence

from components.domain.events import STATUS_OF, EventType, OrderEvent
from components.domain.lifecycle import WORKING, is_terminal
from components.block_desk import BLOCK_ACCOUNT
from components.domain.orders import Order, OrderSpec, OrderStatus
from components.domain.venues import ExecutionReport
from components.oms import MARKET_WIDE_REFUSALS, VENUE_REJECTED, Oms, _Stream, fill_key, routed_child
from components.rebuild import ReadableLog, Snapshot, spec_of
from components.rebuild import recover as _recover

_FILLS = frozenset({EventType.ORDER_FILLED, EventType.ORDER_PARTIALLY_FILLED})
_ROUTING = frozenset({EventType.ORDER_ROUTED, EventType.ORDER_REROUTED})


def apply(oms: Oms, event: OrderEvent) -> None:
    """Replay one event into ``oms``'s state (listeners are not called)."""
    order_id = event.order_id
    if not order_id:
        oms.platform_seq = event.stream_seq  # the platform's own stream continues after a rebuild
        return
    kind = event.event_type
    if kind is EventType.ORDER_RECEIVED:
        spec = spec_of(event, event.detail("client_order_id", ""))
        order = oms.orders[order_id] = Order(order_id, event.trace_id, spec, event.recorded_at)
        oms._streams[order_id] = _Stream(order.spec, 0)
    order = oms.orders[order_id]
    stream = oms._streams.get(order_id)
    if stream is None:  # an event about a terminal order: its stream is open again, as in the OMS
        oms._closed_seq.pop(order_id, None)
        stream = oms._streams[order_id] = _Stream(order.spec, 0)
    stream.seq = event.stream_seq
    d = event.details or {}
    awaiting = oms.awaiting_venue
    if kind in _ROUTING:
        for child in d.get("children", ()):
            order.open_children[child["child_id"]] = child["quantity"]
            oms.child_venue[child["child_id"]] = child["venue"]
            awaiting[child["child_id"]] = routed_child(order, child)
        if kind is EventType.ORDER_REROUTED:
            oms.reroutes[order_id] = oms.reroutes.get(order_id, 0) + 1
    elif kind in _FILLS:
        order.filled_qty += d["last_qty"]
        order.filled_notional += d["last_qty"] * d["last_px"]
        order.fees += d["fee"]
        child = d.get("child_id")
        awaiting.pop(child, None)  # a fill: the venue has it
        if child in order.open_children:
            # The venue's leaves, as the live OMS took them (older events: ours, less the fill).
            left = d.get("leaves_qty", order.open_children[child] - d["last_qty"])
            if left > 0:
                order.open_children[child] = left
            else:
                del order.open_children[child]
                oms.child_venue.pop(child, None)  # as the OMS drops a child's venue when it ends
        if d.get("exec_id") and d.get("venue"):
            oms._add_fill(order, fill_key(d["venue"], d.get("child_id", ""), d["exec_id"], d["last_qty"],
                                          d["last_px"]))
    elif kind is EventType.EXECUTION_REFUSED:
        awaiting.pop(d.get("child_id"), None)  # a fill we refused still came from the venue
        if d.get("exec_id"):  # refused once: a redelivery is a duplicate
            oms._add_fill(order, fill_key(d["venue"], d.get("child_id", ""), d["exec_id"], d["last_qty"],
                                          d["last_px"]))
    elif kind is EventType.ORDER_CANCEL_REQUESTED:
        oms._cancel_requested.add(order_id)
    elif kind is EventType.CHILD_ORDER_REJECTED:
        order.open_children.pop(d["child_id"], None)
        oms.child_venue.pop(d["child_id"], None)
        awaiting.pop(d["child_id"], None)
        oms.refused_by.setdefault(order_id, set()).add(d["venue"])
        oms._refused_since_routing.add(order_id)
        if d.get("reason") in MARKET_WIDE_REFUSALS:
            oms._market_refusal[order_id] = MARKET_WIDE_REFUSALS[d["reason"]]
        if str(d.get("reason", "")).startswith(VENUE_REJECTED):
            oms.venue_refusal[order_id] = d["reason"]
    if kind in _ROUTING:
        oms._refused_since_routing.discard(order_id)
    status = STATUS_OF.get(kind)
    if status is not None:
        order.status = status
        if status not in WORKING:
            for child in order.open_children:
                awaiting.pop(child, None)
                oms.child_venue.pop(child, None)
            order.open_children.clear()
            oms._refused_since_routing.discard(order_id)
            oms._market_refusal.pop(order_id, None)
            oms._cancel_requested.discard(order_id)
            oms.venue_refusal.pop(order_id, None)
            # What the OMS drops when an order stops working (``Oms._release``), dropped here too.
            oms._applied_fills.pop(order_id, None)
            if is_terminal(order) or status is OrderStatus.CONFIRMED:
                oms._closed_seq[order_id] = oms._streams.pop(order_id).seq


def rebuild(oms: Oms, events: Iterable[OrderEvent]) -> Oms:
    """Replay ``events`` into ``oms`` (expected empty); returns it. Listeners are not called."""
    for event in events:
        apply(oms, event)
    return oms


# -- crash recovery: snapshot + replay, then reconcile with the venues ---------------------------

_STATE = ("orders", "_streams", "_closed_seq", "_cancel_requested", "reroutes", "refused_by",
          "_refused_since_routing", "_market_refusal", "child_venue", "_applied_fills",
          "platform_seq", "venue_refusal", "awaiting_venue")


OmsSnapshot = Snapshot
"""The OMS's snapshot: ``OmsPart.capture`` after the first ``offset`` events (the generic ``Snapshot``)."""


class OmsPart:
    """The OMS as a ``components.rebuild.Part``: the order table and what the OMS decides from it."""

    name = "oms"
    unlogged = 0  # a cancel sent to venues is re-learnt from them (``reconcile``), not from a snapshot

    def __init__(self, oms: Oms) -> None:
        self.oms = oms

    def capture(self) -> dict[str, Any]:
        return copy.deepcopy({name: getattr(self.oms, name) for name in _STATE})

    def reset(self, state: dict[str, Any] | None) -> None:
        live = self.oms
        if state is None:  # an OMS's opening state, without its clock, ids, log or listeners
            empty = Oms(live._clock, live._ids, live._log, live._actor)
            state = {name: getattr(empty, name) for name in _STATE}
        else:
            state = copy.deepcopy(state)
        for name, value in state.items():
            setattr(live, name, value)

    def apply(self, event: OrderEvent) -> None:
        apply(self.oms, event)

    def dump(self) -> dict[str, Any]:
        return dump(self.oms)


def dump(oms: Oms) -> dict[str, Any]:
    """The OMS's state as plain comparable data (sets sorted; working orders' transient flags)."""
    return {
        "orders": [(o.order_id, o.status.value, o.filled_qty, o.filled_notional, o.fees, _logged_spec(o),
                    sorted(o.open_children.items())) for o in oms.orders.values()],  # fmt: skip
        "seq": {**oms._closed_seq, **{k: s.seq for k, s in oms._streams.items()}},
        "fills": sorted(oms.applied_fills()),
        "child_venue": dict(sorted(oms.child_venue.items())),
        "refused_by": {k: sorted(v) for k, v in sorted(oms.refused_by.items())},
        "reroutes": dict(sorted(oms.reroutes.items())),
        "working": [(o.order_id, o.order_id in oms._cancel_requested, o.order_id in oms._refused_since_routing,
                     oms._market_refusal.get(o.order_id)) for o in oms.orders.values() if not is_terminal(o)],
    }  # fmt: skip


def _logged_spec(order: Order) -> OrderSpec:
    # A block parent's advisor is not in its events (the desk opens it, actor "block_desk"): the
    # desk's statement keeps it, and nothing downstream of the OMS reads the parent's.
    return replace(order.spec, advisor_id="") if order.spec.account_id == BLOCK_ACCOUNT else order.spec


def snapshot(oms: Oms, offset: int) -> OmsSnapshot:
    """Copy ``oms``'s state; ``offset`` is the log length it reflects (take it between two messages)."""
    return Snapshot(offset, OmsPart(oms).capture())


def forget_exec_ids(oms: Oms) -> int:
    """Forget the venue exec ids of fills already applied; returns how many were held.

    For a host whose venues restarted and number their exec ids from 1 again
    (the live process's own simulated venues). Fills are deduplicated by
    ``fill_key`` (venue, child, exec id, quantity, price), so a new child's
    fill is never taken for an old one's; forgetting only keeps the set from
    growing across restarts. Only safe once no child the old ids belong to is
    still working (a late report about a closed child is ignored anyway).
    """
    held = sum(map(len, oms._applied_fills.values()))
    oms._applied_fills = {}
    return held


def recover(oms: Oms, log: ReadableLog, snap: OmsSnapshot | None = None) -> Oms:
    """An OMS rebuilt into ``oms`` from ``snap`` plus the events after it (the whole log when
    there is no snapshot); returns it."""
    _recover(OmsPart(oms), log, snap)
    return oms


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
    recover(live, log, snap)
    return reconcile(live, venues)
