"""Order management: the single writer of order state.

Every status change goes through ``_emit``, which checks the lifecycle state
machine, appends one immutable event to the EventLog and only then updates the
aggregate. Other services decide (risk, routing, post-trade); the OMS records
their decisions. Listeners (risk reservations, the ledger, post-trade) see each
event after it is stored.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Callable, Iterable, Mapping

from .domain.events import EVENT_VERSION, STATUS_OF, EventType, OrderEvent, PolicyDecision
from .domain.lifecycle import ALLOWED, FINAL_WITHOUT_FILLS, WORKING, IllegalTransition, check_transition, is_terminal
from .domain.orders import Order, OrderSpec, OrderStatus, OrderType, Side, TimeInForce
from .domain.outcomes import NextStep
from .domain.venues import ChildOrder, ExecKind, ExecutionReport, Liquidity
from .ports import Clock, EventLog, IdSource

Listener = Callable[[OrderEvent, Order], None]
_EVERY_KIND = frozenset(EventType)

# Enum members as plain namespaces: on Python 3.11 reading a member off an Enum
# class (``OrderStatus.NEW``) goes through ``EnumType.__getattr__`` (~0.2 us),
# and the OMS reads several per event. These hold the very same members.
S = SimpleNamespace(**OrderStatus.__members__)
E = SimpleNamespace(**EventType.__members__)
K = SimpleNamespace(**ExecKind.__members__)

_STATUS_OF_GET = STATUS_OF.get
# The text of each enum member an event carries, by member: a dict hit, where ``member.value`` is an
# Enum property call (about 0.2 us on Python 3.11).
_TEXT = {member: member.value for kind in (Side, OrderType, TimeInForce, Liquidity) for member in kind}
_new_tuple = tuple.__new__
_NEEDS_FILLS = (OrderStatus.CANCELED, OrderStatus.EXPIRED)  # check_transition's extra rule applies from these
_CONFIRMED = OrderStatus.CONFIRMED
# Statuses at which an order's stream may keep only its last seq (``Oms._release`` checks fills).
_STREAM_ENDS = FINAL_WITHOUT_FILLS | {_CONFIRMED}
assert OrderEvent._fields[-1] == "event_version" and len(OrderEvent._fields) == 18, "_emit builds every field"

# Venue refusals that hold for the whole market (a halt, the LULD band, the
# short-sale price test): rerouting cannot help, so the leaves are closed at
# once with the order-level reason given here.
MARKET_WIDE_REFUSALS = {
    "HALTED": "SYMBOL_HALTED",
    "LULD_PAUSE": "SYMBOL_HALTED",
    "LULD_BAND": "LULD_BAND",
    "SSR_PRICE": "SSR_PRICE",
}
_RECEIVED = EventType.ORDER_RECEIVED
_ACK = ExecKind.ACK
# What follows a report (``NextStep``), bound once for the same reason.
_NOTHING = NextStep.NOTHING
_POST_TRADE = NextStep.POST_TRADE
_REROUTE = NextStep.REROUTE
# What the gateway records about venue messages and orders (not venue reports): the event each becomes.
_NOTICE = {K.REFUSED: E.VENUE_MESSAGE_REFUSED, K.CANCEL_REJECTED: E.CANCEL_REJECTED, K.FLAGGED: E.ORDER_FLAGGED}


class _Stream:
    """One order's event stream: the last ``stream_seq`` written, and the
    event fields copied from the order's spec.

    The spec is immutable, so its seven fields (``account_id`` through
    ``time_in_force``, contiguous in ``OrderEvent``, enum values as text) are
    worked out once per order rather than once per event: three Enum
    ``.value`` look-ups cost about 0.2 us each on Python 3.11.
    """

    __slots__ = ("spec", "spec_fields", "seq")

    def __init__(self, spec: OrderSpec, seq: int) -> None:
        self.spec = spec
        self.spec_fields = (
            spec.account_id,
            spec.symbol,
            _TEXT[spec.side],
            spec.quantity,
            _TEXT[spec.order_type],
            spec.limit_price,
            _TEXT[spec.time_in_force],
        )
        self.seq = seq


assert OrderEvent._fields[7:14] == (
    "account_id", "symbol", "side", "quantity", "order_type", "limit_price", "time_in_force"
), "_Stream.spec_fields must follow OrderEvent's field order"


VENUE_REJECTED = "VENUE_REJECTED"
"""Prefix of a child reason carrying a venue's own words (``VENUE_REJECTED: ...``, from a live gateway);
an order whose leaves then find no venue ends with that reason rather than the router's."""


DUPLICATE_CHILD_ID = "DUPLICATE_CHILD_ID"
"""A venue's refusal of a child id it already holds (the simulated venues' code; FIX 4.4 says it with
OrdRejReason=6 "Duplicate Order", which a live gateway passes on in ``VENUE_REJECTED: OrdRejReason=6...``)."""
_DUPLICATE_ORDER_WORDS = f"{VENUE_REJECTED}: OrdRejReason=6"


def is_duplicate_order(reason: str) -> bool:
    """Whether a REJECTED report's ``reason`` says the venue already has that child id (a re-send of a
    child it holds): the child is there, so the report is not the end of it."""
    return reason == DUPLICATE_CHILD_ID or (reason.startswith(_DUPLICATE_ORDER_WORDS)
                                            and reason[len(_DUPLICATE_ORDER_WORDS):][:1] in ("", ":"))


def routed_child(order: Order, entry: Mapping[str, Any]) -> ChildOrder:
    """The child order a routing event's plan ``entry`` stands for (``Oms.record_routed`` writes it),
    as the router made it (``child_of_plan`` with the order's own fields)."""
    spec = order.spec
    return child_of_plan(order.order_id, spec.symbol, spec.side, spec.order_type, spec.time_in_force, entry)


def child_of_plan(order_id: str, symbol: str, side: Side, order_type: OrderType, time_in_force: TimeInForce,
                  entry: Mapping[str, Any]) -> ChildOrder:
    """The child a routing plan ``entry`` stands for, given its parent's symbol, side, type and time in
    force (from the order, or from the routing event that carries them): a MARKET child goes out IOC
    (the router's rule, ``components.routing``); ``short`` is written only for a short child."""
    market = order_type is OrderType.MARKET
    return ChildOrder(entry["child_id"], order_id, entry["venue"], symbol, side, entry["quantity"], order_type,
                      entry.get("limit_price"), TimeInForce.IOC if market else time_in_force,
                      bool(entry.get("short", False)))


def fill_key(venue: str, child_id: str, exec_id: str, last_qty: int, last_px: int) -> tuple[str, str, str, int, int]:
    """What identifies one execution across a venue's restarts: the venue, our child (the venue's
    ClOrdID), its exec id and the fill's quantity and price. A resend repeats all five (exactly once);
    an exec id reused with other content, or for another child, is another fill."""
    return (venue, child_id, exec_id, last_qty, last_px)


class UnknownOrder(KeyError):
    """No order with this id."""


class Oms:
    """Holds orders, applies lifecycle transitions, records every fact."""

    def __init__(self, clock: Clock, ids: IdSource, log: EventLog, actor: str = "oms"):
        self._clock = clock
        self._ids = ids
        self._log = log
        self._actor = actor
        self.orders: dict[str, Order] = {}
        self._streams: dict[str, _Stream] = {}
        # The last ``stream_seq`` of each order whose ``_Stream`` is released (terminal, or confirmed and
        # waiting for settlement: ``_release``): its next event (a settlement, a venue's late message)
        # continues its stream from here.
        self._closed_seq: dict[str, int] = {}
        self._listeners: list[Listener] = []
        # The event types any listener acts on (``subscribe``): an event of no such type calls none.
        self._heard: frozenset[EventType] = frozenset()
        self._cancel_requested: set[str] = set()
        self.reroutes: dict[str, int] = {}
        self.refused_by: dict[str, set[str]] = {}  # order id -> venues that rejected a child
        self._refused_since_routing: set[str] = set()  # orders with leaves a venue refused
        self._market_refusal: dict[str, str] = {}  # order id -> MARKET_WIDE_REFUSALS reason
        self.child_venue: dict[str, str] = {}  # child id -> venue, while the child works
        # Fills applied, per order while it works, by what identifies an execution across a venue's
        # restarts (``fill_key``): a venue that restarts numbers its exec ids from 1 again, so the exec
        # id alone is not enough. Only a working child's fills are checked against them (a report about
        # a child that no longer works is ignored first), so an order's are dropped when it stops working.
        self._applied_fills: dict[str, set[tuple[str, str, str, int, int]]] = {}
        self.venue_refusal: dict[str, str] = {}  # order id -> the last "VENUE_REJECTED: ..." child reason
        # Children recorded in a routing and not known to have reached their venue: not yet handed to
        # the venue gateway (``sent``) and with no venue report. A RouteOrder delivered again finds
        # them here (``awaiting``) and sends them again. A rebuilt OMS cannot tell a child sent but not
        # yet answered from one never sent (acks are not logged), so it holds both: re-sending is safe
        # because venues are idempotent by child id (docs/router_redelivery.md).
        self.awaiting_venue: dict[str, ChildOrder] = {}
        self.platform_seq = 0  # the stream of platform events (``record_platform_event``)

    # -- plumbing -----------------------------------------------------------
    def subscribe(self, listener: Listener, kinds: Iterable[EventType] | None = None) -> None:
        """Call ``listener(event, order)`` after each event is stored (``order`` None for a platform event).

        ``kinds``: the event types the listener acts on (None: every type). An event of a type no
        listener acts on calls none of them (most of an order's events, for the platform's own
        listener: a call saved per event); one that some listener acts on calls them all, so a
        listener given ``kinds`` still ignores the other types itself."""
        self._listeners.append(listener)
        self._heard = self._heard | (_EVERY_KIND if kinds is None else frozenset(kinds))

    def get(self, order_id: str) -> Order:
        try:
            return self.orders[order_id]
        except KeyError:
            raise UnknownOrder(order_id) from None

    def _emit(
        self,
        order: Order,
        event_type: EventType,
        *,
        actor: str | None = None,
        decisions: tuple[PolicyDecision, ...] = (),
        details: Mapping[str, Any] | None = None,
        at_ns: int | None = None,
    ) -> OrderEvent:
        target = _STATUS_OF_GET(event_type)
        if target is not None and event_type is not _RECEIVED:  # creation is not a move
            current = order.status
            # The common move is allowed outright; anything else gets the full check (which raises).
            if target not in ALLOWED[current] or current in _NEEDS_FILLS:
                check_transition(order, target)
        order_id = order.order_id
        stream = self._streams.get(order_id)
        if stream is None or stream.spec is not order.spec:
            seq = self._closed_seq.pop(order_id, 0) if stream is None else stream.seq
            stream = self._streams[order_id] = _Stream(order.spec, seq)
        seq = stream.seq = stream.seq + 1
        now = self._clock.now_ns()
        # ``OrderEvent(...)`` with every field given, built as the tuple it is: the NamedTuple's
        # generated ``__new__`` binds eighteen arguments by name first (about a third of the cost).
        event = _new_tuple(OrderEvent, (
            event_type,
            self._ids.next_id("EV"),
            order.trace_id,
            now if at_ns is None else at_ns,
            now,
            order_id,
            seq,
            *stream.spec_fields,  # account_id .. time_in_force
            actor or self._actor,
            decisions,
            details,
            EVENT_VERSION,
        ))
        self._log.append(event)
        if target is not None:
            if target in WORKING:
                order.status = target
            else:
                stopped = order.status in WORKING
                order.status = target
                if stopped or target in _STREAM_ENDS or self.venue_refusal:  # else nothing to drop
                    self._release(order, target, stopped)
        if event_type in self._heard:
            for listener in self._listeners:
                listener(event, order)
        return event

    def _release(self, order: Order, target: OrderStatus, stopped: bool) -> None:
        """``order`` is not working (its status is now ``target``; ``stopped``: it was until this
        event): drop what only a working order needs, so a finished lifecycle holds little memory.
        Its venue refusal goes; when it stops, its applied fills go (a report about a child of an
        order that no longer works is ignored before they are read), and its
        emptied children table is freed (an emptied dict keeps its slots). Once nothing more can happen
        to it, or it is confirmed and waits for the settlement run (days later, and all the day's orders
        wait at once: they are the run's peak), its event stream keeps only its last ``stream_seq``.
        ``components.rebuild.oms.apply`` drops the same on replay."""
        order_id = order.order_id
        if self.venue_refusal:
            self.venue_refusal.pop(order_id, None)
        if stopped:
            children = order.open_children
            if not children:  # still working children (a venue's leaves on a filled order) keep theirs
                children.clear()
                self._applied_fills.pop(order_id, None)
        if target is _CONFIRMED or is_terminal(order):  # ``order.status`` is ``target`` already
            self._closed_seq[order_id] = self._streams.pop(order_id).seq

    # -- lifecycle steps ----------------------------------------------------
    def create(self, spec: OrderSpec, submitted_ns: int, actor: str = "gateway",
               details: Mapping[str, Any] | None = None) -> Order:
        """Open a new order (status NEW); ``details`` are recorded with it (e.g. the block it joins)."""
        order = Order(
            order_id=self._ids.next_id("ORD"),
            trace_id=self._ids.next_id("TRC"),
            spec=spec,
            created_ns=self._clock.now_ns(),
        )
        self.orders[order.order_id] = order
        self._emit(
            order,
            E.ORDER_RECEIVED,
            actor=f"advisor:{spec.advisor_id}" if actor == "gateway" else actor,
            details={"client_order_id": spec.client_order_id, "submitted_ns": submitted_ns, **(details or {})},
        )
        return order

    def validate(self, order_id: str, account_known: Callable[[str], bool]) -> bool:
        """NEW -> VALIDATED, or REJECTED when the account is not on the books.

        Returns False when the order did not become VALIDATED (including when it
        was canceled while waiting).
        """
        order = self.get(order_id)
        if order.status is not S.NEW:
            return False
        if not account_known(order.spec.account_id):
            self._emit(order, E.ORDER_REJECTED, details={"reason": "UNKNOWN_ACCOUNT"})
            return False
        self._emit(order, E.ORDER_VALIDATED)
        return True

    def record_risk(self, order_id: str, approved: bool, decisions: tuple[PolicyDecision, ...]) -> bool:
        """VALIDATED -> RISK_APPROVED or BLOCKED, carrying every policy decision."""
        order = self.get(order_id)
        if order.status is not S.VALIDATED:
            return False
        event_type = E.ORDER_RISK_APPROVED if approved else E.ORDER_BLOCKED
        details = None
        if not approved:
            first = next((d for d in decisions if not d.passed), None)
            details = {"reason": first.reason_code if first else "UNSPECIFIED"}
        self._emit(order, event_type, actor="risk", decisions=decisions, details=details)
        return approved

    def record_routed(self, order_id: str, children: Iterable[ChildOrder], reason: str = "") -> None:
        """RISK_APPROVED -> ROUTED (or a reroute of the leaves of a routed order)."""
        order = self.get(order_id)
        if order.status not in (S.RISK_APPROVED, S.ROUTED, S.PARTIALLY_FILLED):
            raise IllegalTransition(order_id, order.status, S.ROUTED, "only an approved or working order is routed")
        children = tuple(children)
        working = sum(order.open_children.values())
        if sum(c.quantity for c in children) + working > order.leaves_qty:
            raise ValueError(f"order {order_id}: children exceed the {order.leaves_qty} shares left to route")
        self._refused_since_routing.discard(order_id)
        if order.status is not S.RISK_APPROVED:
            self.reroutes[order_id] = self.reroutes.get(order_id, 0) + 1  # one per ORDER_REROUTED event
        awaiting, open_children, child_venue = self.awaiting_venue, order.open_children, self.child_venue
        plan = []
        for child in children:
            child_id = child.child_id
            open_children[child_id] = child.quantity
            child_venue[child_id] = child.venue
            awaiting[child_id] = child
            entry = {"child_id": child_id, "venue": child.venue, "quantity": child.quantity,
                     "limit_price": child.limit_price}
            if child.short:  # written only when true: the log then holds every term of the child
                entry["short"] = True
            plan.append(entry)
        if order.status is S.RISK_APPROVED:
            self._emit(order, E.ORDER_ROUTED, actor="router", details={"children": plan})
        else:
            self._emit(order, E.ORDER_REROUTED, actor="router", details={"children": plan, "reason": reason})

    def sent(self, child_id: str) -> None:
        """``child_id`` was handed to the venue gateway: a RouteOrder delivered again will not send it."""
        self.awaiting_venue.pop(child_id, None)

    def awaiting(self, order: Order) -> list[ChildOrder]:
        """The order's working children not known to have reached their venue, in routing order: what a
        RouteOrder delivered again sends (the same child ids; venues ignore a child id they hold)."""
        awaiting = self.awaiting_venue
        if not awaiting:
            return []
        return [awaiting[c] for c in order.open_children if c in awaiting]

    def close_unroutable(self, order_id: str, reason: str) -> NextStep:
        """No venue will take the leaves: reject an unfilled order, cancel the rest
        of a partly filled one. Returns ``NextStep.POST_TRADE`` when fills must be settled."""
        order = self.get(order_id)
        if order.open_children:
            return _NOTHING  # something is still working; its report will close the order
        reason = self.venue_refusal.pop(order_id, reason)  # the venue's own words, when it gave them
        if order.filled_qty == 0:
            self._emit(order, E.ORDER_REJECTED, actor="router", details={"reason": reason})
            return _NOTHING
        self._emit(order, E.ORDER_CANCELED, actor="router",
                   details={"reason": reason, "leaves_qty": order.leaves_qty})
        return _POST_TRADE

    def request_cancel(self, order_id: str) -> tuple[tuple[str, str], ...]:
        """A client's cancel. Returns (venue, child id) pairs to cancel at venues.

        Orders not yet at a venue are canceled at once; routed ones when their
        venues confirm, and the request itself is recorded (once: a repeated
        request sends the cancels again but is the same fact).
        """
        order = self.get(order_id)
        if order.status in (S.NEW, S.VALIDATED, S.RISK_APPROVED):
            self._emit(order, E.ORDER_CANCELED, details={"reason": "CLIENT_REQUEST"})
            return ()
        if order.status in (S.ROUTED, S.PARTIALLY_FILLED) and order.open_children:
            children = tuple((self.child_venue[c], c) for c in order.open_children)
            if order_id not in self._cancel_requested:
                self._cancel_requested.add(order_id)
                self._emit(order, E.ORDER_CANCEL_REQUESTED, details={"children": [c for _, c in children]})
            return children
        return ()

    def on_execution(self, report: ExecutionReport) -> NextStep:
        """Apply a venue report. Returns what the caller must do next: ``NextStep.NOTHING``,
        ``POST_TRADE`` (the order is done with fills) or ``REROUTE`` (route the leaves again).

        What a gateway records rather than reports (REFUSED, CANCEL_REJECTED, FLAGGED) becomes an
        event on the order whatever its children's state (``VenueMessageRefused``, ``CancelRejected``,
        ``OrderFlagged``), a REFUSED naming no known order a platform event; none changes the order.
        Fills are applied once per ``fill_key``."""
        order = self.orders.get(report.order_id)
        kind = report.kind
        if kind is _ACK:  # the commonest report, and it records nothing: the venue has the child
            if order is not None and self.awaiting_venue and report.child_id in order.open_children:
                self.awaiting_venue.pop(report.child_id, None)
            return _NOTHING
        if order is None:
            if kind is K.REFUSED:  # about no order we know: still recorded, as a platform fact
                self.record_platform_event(E.VENUE_MESSAGE_REFUSED, f"venue:{report.venue}", {
                    "child_id": report.child_id, "venue": report.venue, "reason": report.reason,
                    "text": report.text})
            return _NOTHING
        if kind is K.DISCREPANCY:  # about any child the order ever had, working or not
            self._emit(order, E.EXECUTION_DISCREPANCY, actor=f"venue:{report.venue}", details={
                "child_id": report.child_id, "venue": report.venue, "reason": report.reason,
                "missing_qty": report.last_qty, "venue_leaves_qty": report.leaves_qty}, at_ns=report.timestamp_ns)
            return _NOTHING
        if kind is K.REFUSED or kind is K.CANCEL_REJECTED or kind is K.FLAGGED:
            self._emit(order, _NOTICE[kind], actor=f"venue:{report.venue}", details={
                "child_id": report.child_id, "venue": report.venue, "reason": report.reason,
                "text": report.text}, at_ns=report.timestamp_ns)
            return _NOTHING
        if report.child_id not in order.open_children:
            return _NOTHING  # a late or duplicate report: at-least-once delivery, so ignore
        if self.awaiting_venue:
            self.awaiting_venue.pop(report.child_id, None)  # the venue has it: nothing to send again
        if kind is K.FILL:
            if report.exec_id and fill_key(report.venue, report.child_id, report.exec_id, report.last_qty,
                                           report.last_px) in self._applied_fills.get(order.order_id, ()):
                return _NOTHING  # the same fill delivered again
            child_leaves = order.open_children[report.child_id]
            if not 0 < report.last_qty <= child_leaves:
                return self._refuse_execution(order, report, child_leaves)
            return self._apply_fill(order, report)
        if kind is K.REJECTED and is_duplicate_order(report.reason):
            return _NOTHING  # a re-send of a child the venue already holds: that child still works
        del order.open_children[report.child_id]
        self.child_venue.pop(report.child_id, None)  # read only for a working child
        if kind is K.REJECTED:
            self.refused_by.setdefault(order.order_id, set()).add(report.venue)
            self._refused_since_routing.add(order.order_id)
            if report.reason in MARKET_WIDE_REFUSALS:
                self._market_refusal[order.order_id] = MARKET_WIDE_REFUSALS[report.reason]
            if report.reason.startswith(VENUE_REJECTED):
                self.venue_refusal[order.order_id] = report.reason
            self._emit(
                order,
                E.CHILD_ORDER_REJECTED,
                actor=f"venue:{report.venue}",
                details={"child_id": report.child_id, "venue": report.venue, "reason": report.reason},
                at_ns=report.timestamp_ns,
            )
        if order.open_children:
            return _NOTHING
        return self._close_leaves(order, report)

    def _apply_fill(self, order: Order, report: ExecutionReport) -> NextStep:
        qty = report.last_qty
        done = order.filled_qty + qty == order.spec.quantity
        check_transition(order, S.FILLED if done else S.PARTIALLY_FILLED)  # before touching the aggregate
        order.filled_qty += qty
        order.filled_notional += qty * report.last_px
        order.fees += report.fee
        leaves = report.leaves_qty
        if leaves:
            order.open_children[report.child_id] = leaves
        else:
            del order.open_children[report.child_id]
            self.child_venue.pop(report.child_id, None)
        self._emit(
            order,
            E.ORDER_FILLED if done else E.ORDER_PARTIALLY_FILLED,
            actor=f"venue:{report.venue}",
            details={
                "child_id": report.child_id,
                "exec_id": report.exec_id,
                "venue": report.venue,
                "last_qty": qty,
                "last_px": report.last_px,
                "fee": report.fee,
                "liquidity": _TEXT[report.liquidity] if report.liquidity else "",
                "cum_qty": order.filled_qty,
                "leaves_qty": leaves,  # the venue's: what a rebuild keeps working
            },
            at_ns=report.timestamp_ns,
        )
        if report.exec_id and (not done or order.open_children):  # a done order's went with it (``_release``)
            self._add_fill(order, fill_key(report.venue, report.child_id, report.exec_id, qty, report.last_px))
        if done:
            return _POST_TRADE
        if not order.open_children:
            return self._close_leaves(order, report)
        return _NOTHING

    def _refuse_execution(self, order: Order, report: ExecutionReport, child_leaves: int) -> NextStep:
        """A fill the child cannot take: more than its leaves (an overfill) or not
        a positive quantity. The client's order is not
        touched (its fills stay consistent with what was sent); the refusal is
        recorded, once per exec id, for operations to break out with the venue."""
        if report.exec_id:
            self._add_fill(order, fill_key(report.venue, report.child_id, report.exec_id, report.last_qty,
                                           report.last_px))
        reason = "OVERFILL" if report.last_qty > child_leaves else "BAD_QUANTITY"
        self._emit(
            order,
            E.EXECUTION_REFUSED,
            actor=f"venue:{report.venue}",
            details={"child_id": report.child_id, "exec_id": report.exec_id, "venue": report.venue,
                     "reason": reason, "last_qty": report.last_qty, "last_px": report.last_px,
                     "leaves_qty": report.leaves_qty, "child_leaves": child_leaves},
            at_ns=report.timestamp_ns,
        )
        return _NOTHING

    def _add_fill(self, order: Order, key: tuple[str, str, str, int, int]) -> None:
        """Remember an execution of ``order`` as applied (or refused): delivered again, it is a duplicate."""
        applied = self._applied_fills.get(order.order_id)
        if applied is None:
            applied = self._applied_fills[order.order_id] = set()
        applied.add(key)

    def applied_fills(self) -> set[tuple[str, str, str, int, int]]:
        """Every ``fill_key`` held as applied (those of working orders): for comparing OMS states."""
        return set().union(*self._applied_fills.values())

    def _close_leaves(self, order: Order, report: ExecutionReport) -> NextStep:
        """No child is working any more and the order is not fully filled.

        If any venue refused a child since the last routing, the leaves are
        rerouted (at most twice), whatever order the venues' reports came in.
        """
        order_id = order.order_id
        requested = order_id in self._cancel_requested
        # At the close nothing is rerouted: the session is over for every venue.
        refused = order_id in self._refused_since_routing and report.reason != "END_OF_DAY"
        market_refusal = self._market_refusal.pop(order_id, "") if refused else ""
        if market_refusal and not requested:
            self._refused_since_routing.discard(order_id)
            if order.filled_qty == 0:
                self._emit(order, E.ORDER_REJECTED, actor=f"venue:{report.venue}", details={"reason": market_refusal})
                return _NOTHING
            self._emit(order, E.ORDER_CANCELED, actor=f"venue:{report.venue}",
                       details={"reason": market_refusal, "leaves_qty": order.leaves_qty})
            return _POST_TRADE
        if refused and not requested and self.reroutes.get(order_id, 0) < 2:
            return _REROUTE  # counted when the router records it (so the count is derivable from the log)
        if refused and order.filled_qty == 0 and not requested:
            reason = report.reason if report.kind is K.REJECTED else "VENUE_REJECTED"
            self._emit(order, E.ORDER_REJECTED, actor=f"venue:{report.venue}", details={"reason": reason})
            return _NOTHING
        if report.reason == "END_OF_DAY":
            event_type, reason = E.ORDER_EXPIRED, "END_OF_DAY"
        else:
            event_type = E.ORDER_CANCELED
            reason = "CLIENT_REQUEST" if requested else (report.reason or "VENUE_CANCELED")
        self._cancel_requested.discard(order.order_id)
        self._emit(order, event_type, details={"reason": reason, "leaves_qty": order.leaves_qty})
        return _POST_TRADE if order.filled_qty else _NOTHING

    def expire(self, order_id: str) -> None:
        """End of day for an order that never reached a venue."""
        order = self.get(order_id)
        if order.open_children:
            raise IllegalTransition(order_id, order.status, S.EXPIRED, "still working at a venue")
        self._emit(order, E.ORDER_EXPIRED, details={"reason": "END_OF_DAY", "leaves_qty": order.leaves_qty})

    def record_post_trade(self, order_id: str, event_type: EventType, details: Mapping[str, Any]) -> None:
        """ALLOCATED, CONFIRMED and SETTLED, decided by post-trade."""
        self._emit(self.get(order_id), event_type, actor="post_trade", details=details)

    def open_orders(self) -> list[Order]:
        """Orders not yet terminal, in creation order."""
        return [o for o in self.orders.values() if not is_terminal(o)]

    # -- blocks (see components.block_desk) ---------------------------------
    def record_platform_event(self, event_type: EventType, actor: str, details: Mapping[str, Any]) -> OrderEvent:
        """A fact about the platform rather than an order (order fields empty; its own stream,
        ``stream_seq`` 1, 2, 3... over the platform's events)."""
        self.platform_seq += 1
        now = self._clock.now_ns()
        event = OrderEvent(event_type, self._ids.next_id("EV"), self._ids.next_id("TRC"), now, now, "",
                           self.platform_seq, "", "", "", 0, "", None, "", actor, (), dict(details))  # fmt: skip
        self._log.append(event)
        if event_type in self._heard:
            for listener in self._listeners:
                listener(event, None)
        return event

    def open_block_parent(self, spec: OrderSpec, decisions: tuple[PolicyDecision, ...]) -> Order:
        """A block parent: created, validated and approved on its members' approvals."""
        order = self.create(spec, self._clock.now_ns(), actor="block_desk")
        # One business time for the three facts: the moment the block formed (the desk stamps
        # its statement with it, and a replay reads it back from the approval).
        self._emit(order, E.ORDER_VALIDATED, actor="block_desk", at_ns=order.created_ns)
        self._emit(order, E.ORDER_RISK_APPROVED, actor="risk", decisions=decisions, at_ns=order.created_ns)
        return order

    def record_block_routed(self, order_id: str, block_id: str) -> None:
        """A member goes to market inside its block (no children of its own)."""
        self._emit(self.get(order_id), E.ORDER_ROUTED, actor="router", details={"block_id": block_id, "children": []})

    def record_block_fill(self, order_id: str, qty: int, price: int, block_id: str) -> None:
        """A member's share of its block, at the allocation price (no venue fee: the firm bears it)."""
        order = self.get(order_id)
        done = order.filled_qty + qty == order.spec.quantity
        check_transition(order, S.FILLED if done else S.PARTIALLY_FILLED)  # before touching the aggregate
        order.filled_qty += qty
        order.filled_notional += qty * price
        self._emit(order, E.ORDER_FILLED if done else E.ORDER_PARTIALLY_FILLED, actor="block_desk", details={
            "child_id": "", "exec_id": f"{block_id}/{order_id}", "venue": "", "last_qty": qty, "last_px": price,
            "fee": 0, "liquidity": "", "cum_qty": order.filled_qty, "block_id": block_id})  # fmt: skip

    def close_block_member(self, order_id: str, expired: bool, reason: str) -> None:
        """A member its block left short (or gave nothing): CANCELED, or EXPIRED at the close."""
        order = self.get(order_id)
        self._emit(order, E.ORDER_EXPIRED if expired else E.ORDER_CANCELED, actor="block_desk",
                   details={"reason": reason, "leaves_qty": order.leaves_qty})  # fmt: skip
