"""Client and street-side (broker-dealer) confirmations built from a block allocation.

One ``ClientConfirmation`` per account that received shares: quantity, the
block's allocation price, gross, itemised fees, net, trade and settlement
dates, capacity and clearing fields. One ``StreetConfirmation`` per clearing
relationship (executing broker, clearing broker, step-out): what the
broker-dealers confirm to each other. ``ConfirmationSet`` holds both plus the
rounding residual, and ``balanced`` proves the cash adds up to the street.

Money is integer units. Sign convention: ``gross``, ``fees`` and ``net`` are
non-negative amounts; the side says which way they move (``cash_delta``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Any

from .blocks.allocate import AllocationResult
from .blocks.block import round_half_up
from .blocks.statement import ClearingInstructions
from .domain.money import CENT, PRICE_SCALE
from .domain.orders import Side

BPS = 10_000
FIRM = "SELF"
"""How this firm is named in clearing fields left empty."""

COMMISSION = "COMMISSION"
SEC_FEE = "SEC_FEE"


class Capacity(str, Enum):
    """The capacity the firm acted in. An agency trade carries a commission; a
    principal trade's compensation is in the price, so none is added."""

    AGENCY = "AGENCY"
    PRINCIPAL = "PRINCIPAL"


@dataclass(frozen=True, slots=True)
class FeeLine:
    code: str
    amount: int  # units, >= 0


@dataclass(frozen=True, slots=True)
class CommissionSchedule:
    """Client charges per confirmation. Defaults charge nothing."""

    per_share: int = 0
    """Commission per share, units (agency only)."""
    bps: int = 0
    """Commission in basis points of gross, rounded half-up to the unit (agency only)."""
    minimum: int = 0
    """Minimum commission per confirmation, units (agency only)."""
    sec_fee_per_million: int = 0
    """Section 31 fee on sells, units per $1,000,000 of gross; rounded *up* to the cent
    (the firm's pass-through convention: never under-collect)."""

    def __post_init__(self) -> None:
        for name in ("per_share", "bps", "minimum", "sec_fee_per_million"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"CommissionSchedule.{name} must be an int >= 0, got {value!r}")

    def fees(self, side: Side, quantity: int, gross: int, capacity: Capacity) -> tuple[FeeLine, ...]:
        """Itemised fees for one confirmation; zero-amount lines are left out."""
        lines = []
        if capacity is Capacity.AGENCY:
            commission = max(self.minimum, self.per_share * quantity + round_half_up(gross * self.bps, BPS))
            if commission:
                lines.append(FeeLine(COMMISSION, commission))
        if side is Side.SELL and self.sec_fee_per_million:
            denominator = 1_000_000 * PRICE_SCALE * CENT
            cents = -(-gross * self.sec_fee_per_million // denominator)  # ceiling division
            if cents:
                lines.append(FeeLine(SEC_FEE, cents * CENT))
        return tuple(lines)


def _clearing_record(c: ClearingInstructions | None) -> dict[str, Any] | None:
    return None if c is None else c.to_record()


@dataclass(frozen=True, slots=True)
class ClientConfirmation:
    """What the client is told about its share of a block."""

    confirmation_id: str
    block_id: str
    issuer: str
    """The broker-dealer confirming: this firm, or the firm a step-out moved the trade to."""
    account_id: str
    symbol: str
    side: Side
    quantity: int
    price: int
    gross: int
    fees: tuple[FeeLine, ...]
    net: int
    """Buy: gross + fees (the client pays). Sell: gross - fees (the client receives)."""
    trade_date: date
    settlement_date: date
    capacity: Capacity
    average_price: bool
    """Priced at the average of several executions: the confirmation must say so
    (details on request)."""
    clearing: ClearingInstructions | None
    created_ns: int

    @property
    def total_fees(self) -> int:
        return sum(f.amount for f in self.fees)

    @property
    def cash_delta(self) -> int:
        """Signed change to the account's cash on settlement."""
        return -self.net if self.side is Side.BUY else self.net

    def to_record(self) -> dict[str, Any]:
        return {
            "confirmation_id": self.confirmation_id, "block_id": self.block_id, "issuer": self.issuer,
            "account_id": self.account_id, "symbol": self.symbol, "side": self.side.value,
            "quantity": self.quantity, "price": self.price, "gross": self.gross,
            "fees": [{"code": f.code, "amount": f.amount} for f in self.fees], "net": self.net,
            "trade_date": self.trade_date.isoformat(), "settlement_date": self.settlement_date.isoformat(),
            "capacity": self.capacity.value, "average_price": self.average_price,
            "clearing": _clearing_record(self.clearing), "created_ns": self.created_ns,
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class StreetConfirmation:
    """What the executing and clearing broker-dealers confirm to each other for a
    group of allocation lines (one per clearing relationship)."""

    confirmation_id: str
    block_id: str
    executing_broker: str
    clearing_broker: str
    step_out: bool
    symbol: str
    side: Side
    quantity: int
    price: int
    gross: int
    accounts: tuple[str, ...]
    trade_date: date
    settlement_date: date
    capacity: Capacity
    created_ns: int

    @property
    def give_up(self) -> bool:
        return self.clearing_broker != self.executing_broker

    def to_record(self) -> dict[str, Any]:
        return {
            "confirmation_id": self.confirmation_id, "block_id": self.block_id,
            "executing_broker": self.executing_broker, "clearing_broker": self.clearing_broker,
            "step_out": self.step_out, "symbol": self.symbol, "side": self.side.value,
            "quantity": self.quantity, "price": self.price, "gross": self.gross, "accounts": list(self.accounts),
            "trade_date": self.trade_date.isoformat(), "settlement_date": self.settlement_date.isoformat(),
            "capacity": self.capacity.value, "created_ns": self.created_ns,
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class ConfirmationSet:
    """All confirmations for one allocated block."""

    block_id: str
    client: tuple[ClientConfirmation, ...]
    street: tuple[StreetConfirmation, ...]
    street_notional: int
    """The block's exact executed notional (sum of fill qty * price), units."""
    rounding_residual: int
    """street_notional minus client gross: the firm's rounding account."""

    def balanced(self) -> bool:
        """Client gross equals street-confirmed gross, and plus the residual equals the executions."""
        client_gross = sum(c.gross for c in self.client)
        street_gross = sum(s.gross for s in self.street)
        return client_gross == street_gross and street_gross + self.rounding_residual == self.street_notional


def confirm(result: AllocationResult, *, trade_date: date, settlement_date: date, created_ns: int,
            capacity: Capacity = Capacity.AGENCY, schedule: CommissionSchedule = CommissionSchedule(),
            firm: str = FIRM) -> ConfirmationSet:  # fmt: skip
    """Confirmations for every allocation line with shares (zero lines get none).

    ``settlement_date`` comes from the caller's T+N function (see
    ``components.business_days``); it may not precede ``trade_date``.
    """
    if settlement_date < trade_date:
        raise ValueError(f"settlement_date {settlement_date} precedes trade_date {trade_date}")
    average = len({f.price for f in result.fills}) > 1
    clients = []
    groups: dict[tuple[str, str, bool], list] = {}
    for line in result.lines:
        if line.quantity == 0:
            continue
        c = line.clearing
        executing = (c.executing_broker if c else "") or firm
        clearing = (c.clearing_broker if c else "") or executing
        step_out = bool(c and c.step_out)
        fees = schedule.fees(result.side, line.quantity, line.gross, capacity)
        total = sum(f.amount for f in fees)
        net = line.gross + total if result.side is Side.BUY else line.gross - total
        clients.append(ClientConfirmation(
            f"{result.block_id}/C/{line.account_id}", result.block_id, clearing if step_out else firm,
            line.account_id, result.symbol, result.side, line.quantity, line.price, line.gross, fees, net,
            trade_date, settlement_date, capacity, average, c, created_ns))  # fmt: skip
        groups.setdefault((executing, clearing, step_out), []).append(line)
    street = tuple(
        StreetConfirmation(
            f"{result.block_id}/S/{executing}/{clearing}{'/STEP_OUT' if step_out else ''}", result.block_id,
            executing, clearing, step_out, result.symbol, result.side, sum(ln.quantity for ln in lines),
            result.price, sum(ln.gross for ln in lines), tuple(ln.account_id for ln in lines), trade_date,
            settlement_date, capacity, created_ns)  # fmt: skip
        for (executing, clearing, step_out), lines in sorted(groups.items())
    )
    return ConfirmationSet(result.block_id, tuple(clients), street, result.filled_notional, result.rounding_residual)
