"""The trading platform as a message bus with small handlers.

``Platform`` holds the components and maps each message type to the service
that handles it (``SERVICE_OF``) and a handler that returns what it decided: a
``Handled`` (``components.domain.outcomes``), the message's outcome (accepted,
replayed, refused and why, ...) and the follow-up messages. The runtime decides
how follow-ups travel: the twin delays each hop and queues it at its simulated
service; the live runtime dispatches in process or over NATS. Nothing here
knows which one it is in. ``refused`` and ``replays`` count refusals and
replays for reports; a caller learns what became of its own command from the
outcome.

Blocks (``SubmitBlock``) go through the same handlers: members are validated
and risk-checked one by one, the block parent is routed like an order, and
post-trade allocates it (see ``components.block_desk`` for the design).
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Callable, Iterator

from .block_desk import BLOCK_ACCOUNT, BlockDesk, fill_of
from .blocks import POLICIES, order_quantities
from .domain.commands import (
    CancelOrder,
    CheckRisk,
    ExpireDay,
    ProcessPostTrade,
    RouteOrder,
    SetTradingState,
    SubmitBlock,
    SubmitOrder,
    ValidateOrder,
    member_client_order_id,
)
from .domain.events import EventType, OrderEvent
from .domain.orders import Order, OrderSpec, OrderStatus
from .domain.outcomes import (
    DONE,
    Accepted,
    BlockAccepted,
    CancelRequested,
    Handled,
    NextStep,
    RefusalReason,
    Refused,
    Replayed,
    TradingStateSet,
)
from .domain.venues import ExecutionReport
from .ledger import Ledger
from .oms import Oms
from .order_entry import IdempotencyConflict, NotEntitled, OrderEntry, OrderRequestError
from .post_trade import PostTrade
from .ports import Clock, VenueGateway
from .risk.engine import DONE_FOR_RISK, RiskEngine
from .risk.policies import TradingState
from .routing import SmartOrderRouter

SERVICE_OF: dict[type, str] = {
    SubmitOrder: "gateway",
    SubmitBlock: "gateway",
    ValidateOrder: "oms",
    CheckRisk: "risk",
    RouteOrder: "router",
    CancelOrder: "oms",
    ExecutionReport: "oms",
    ProcessPostTrade: "post_trade",
    ExpireDay: "oms",
    SetTradingState: "risk",
}
SERVICES = ("gateway", "oms", "risk", "router", "post_trade")

_FILLS = frozenset({EventType.ORDER_FILLED, EventType.ORDER_PARTIALLY_FILLED})
# Enum members bound once: Enum class attribute access is slow on Python 3.11.
_VALIDATED = OrderStatus.VALIDATED
_ROUTABLE = (OrderStatus.RISK_APPROVED, OrderStatus.ROUTED, OrderStatus.PARTIALLY_FILLED)
_APPROVED = OrderStatus.RISK_APPROVED
_EXPIRED = OrderStatus.EXPIRED
_DONE_WITH_FILLS = (OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.EXPIRED)
_ENDS_UNFILLED = frozenset({EventType.ORDER_REJECTED, EventType.ORDER_CANCELED, EventType.ORDER_EXPIRED})
# Every event kind ``_on_event`` acts on, for a block parent or any other order.
_BOOKED = _FILLS | _ENDS_UNFILLED | DONE_FOR_RISK | {EventType.ORDER_ALLOCATED}
_POLICY_NAMES = frozenset(name for name, _ in POLICIES)
_POST_TRADE = NextStep.POST_TRADE
_REROUTE = NextStep.REROUTE
_INVALID = RefusalReason.INVALID
_NOTHING = Handled(DONE, ())  # an internal message that gives rise to nothing


def close_session(now_ns: int, end_venue_days: Callable[[int], object], deliver: Callable[[object], object]) -> None:
    """The session close, the same in every runtime (``live.session_close.SessionCloser``
    and the twin runner's ``_schedule_close`` call it).

    The venues this process runs end their day first (``end_venue_days(now_ns)``:
    their resting DAY orders come back as END_OF_DAY reports, which expire our
    orders), then the OMS is sent ``ExpireDay`` for the orders that never
    reached a venue. Venues elsewhere (over FIX) end their own day; the OMS
    still expires what it holds. When the close happens is the runtime's.
    """
    end_venue_days(now_ns)
    deliver(ExpireDay())


@dataclass(frozen=True, slots=True)
class RefusedRequest:
    """A submission that never became an order, and why."""

    submitted_ns: int
    status: int  # the HTTP status a live gateway answers with
    fields: tuple[str, ...]
    problem: str


class Refusals:
    """The requests that never became orders: how many, how many per status, and the
    latest ``keep`` of them (None: all), for reports. A live gateway keeps a bounded
    window, so a stream of bad requests cannot grow its memory; the twin keeps every
    one. Whoever sent a request learns of its refusal from the handler's outcome."""

    def __init__(self, keep: int | None = None) -> None:
        self.count = 0
        self.by_status: Counter[int] = Counter()
        self._recent: deque[RefusedRequest] = deque(maxlen=keep)

    def add(self, refusal: RefusedRequest) -> None:
        self.count += 1
        self.by_status[refusal.status] += 1
        self._recent.append(refusal)

    def __iter__(self) -> Iterator[RefusedRequest]:
        return iter(self._recent)

    def __len__(self) -> int:
        return self.count


@dataclass
class Platform:
    clock: Clock
    oms: Oms
    entry: OrderEntry
    risk: RiskEngine
    router: SmartOrderRouter
    venues: VenueGateway
    post_trade: PostTrade
    ledger: Ledger
    account_known: Callable[[str], bool]
    refused: Refusals = field(default_factory=Refusals)
    replays: int = 0
    desk: BlockDesk = field(default_factory=BlockDesk)

    def __post_init__(self) -> None:
        self.oms.subscribe(self._on_event, _BOOKED)  # the OMS calls it only for events it may book
        self._unfilled_parents: list[str] = []  # block parents that ended with no fill
        self._handlers = {
            SubmitOrder: self.submit,
            SubmitBlock: self.submit_block,
            ValidateOrder: self.validate,
            CheckRisk: self.check_risk,
            RouteOrder: self.route,
            CancelOrder: self.cancel,
            ExecutionReport: self.on_execution,
            ProcessPostTrade: self.process_post_trade,
            ExpireDay: self.expire_day,
            SetTradingState: self.set_trading_state,
        }

    def handle(self, message: object) -> Handled:
        """Run the handler for ``message``; return its outcome and the messages it gives rise to."""
        handled = self._handlers[type(message)](message)
        if self._unfilled_parents:
            self._close_unfilled_blocks()
        return handled

    # -- handlers -------------------------------------------------------------
    def submit(self, msg: SubmitOrder) -> Handled:
        """A client order: ``Accepted`` (then validated), ``Replayed`` (a retry) or ``Refused``."""
        outcome = self._enter(msg.body, msg.submitted_ns)
        if type(outcome) is Accepted:
            return Handled(outcome, [ValidateOrder(outcome.order_id)])
        return Handled(outcome)

    def _enter(self, body: object, submitted_ns: int,
               details: dict[str, str] | None = None) -> Accepted | Replayed | Refused:
        """Order entry's decision on one request (``details`` recorded with a new order), counted."""
        try:
            accepted = self.entry.submit(body, submitted_ns, details)
        except OrderRequestError as exc:
            return self._refuse(submitted_ns, _INVALID, exc.fields, str(exc))
        except NotEntitled as exc:
            return self._refuse(submitted_ns, RefusalReason.NOT_ENTITLED, ("account_id",), str(exc))
        except IdempotencyConflict as exc:
            return self._refuse(submitted_ns, RefusalReason.CONFLICT, ("client_order_id",), str(exc))
        if accepted.replayed:
            self.replays += 1
            return Replayed(accepted.order.order_id)
        return Accepted(accepted.order.order_id)

    def _refuse(self, at_ns: int, reason: RefusalReason, fields: tuple[str, ...], problem: str) -> Refused:
        """Count the refusal (reports show them by status) and return it."""
        self.refused.add(RefusedRequest(at_ns, reason.status, fields, problem))
        return Refused(reason, fields, problem)

    def submit_block(self, msg: SubmitBlock) -> Handled:
        """One client order per statement line, each on the normal path; the block forms when all are decided.

        The outcome is ``BlockAccepted``, or the first line's ``Refused`` if any
        line was refused (the other lines still go their way, as members).
        """
        if msg.policy not in _POLICY_NAMES:
            return Handled(self._refuse(msg.submitted_ns, _INVALID, ("policy",),
                                        f"unknown allocation policy {msg.policy!r}"))  # fmt: skip
        members: list[Accepted | Replayed] = []
        refusal: Refused | None = None
        joins = {"block_ref": msg.block_ref, "block_policy": msg.policy}  # on each member's OrderReceived
        for i, (account_id, quantity) in enumerate(msg.lines, 1):
            body = {"account_id": account_id, "symbol": msg.symbol, "side": msg.side, "quantity": quantity,
                    "order_type": msg.order_type, "time_in_force": msg.time_in_force,
                    "advisor_id": msg.advisor_id, "client_order_id": member_client_order_id(msg.block_ref, i)}  # fmt: skip
            if msg.limit_price is not None:
                body["limit_price"] = msg.limit_price
            outcome = self._enter(body, msg.submitted_ns, joins)
            if type(outcome) is Refused:
                refusal = refusal or outcome
            else:
                members.append(outcome)
        opened = [m.order_id for m in members if type(m) is Accepted]
        if opened:
            self.desk.open(msg.block_ref, msg.advisor_id, msg.policy, opened)
        follow_ups = [ValidateOrder(order_id) for order_id in opened]
        if refusal is not None:
            return Handled(refusal, follow_ups)
        policy = msg.policy if opened else self._policy_of_block(msg.block_ref, members, msg.policy)
        return Handled(BlockAccepted(msg.block_ref, tuple(members), policy), follow_ups)

    def _policy_of_block(self, block_ref: str, members: list[Accepted | Replayed], default: str) -> str:
        """The policy an earlier submission opened block ``block_ref`` with (``default`` if none is kept)."""
        desk = self.desk
        parent_id = next((p for p in (desk.block_of_member(m.order_id) for m in members) if p), None)
        if parent_id:
            return desk.state.policy_of.get(parent_id, default)
        pending = desk.state.pending.get(block_ref)  # not formed yet: members still being decided
        return pending.policy if pending is not None else default

    def validate(self, msg: ValidateOrder) -> Handled:
        if self.oms.validate(msg.order_id, self.account_known):
            return Handled(DONE, [CheckRisk(msg.order_id)])
        return self._form_block(msg.order_id) if self.desk.is_member(msg.order_id) else _NOTHING

    def check_risk(self, msg: CheckRisk) -> Handled:
        order = self.oms.get(msg.order_id)
        if order.status is not _VALIDATED:
            # Canceled while waiting: a member may have been its block's last undecided one.
            return self._form_block(order.order_id) if self.desk.is_member(order.order_id) else _NOTHING
        decision = self.risk.check(order.order_id, order.spec, self.clock.now_ns())
        approved = self.oms.record_risk(order.order_id, decision.approved, decision.decisions)
        if self.desk.is_member(order.order_id):
            return self._form_block(order.order_id)  # a member is never routed by itself
        return Handled(DONE, [RouteOrder(order.order_id)]) if approved else _NOTHING

    def route(self, msg: RouteOrder) -> Handled:
        """Plan the order's children, record them (``ORDER_ROUTED`` or ``ORDER_REROUTED``), send them.

        Delivered again (at-least-once), it plans nothing new: a first routing only from
        RISK_APPROVED, a reroute only once nothing works. It finishes instead what a process that
        died mid-handler left undone (``_finish_routing``)."""
        order = self.oms.get(msg.order_id)
        if order.status not in _ROUTABLE:
            return _NOTHING
        if order.open_children or (not msg.exclude and order.status is not _APPROVED):
            return self._finish_routing(order)
        plan = self.router.route(order, msg.exclude)
        if not plan.children:
            if self.oms.close_unroutable(order.order_id, plan.reason) is _POST_TRADE:
                return Handled(DONE, [ProcessPostTrade(order.order_id)])
            return _NOTHING
        first_routing = order.status is _APPROVED
        self.oms.record_routed(order.order_id, plan.children, reason="REROUTE" if msg.exclude else "")
        if first_routing and self.desk.is_parent(order.order_id):
            self._route_members(order.order_id)
        oms_sent = self.oms.sent
        for child in plan.children:
            self.venues.send(child)
            oms_sent(child.child_id)
        return _NOTHING

    def _finish_routing(self, order: Order) -> Handled:
        """A RouteOrder for an order already routed: record the block members' routing still missing,
        and send the children recorded but not known to have reached their venue (``Oms.awaiting``).

        In a process that sent them, nothing is awaiting: a redelivery while they are in flight sends
        nothing. After a death between the append and the sends (the OMS rebuilt from the log, which
        cannot tell sent from unsent), the same child ids go again; a venue that already holds one
        ignores it, or refuses it as a duplicate, which the OMS takes for "already there"."""
        if self.desk.is_parent(order.order_id):
            self._route_members(order.order_id)
        oms = self.oms
        for child in oms.awaiting(order):
            self.venues.send(child)
            oms.sent(child.child_id)
        return _NOTHING

    def _route_members(self, parent_id: str) -> None:
        """Record that the block's members still approved go to market inside it (all of them, on its
        first routing; on a redelivery, those a dead process had not recorded yet)."""
        oms = self.oms
        for member in self.desk.members(parent_id):
            if oms.get(member.order_id).status is _APPROVED:
                oms.record_block_routed(member.order_id, parent_id)

    def cancel(self, msg: CancelOrder) -> Handled:
        """A client's cancel: ``CancelRequested``, or ``Refused`` (not found) for an order nobody entered."""
        order = self.entry.lookup(msg.account_id, msg.client_order_id)
        if order is None:
            return Handled(self._refuse(msg.requested_ns, RefusalReason.NOT_FOUND, ("client_order_id",),
                                        "no such order"))  # fmt: skip
        for venue, child_id in self.oms.request_cancel(order.order_id):
            self.venues.cancel(venue, child_id)
        return Handled(CancelRequested(order.order_id))

    def on_execution(self, report: ExecutionReport) -> Handled:
        next_step = self.oms.on_execution(report)
        if next_step is _POST_TRADE:
            return Handled(DONE, [ProcessPostTrade(report.order_id)])
        if next_step is _REROUTE:
            refused_by = frozenset(self.oms.refused_by[report.order_id])  # never back to a venue that refused it
            return Handled(DONE, [RouteOrder(report.order_id, exclude=refused_by)])
        return _NOTHING

    def process_post_trade(self, msg: ProcessPostTrade) -> Handled:
        if self.desk.is_parent(msg.order_id):
            self._allocate_block(msg.order_id)
        else:
            self.post_trade.process(msg.order_id)
        return _NOTHING

    # -- blocks -------------------------------------------------------------------
    def _form_block(self, member_id: str) -> Handled:
        """When the member's block has every member decided: fix its statement, open and route the parent."""
        pending = self.desk.ready(member_id, self._status_of)
        if pending is None:
            return _NOTHING
        approved = [self.oms.orders[m] for m in pending.members if self.oms.orders[m].status is _APPROVED]
        if not approved:
            return _NOTHING
        first = approved[0].spec
        spec = OrderSpec(BLOCK_ACCOUNT, first.symbol, first.side, sum(o.spec.quantity for o in approved),
                         first.order_type, first.limit_price, first.time_in_force, first.advisor_id,
                         pending.block_ref)  # fmt: skip
        formation = self.desk.formation(pending, approved)
        parent = self.oms.open_block_parent(spec, (formation,))
        self.desk.form(parent.order_id, spec.symbol, spec.side, formation, parent.created_ns)
        return Handled(DONE, [RouteOrder(parent.order_id)])

    def set_trading_state(self, msg: SetTradingState) -> Handled:
        """Flip the kill switch and record who did it and why; a repeat (redelivery, or the
        state it already is in) records nothing. ``TradingStateSet`` (before and after), or
        ``Refused`` naming ``state``."""
        try:
            state = TradingState(msg.state)
        except ValueError:
            return Handled(self._refuse(msg.requested_ns, _INVALID, ("state",),
                                        f"must be one of ACTIVE, REDUCING, HALTED, got {msg.state!r}"))
        previous = self.risk.trading_state
        if state is not previous:
            self.risk.set_trading_state(state)
            self.oms.record_platform_event(EventType.TRADING_STATE_CHANGED, msg.actor, {
                "state": state.value, "previous": previous.value, "reason": msg.reason})
        return Handled(TradingStateSet(state.value, previous.value))

    def _status_of(self, order_id: str) -> OrderStatus:
        return self.oms.orders[order_id].status

    def _allocate_block(self, parent_id: str) -> None:
        """Allocate a done parent; fill, close and settle its members at the allocation price."""
        parent = self.oms.get(parent_id)
        if parent.status not in _DONE_WITH_FILLS or parent.filled_qty == 0:
            return  # not done, or already allocated (at-least-once delivery)
        expired = parent.status is _EXPIRED
        result = self.desk.allocate(parent_id)
        self.post_trade.process(parent_id, allocation=result.to_details(), confirmation="STREET")
        for order_id, qty in order_quantities(self.desk.state.blocks[parent_id], result):
            order = self.oms.get(order_id)
            if qty:
                self.oms.record_block_fill(order_id, qty, result.price, parent_id)
            if order.filled_qty < order.spec.quantity:
                reason = "END_OF_DAY" if expired else ("ALLOCATED_ZERO" if qty == 0 else "BLOCK_PARTIALLY_FILLED")
                self.oms.close_block_member(order_id, expired, reason)
            if qty:
                self.post_trade.process(order_id, allocation={
                    "policy": result.policy, "policy_version": result.policy_version, "block_id": parent_id,
                    "allocations": [{"account_id": order.spec.account_id, "quantity": qty}],
                    "avg_price": result.price})  # fmt: skip

    def _close_unfilled_blocks(self) -> None:
        """A parent that ended with no fill leaves its members nothing: close them with the reason."""
        while self._unfilled_parents:
            parent = self.oms.get(self._unfilled_parents.pop(0))
            expired = parent.status is _EXPIRED
            for member in self.desk.members(parent.order_id):
                if self.oms.get(member.order_id).status in _ROUTABLE:
                    self.oms.close_block_member(member.order_id, expired, "END_OF_DAY" if expired else
                                                f"BLOCK_{parent.status.value}")  # fmt: skip

    def expire_day(self, msg: ExpireDay) -> Handled:
        """Orders that never reached a venue expire now; venues expire the rest."""
        for order in self.oms.open_orders():
            if order.status in (OrderStatus.NEW, OrderStatus.VALIDATED, OrderStatus.RISK_APPROVED):
                self.oms.expire(order.order_id)
        return _NOTHING

    # -- listeners --------------------------------------------------------------
    def _on_event(self, event: OrderEvent, order: Order | None) -> None:
        if order is None:
            return  # a platform event: nothing to book
        kind = event.event_type
        if kind not in _BOOKED:
            return  # most events (received, validated, approved, routed, post-trade) book nothing
        if self.desk.is_parent(order.order_id):
            # The parent trades for the firm's average-price account: no client risk to book.
            if kind in _FILLS:
                self.desk.on_fill(order.order_id, fill_of(event))
                self.ledger.apply(event)
            elif kind in _ENDS_UNFILLED and order.filled_qty == 0:
                self._unfilled_parents.append(order.order_id)
            elif kind is EventType.ORDER_ALLOCATED:
                self.ledger.apply(event)
            return
        if kind in _FILLS:
            d = event.details
            self.risk.on_fill(order.order_id, order.spec.account_id, order.spec.symbol, order.spec.side,
                              d["last_qty"], d["last_px"])
            self.ledger.apply(event)
        if kind in DONE_FOR_RISK:
            self.risk.on_order_done(order.order_id)
