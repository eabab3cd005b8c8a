"""Invariants checked after every run (DESIGN.md), each a small named check.

A check reads the run's evidence and returns ``None`` or a ``Violation`` naming
the first offending event. ``check_all`` runs every check in ``CHECKS`` order;
the runner fails the run on any violation, quoting the seed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

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
    last: dict[str, OrderEvent] = {e.order_id: e for e in ev.events if e.order_id}
    for order in ev.orders.values():
        if not is_terminal(order):
            event = last.get(order.order_id)
            return Violation("every_order_terminal", f"order {order.order_id} ended {order.status.value}",
                             event.event_id if event else "")
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
    for event in ev.events:
        if event.event_type in FILL_EVENTS and event.account_id in ev.sanctioned_accounts:
            return Violation("no_sanctioned_party_traded",
                             f"sanctioned account {event.account_id} traded", event.event_id)
    return None


def fills_consistent(ev: RunEvidence) -> Violation | None:
    at_venue = {r.exec_id: r for r in ev.venue_fills}
    cum: Counter[str] = Counter()
    recorded: set[str] = set()
    for event in ev.events:
        if event.event_type not in FILL_EVENTS:
            continue
        d = event.details
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


CHECKS: tuple[Callable[[RunEvidence], Violation | None], ...] = (
    no_lost_or_duplicated_events,
    every_order_terminal,
    risk_approved_before_venue,
    no_sanctioned_party_traded,
    fills_consistent,
    books_equal_replay,
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
