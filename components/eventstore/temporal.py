"""Bitemporal questions: what did the store know at system time T about business time B?

Every event has two times: ``timestamp_utc`` (business time, when it happened,
e.g. the venue's execution time) and ``recorded_at`` (system time, when the
platform wrote it down). A fill executed at 10:00:00.000 but recorded at
10:00:00.010 is part of the 10:00:00.005 business picture only for questions
asked from 10:00:00.010 on. Both stores answer through ``read_as_of``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Protocol

from components.domain.events import STATUS_OF, OrderEvent
from components.domain.orders import OrderStatus
from components.ledger import FILL_EVENTS, Ledger


class TemporalStore(Protocol):
    def read_as_of(self, system_time_ns: int, business_time_ns: int | None = None,
                   stream: str | None = None) -> Iterator[OrderEvent]: ...


@dataclass(frozen=True, slots=True)
class OrderState:
    order_id: str
    status: OrderStatus | None  # None: only non-status facts known so far
    filled_qty: int
    avg_price: int  # units, rounded half-up like Order.avg_price; 0 when nothing filled
    fees: int
    events: int  # how many of the order's events the answer rests on


@dataclass(frozen=True, slots=True)
class AccountState:
    account_id: str
    cash: int
    positions: dict[str, int] = field(default_factory=dict)  # symbol -> quantity, zeros dropped


def order_state_as_of(store: TemporalStore, order_id: str, system_time_ns: int,
                      business_time_ns: int) -> OrderState | None:
    """The order as known at ``system_time_ns`` about ``business_time_ns``; None if
    no event of it qualifies (the order was unknown then)."""
    events = sorted(store.read_as_of(system_time_ns, business_time_ns, stream=order_id),
                    key=lambda e: e.stream_seq)  # the order the OMS applied them in
    if not events:
        return None
    status: OrderStatus | None = None
    filled = notional = fees = 0
    for event in events:
        status = STATUS_OF.get(event.event_type, status)
        if event.event_type in FILL_EVENTS:
            details = event.details
            filled += details["last_qty"]
            notional += details["last_qty"] * details["last_px"]
            fees += details["fee"]
    avg = (2 * notional + filled) // (2 * filled) if filled else 0
    return OrderState(order_id, status, filled, avg, fees, len(events))


def account_state_as_of(store: TemporalStore, account_id: str, system_time_ns: int, business_time_ns: int,
                        opening_cash: int = 0, opening_positions: dict[str, int] | None = None) -> AccountState:
    """Cash and positions of ``account_id``: the opening balances given plus the fills
    known at ``system_time_ns`` that happened by ``business_time_ns``."""
    ledger = Ledger({account_id: opening_cash}, {account_id: dict(opening_positions or {})})
    for event in store.read_as_of(system_time_ns, business_time_ns):
        if event.account_id == account_id:
            ledger.apply(event)
    cash, positions = ledger.snapshot()
    return AccountState(account_id, cash[account_id], positions.get(account_id, {}))
