"""Tax lots under specific lot identification: which lots a sale consumes, and what it realises.

A lot is shares of one symbol in one account bought together: its total cost basis (units) and
two dates, when it was acquired and when its holding period starts (the same date, unless a
wash sale carried an earlier holding period over to it: ``components.portfolio.tax_loss``).
Lots are immutable; a sale returns the lots that remain and the realised gains, so nothing is
mutated behind a caller's back. Basis is split between sold and kept shares with integer
arithmetic that loses nothing: realised basis + remaining basis == basis before, exactly.

Tax dates are calendar dates (``datetime.date``): the IRS counts days, not nanoseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from enum import Enum
from typing import Iterable, Sequence

SHORT_TERM_RATE = 0.37
LONG_TERM_RATE = 0.20
"""Assumed marginal rates for ranking lots by tax cost (top US federal brackets; no state tax).
Only the order they induce and the optimiser's tax penalty use them; no tax is computed with them."""


class Term(str, Enum):
    """Holding period class of a realised gain or loss."""

    SHORT = "short"
    LONG = "long"


def one_year_after(day: date) -> date:
    """The anniversary of ``day`` (Feb 29 -> Feb 28)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return date(day.year + 1, 2, 28)


def term_of(holding_start: date, sale_date: date) -> Term:
    """Long-term if held *more than* one year (Pub. 550): sold after the anniversary, not on it."""
    return Term.LONG if sale_date > one_year_after(holding_start) else Term.SHORT


@dataclass(frozen=True, slots=True)
class Lot:
    """Shares of one symbol in one account bought together. ``cost_basis`` is the lot's total, units."""

    lot_id: str
    account_id: str
    symbol: str
    quantity: int
    cost_basis: int
    acquired: date
    holding_start: date | None = None
    """Start of the holding period; defaults to ``acquired``; earlier after a wash sale carry-over."""

    def __post_init__(self) -> None:
        if type(self.quantity) is not int or self.quantity <= 0:
            raise ValueError(f"Lot {self.lot_id}: quantity must be a positive int, got {self.quantity!r}")
        if type(self.cost_basis) is not int or self.cost_basis < 0:
            raise ValueError(f"Lot {self.lot_id}: cost_basis must be int units >= 0, got {self.cost_basis!r}")
        if self.holding_start is None:
            object.__setattr__(self, "holding_start", self.acquired)

    @property
    def basis_per_share(self) -> float:
        """Average basis per share, units (float: for ranking and display only)."""
        return self.cost_basis / self.quantity

    def split(self, quantity: int) -> tuple[Lot, Lot | None]:
        """(``quantity`` shares of this lot, the rest or None); basis split exactly."""
        if not 0 < quantity <= self.quantity:
            raise ValueError(f"Lot {self.lot_id}: cannot take {quantity} of {self.quantity} shares")
        if quantity == self.quantity:
            return self, None
        taken = self.cost_basis * quantity // self.quantity
        return (replace(self, quantity=quantity, cost_basis=taken),
                replace(self, quantity=self.quantity - quantity, cost_basis=self.cost_basis - taken))


@dataclass(frozen=True, slots=True)
class Realised:
    """The gain (negative: loss) a sale realised on shares of one lot."""

    lot_id: str
    account_id: str
    symbol: str
    quantity: int
    proceeds: int
    basis: int
    sale_date: date
    holding_start: date

    @property
    def gain(self) -> int:
        """Proceeds minus basis, units; negative for a loss."""
        return self.proceeds - self.basis

    @property
    def term(self) -> Term:
        """Short or long term."""
        return term_of(self.holding_start, self.sale_date)


@dataclass(frozen=True, slots=True)
class Sale:
    """What selling some lots did: the lots that remain (all accounts, order kept) and what was realised."""

    remaining: tuple[Lot, ...]
    realised: tuple[Realised, ...]

    @property
    def gain(self) -> int:
        """Total realised gain (negative: loss), units."""
        return sum(r.gain for r in self.realised)


def held(lots: Iterable[Lot], account_id: str, symbol: str) -> int:
    """Shares of ``symbol`` held in ``account_id``."""
    return sum(lot.quantity for lot in lots if lot.account_id == account_id and lot.symbol == symbol)


def sell(lots: Sequence[Lot], account_id: str, symbol: str, quantity: int, lot_ids: Sequence[str],
         price: int, sale_date: date) -> Sale:
    """Sell ``quantity`` shares at ``price`` (units per share) from the named lots, in the order given;
    the last lot used may be sold in part. ValueError if a lot is not this account's ``symbol``, is
    named twice, or the named lots hold fewer shares than ``quantity``."""
    if type(quantity) is not int or quantity <= 0:
        raise ValueError(f"sell: quantity must be a positive int, got {quantity!r}")
    if type(price) is not int or price < 0:
        raise ValueError(f"sell: price must be int units >= 0, got {price!r}")
    if len(set(lot_ids)) != len(lot_ids):
        raise ValueError(f"sell: a lot is named twice in {list(lot_ids)}")
    by_id = {lot.lot_id: lot for lot in lots}
    left = quantity
    sold: dict[str, Lot | None] = {}  # lot id -> what remains of it
    realised: list[Realised] = []
    for lot_id in lot_ids:
        lot = by_id.get(lot_id)
        if lot is None or lot.account_id != account_id or lot.symbol != symbol:
            raise ValueError(f"sell: lot {lot_id} is not a {symbol} lot of account {account_id}")
        if left == 0:
            raise ValueError(f"sell: lot {lot_id} is not needed to sell {quantity} shares")
        taken, rest = lot.split(min(left, lot.quantity))
        left -= taken.quantity
        sold[lot_id] = rest
        assert taken.holding_start is not None
        realised.append(Realised(lot_id, account_id, symbol, taken.quantity, price * taken.quantity,
                                 taken.cost_basis, sale_date, taken.holding_start))
    if left:
        raise ValueError(f"sell: lots {list(lot_ids)} hold {quantity - left} shares of {symbol}, "
                         f"fewer than the {quantity} to sell")
    remaining = tuple(sold[lot.lot_id] if lot.lot_id in sold else lot for lot in lots)
    return Sale(tuple(lot for lot in remaining if lot is not None), tuple(realised))


def tax_cost_per_share(lot: Lot, price: int, sale_date: date) -> float:
    """Estimated tax (units, negative = saving) of selling one share of ``lot`` at ``price``."""
    assert lot.holding_start is not None
    rate = LONG_TERM_RATE if term_of(lot.holding_start, sale_date) is Term.LONG else SHORT_TERM_RATE
    return (price - lot.basis_per_share) * rate


def tax_aware_order(lots: Iterable[Lot], price: int, sale_date: date) -> list[Lot]:
    """Lots in the order a tax-aware sale consumes them: least tax first. That is losses first
    (short-term losses, the more valuable, ahead of long-term ones of the same size), then gains
    from the highest basis down, with long-term gains ahead of short-term ones at equal tax."""
    return sorted(lots, key=lambda lot: (tax_cost_per_share(lot, price, sale_date), -lot.basis_per_share,
                                         lot.acquired, lot.lot_id))


def choose_lots(lots: Iterable[Lot], account_id: str, symbol: str, quantity: int, price: int,
                sale_date: date) -> tuple[str, ...]:
    """Ids of the lots a tax-aware sale of ``quantity`` shares uses, in order; ValueError if too few held."""
    mine = [lot for lot in lots if lot.account_id == account_id and lot.symbol == symbol]
    chosen: list[str] = []
    left = quantity
    for lot in tax_aware_order(mine, price, sale_date):
        if left <= 0:
            break
        chosen.append(lot.lot_id)
        left -= lot.quantity
    if left > 0:
        raise ValueError(f"choose_lots: account {account_id} holds {quantity - left} {symbol}, "
                         f"fewer than {quantity}")
    return tuple(chosen)
