"""Invariants checked after every run (DESIGN.md), each a small named check.

A check reads the run's evidence and returns ``None`` or a ``Violation`` naming
the first offending event. ``check_all`` runs every check in ``CHECKS`` order;
the runner fails the run on any violation, quoting the seed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

from components.blocks import DETAILS_SCHEMA, verify
from components.domain.events import EventType, OrderEvent
from components.domain.lifecycle import is_terminal
from components.domain.orders import Order
from components.domain.venues import ChildOrder, ExecutionReport
from components.ledger import FILL_EVENTS, Ledger


@dataclass
class RunEvidence:
    """Everything the checks may look at, gathered by the runner."""

    events: list[OrderEvent]
    orders: dict[str, Order]
    child_sends: list[tuple[int, ChildOrder]]  # (event-log length at send time, child)
    venue_fills: list[ExecutionReport]  # fills of our children as the venues reported them
    sanctioned_accounts: frozenset[str]
    opening_cash: dict[str, int]
    opening_positions: dict[str, dict[str, int]]
    live_ledger: Ledger
    risk_position: Callable[[str, str], int]
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Violation:
    invariant: str
    problem: str
    event_id: str = ""


@dataclass(frozen=True)
class InvariantResult:
    name: str
    passed: bool
    detail: str = ""
    event_id: str = ""

    def to_record(self) -> dict:
        return {"name": self.name, "passed": self.passed, "detail": self.detail, "event_id": self.event_id}


class InvariantViolation(AssertionError):
    """A run broke an invariant; the message names the seed and first offending event."""

    def __init__(self, seed: int, violation: Violation):
        self.seed = seed
        self.violation = violation
        where = f" at event {violation.event_id}" if violation.event_id else ""
        super().__init__(
            f"invariant {violation.invariant} violated (seed {seed}){where}: {violation.problem}. "
            f"Reproduce with: twin run SCENARIO --seed {seed}"
        )


def no_lost_or_duplicated_events(ev: RunEvidence) -> Violation | None:
    seen: set[str] = set()
    next_seq: Counter[str] = Counter()
    for event in ev.events:
        if event.event_id in seen:
            return Violation("no_lost_or_duplicated_events", "duplicated event id", event.event_id)
        seen.add(event.event_id)
        if not event.order_id:
            continue
        expected = next_seq[event.order_id] + 1
        if event.stream_seq != expected:
            problem = f"order {event.order_id}: stream_seq {event.stream_seq}, expected {expected}"
            return Violation("no_lost_or_duplicated_events", problem, event.event_id)
        next_seq[event.order_id] = expected
    for order_id in ev.orders:
        if next_seq[order_id] == 0:
            return Violation("no_lost_or_duplicated_events", f"order {order_id} has no events")
    return None


def every_order_terminal(ev: RunEvidence) -> Violation | None:
    """Every order terminal; a failed settlement counts only once a retry or a
    buy-in settled it (it stays CONFIRMED meanwhile), and a buy-in must end in
    a settlement flagged ``buy_in``."""
    last: dict[str, OrderEvent] = {}
    buy_in_pending: dict[str, OrderEvent] = {}
    for e in ev.events:
        if not e.order_id:
            continue
        last[e.order_id] = e
        if e.event_type is EventType.BUY_IN_REQUIRED:
            buy_in_pending[e.order_id] = e
        elif e.event_type is EventType.ORDER_SETTLED and e.order_id in buy_in_pending:
            if not e.detail("buy_in"):
                return Violation("every_order_terminal", f"order {e.order_id} settled after a buy-in was "
                                 "required, without the buy-in flag", e.event_id)
            del buy_in_pending[e.order_id]
    for order in ev.orders.values():
        if not is_terminal(order):
            event = last.get(order.order_id)
            why = ""
            if event is not None and event.event_type is EventType.SETTLEMENT_FAILED:
                why = " (its settlement failed and was never retried to a close)"
            return Violation("every_order_terminal", f"order {order.order_id} ended {order.status.value}{why}",
                             event.event_id if event else "")
    for order_id, event in buy_in_pending.items():
        return Violation("every_order_terminal", f"order {order_id}: buy-in required but never settled",
                         event.event_id)
    return None


def risk_approved_before_venue(ev: RunEvidence) -> Violation | None:
    approved_at: dict[str, int] = {}
    for offset, event in enumerate(ev.events):
        if event.event_type is EventType.ORDER_RISK_APPROVED:
            approved_at.setdefault(event.order_id, offset)
    for log_len, child in ev.child_sends:
        offset = approved_at.get(child.order_id)
        if offset is None or offset >= log_len:
            return Violation("risk_approved_before_venue",
                             f"child {child.child_id} of order {child.order_id} reached {child.venue} "
                             "without a prior risk approval")
    return None


def no_sanctioned_party_traded(ev: RunEvidence) -> Violation | None:
    """No sanctioned party trades, gets an order routed or has a transfer executed (issue 20).

    ``sanctioned_accounts`` are the accounts whose holder the fuzzy screener blocks (the block threshold:
    the risk engine's decision, ``twin.bootstrap``). Transfers (``extra["transfers"]``, the transfer
    desk's decisions, ``twin.money_movement``): every executed one is screened again here, holders by
    account and the outside party by name (``extra["name_blocked"]``), not read from the desk's record."""
    name = "no_sanctioned_party_traded"
    for event in ev.events:
        if event.event_type in FILL_EVENTS and event.account_id in ev.sanctioned_accounts:
            return Violation(name, f"sanctioned account {event.account_id} traded", event.event_id)
    for _, child in ev.child_sends:
        order = ev.orders.get(child.order_id)
        if order is not None and order.spec.account_id in ev.sanctioned_accounts:
            return Violation(name, f"order {child.order_id} of sanctioned account {order.spec.account_id} was "
                             f"routed to {child.venue}")
    name_blocked = ev.extra.get("name_blocked")
    for decision in ev.extra.get("transfers", ()):
        if not decision.executed:
            continue
        t = decision.transfer
        for party in (t.source, t.target):
            if party in ev.sanctioned_accounts:
                return Violation(name, f"transfer {t.transfer_id} ({t.kind.value}) of sanctioned account {party} "
                                 f"was executed ({decision.decision_id})")
        if t.beneficiary_name and name_blocked is not None and name_blocked(t.beneficiary_name):
            return Violation(name, f"transfer {t.transfer_id} ({t.kind.value}) with sanctioned outside party "
                             f"{t.beneficiary_name!r} was executed ({decision.decision_id})")
    return None


def fills_consistent(ev: RunEvidence) -> Violation | None:
    at_venue = {r.exec_id: r for r in ev.venue_fills}
    cum: Counter[str] = Counter()
    recorded: set[str] = set()
    for event in ev.events:
        if event.event_type not in FILL_EVENTS:
            continue
        d = event.details
        if "block_id" in d:  # a block member's share, checked by block_allocations_sum_to_block_fills
            cum[event.order_id] += d["last_qty"]
            recorded_block = cum[event.order_id] == d["cum_qty"] <= event.quantity
            if not recorded_block:
                return Violation("fills_consistent", f"order {event.order_id}: cumulative quantity "
                                 f"{cum[event.order_id]} vs reported {d['cum_qty']}", event.event_id)
            continue
        report = at_venue.get(d["exec_id"])
        if report is None or (report.last_qty, report.last_px) != (d["last_qty"], d["last_px"]):
            return Violation("fills_consistent", f"fill {d['exec_id']} does not match the venue's report",
                             event.event_id)
        cum[event.order_id] += d["last_qty"]
        if cum[event.order_id] != d["cum_qty"] or cum[event.order_id] > event.quantity:
            return Violation("fills_consistent", f"order {event.order_id}: cumulative quantity "
                             f"{cum[event.order_id]} vs reported {d['cum_qty']} of {event.quantity}",
                             event.event_id)
        recorded.add(d["exec_id"])
    for order in ev.orders.values():
        if cum[order.order_id] != order.filled_qty:
            return Violation("fills_consistent", f"order {order.order_id}: fills sum to {cum[order.order_id]}, "
                             f"order says {order.filled_qty}")
    for exec_id in at_venue:
        if exec_id not in recorded:
            return Violation("fills_consistent", f"venue fill {exec_id} never reached the books")
    return None


def books_equal_replay(ev: RunEvidence) -> Violation | None:
    replay = Ledger(ev.opening_cash, ev.opening_positions).apply_all(ev.events)
    replay_cash, replay_positions = replay.snapshot()
    live_cash, live_positions = ev.live_ledger.snapshot()
    for account in sorted(set(replay_cash) | set(live_cash)):
        if replay_cash.get(account) != live_cash.get(account):
            return Violation("books_equal_replay", f"cash of {account}: live {live_cash.get(account)}, "
                             f"replay {replay_cash.get(account)}")
    accounts = sorted(set(replay_positions) | set(live_positions))
    for account in accounts:
        live, replayed = live_positions.get(account, {}), replay_positions.get(account, {})
        for symbol in sorted(set(live) | set(replayed)):
            if live.get(symbol, 0) != replayed.get(symbol, 0) or ev.risk_position(account, symbol) != replayed.get(
                    symbol, 0):
                return Violation("books_equal_replay", f"position {account}/{symbol}: live {live.get(symbol, 0)}, "
                                 f"risk {ev.risk_position(account, symbol)}, replay {replayed.get(symbol, 0)}")
    return None


def block_allocations_sum_to_block_fills(ev: RunEvidence) -> Violation | None:
    """Every block allocation re-derives from its record, splits exactly the
    parent's street fills, and each member received exactly its line at the
    allocation price."""
    name = "block_allocations_sum_to_block_fills"
    street: dict[str, list[int]] = {}  # parent order id -> [qty, notional]
    member_fills: dict[tuple[str, str], list[tuple[int, int]]] = {}  # (block id, account) -> [(qty, px)]
    allocations: list[OrderEvent] = []
    for event in ev.events:
        kind = event.event_type
        if kind in FILL_EVENTS:
            d = event.details
            block_id = d.get("block_id")
            if block_id is None:
                tally = street.setdefault(event.order_id, [0, 0])
                tally[0] += d["last_qty"]
                tally[1] += d["last_qty"] * d["last_px"]
            else:
                member_fills.setdefault((block_id, event.account_id), []).append((d["last_qty"], d["last_px"]))
        elif kind is EventType.ORDER_ALLOCATED and event.details and event.details.get("schema") == DETAILS_SCHEMA:
            allocations.append(event)
    allocated_blocks = set()
    for event in allocations:
        d = event.details
        block_id = event.order_id
        allocated_blocks.add(block_id)
        try:
            reproduced = verify(d)
        except Exception as exc:  # a record that cannot even be re-derived is the violation
            return Violation(name, f"block {block_id}: allocation cannot be re-derived ({exc})", event.event_id)
        if not reproduced:
            return Violation(name, f"block {block_id}: re-deriving the allocation gives a different result",
                             event.event_id)
        lines = sum(line["quantity"] for line in d["allocations"])
        qty, notional = street.get(block_id, [0, 0])
        if not lines == d["filled_qty"] == qty or d["filled_notional"] != notional:
            return Violation(name, f"block {block_id}: allocated {lines} of {d['filled_qty']} recorded, street "
                             f"fills {qty} shares / {notional} notional vs {d['filled_notional']}", event.event_id)
        for line in d["allocations"]:
            got = member_fills.pop((block_id, line["account_id"]), [])
            if sum(q for q, _ in got) != line["quantity"] or any(px != d["price"] for _, px in got):
                return Violation(name, f"block {block_id}: account {line['account_id']} received {got}, "
                                 f"allocated {line['quantity']} at {d['price']}", event.event_id)
    for block_id, account in sorted(member_fills):
        return Violation(name, f"account {account} was filled from block {block_id}, which has no allocation")
    return None


def replicas_agree_rpo_zero(ev: RunEvidence) -> Violation | None:
    """Multi-region worlds only (``twin.regions``; passes in a one-region world): every replica holds
    a prefix of the primary's log, and after each failover the survivor holds every trade-critical
    event the old primary acknowledged (RPO = 0) and agrees with the old primary's log up to its length."""
    regions = ev.extra.get("regions")
    if regions is None:
        return None
    from .region_log import missing_acknowledged  # only multi-region runs need it

    name = "replicas_agree_rpo_zero"
    for old_log, acknowledged, survivor in regions["failovers"]:
        missing = missing_acknowledged(old_log, acknowledged, survivor)
        if missing:
            return Violation(name, f"RPO {len(missing)}: acknowledged trade-critical events missing in the "
                             "survivor after failover", missing[0].event_id)
        for mine, theirs in zip(old_log, survivor):
            if mine.event_id != theirs.event_id:
                return Violation(name, "the survivor's log diverges from the old primary's", theirs.event_id)
    primary = regions["primary_events"]
    for region, replica in regions["replicas"].items():
        for offset, event in enumerate(replica):
            if offset >= len(primary) or primary[offset].event_id != event.event_id:
                return Violation(name, f"replica {region} diverges from the primary at offset {offset}",
                                 event.event_id)
    return None


def stored_events_verified(ev: RunEvidence) -> Violation | None:
    """Runs with storage faults only (``chaos.faults.storage``; passes otherwise): every stored event
    whose bytes were corrupted was detected by the hash chain, by the recovery that read it or by
    the end-of-run audit (``twin.stored_log``), never used silently."""
    report = ev.extra.get("storage")
    if report is None:
        return None
    undetected = report.undetected
    if undetected:
        offset = undetected[0]
        event_id = ev.events[offset].event_id if offset < len(ev.events) else ""
        return Violation("stored_events_verified", f"{len(undetected)} corrupted stored event(s) never detected "
                         f"(first at offset {offset})", event_id)
    return None


CHECKS: tuple[Callable[[RunEvidence], Violation | None], ...] = (
    no_lost_or_duplicated_events,
    every_order_terminal,
    risk_approved_before_venue,
    no_sanctioned_party_traded,
    fills_consistent,
    books_equal_replay,
    block_allocations_sum_to_block_fills,
    replicas_agree_rpo_zero,
    stored_events_verified,
)


def check_all(evidence: RunEvidence) -> list[InvariantResult]:
    results = []
    for check in CHECKS:
        violation = check(evidence)
        if violation is None:
            results.append(InvariantResult(check.__name__, True))
        else:
            results.append(InvariantResult(check.__name__, False, violation.problem, violation.event_id))
    return results


def first_violation(results: list[InvariantResult]) -> Violation | None:
    for r in results:
        if not r.passed:
            return Violation(r.name, r.detail, r.event_id)
    return None
