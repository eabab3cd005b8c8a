"""Builders for portfolio tests (imported as ``tests.unit.components.portfolio.builders``): a household with taxable, IRA and Roth accounts and lots at given prices."""

from __future__ import annotations

from datetime import date

from components.domain.money import PRICE_SCALE as D
from components.portfolio.households import AccountKind, DriftBands, Household, InvestmentPolicy, PortfolioAccount
from components.portfolio.lots import Lot
from components.portfolio.universe import RiskLevel, reference_prices

AS_OF = date(2026, 11, 24)


def make_household(policy: InvestmentPolicy | None = None, cash=(0, 0, 0), hid="HH-1") -> Household:
    """Accounts ``{hid}-TX`` (taxable), ``{hid}-IRA``, ``{hid}-ROTH`` with the given cash (dollars)."""
    policy = policy or InvestmentPolicy(RiskLevel.BALANCED, "balanced", bands=DriftBands(500, 2_500))
    kinds = (AccountKind.TAXABLE, AccountKind.IRA, AccountKind.ROTH)
    accounts = tuple(PortfolioAccount(f"{hid}-{k.name[:3] if k is not AccountKind.ROTH else 'ROTH'}", hid, k, c * D)
                     for k, c in zip(kinds, cash))
    return Household(hid, "Test household", "ADV-1", accounts, policy)


def make_lot(lot_id: str, account: str, symbol: str, qty: int, paid_per_share: int | float, acquired: date) -> Lot:
    """``qty`` shares bought at ``paid_per_share`` dollars."""
    return Lot(lot_id, account, symbol, qty, round(paid_per_share * D) * qty, acquired)


PRICES = reference_prices()
