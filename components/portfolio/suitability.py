"""Suitability: may this proposal be offered to this household? Every problem, in plain words.

Run on every proposal after its trades are rounded: the optimiser is built to respect the IPS,
and this check is what proves it did (and catches what the optimiser cannot fix: a target model
riskier than the client's profile, an equity share a tax-averse rebalance left too high). A
proposal with any finding is withheld and the findings are the reason. Findings are data: a
machine-readable code and the words a reader sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

from ..domain.money import format_price
from ..domain.orders import Side
from .households import Household
from .lots import Lot, held
from .proposals import ProposedTrade
from .universe import BPS, MAX_EQUITY_BPS, security


@dataclass(frozen=True, slots=True)
class Finding:
    """One reason a proposal is unsuitable."""

    code: str
    """``MODEL_RISK_ABOVE_PROFILE``, ``BUYS_RESTRICTED``, ``BUYS_WASH_BLOCKED``, ``OVERSELLS``,
    ``NEGATIVE_CASH``, ``CASH_BELOW_FLOOR``, ``POSITION_ABOVE_MAX``, ``EQUITY_ABOVE_PROFILE``."""
    message: str


def check(household: Household, lots_before: Iterable[Lot], trades: Iterable[ProposedTrade],
          prices: Mapping[str, int], wash_blocked: frozenset[str] = frozenset()) -> tuple[Finding, ...]:
    """Every suitability problem of applying ``trades`` (at their ``est_price``, else ``prices``) to the
    household; empty when the proposal may be offered."""
    policy = household.policy
    lots = list(lots_before)
    trades = list(trades)
    found: list[Finding] = []
    model = policy.model
    if model.risk > policy.risk_profile:
        found.append(Finding("MODEL_RISK_ABOVE_PROFILE",
                             f"target model {model.model_id} (risk {model.risk.name.lower()}) is riskier than the "
                             f"IPS risk profile ({policy.risk_profile.name.lower()})"))
    cash = {a.account_id: a.cash for a in household.accounts}
    qty: dict[tuple[str, str], int] = {}
    for lot in lots:
        key = (lot.account_id, lot.symbol)
        qty[key] = qty.get(key, 0) + lot.quantity
    for t in trades:
        price = t.est_price or prices[t.symbol]
        key = (t.account_id, t.symbol)
        if t.side is Side.BUY:
            why = policy.why_not_buy(t.symbol)
            if why:
                found.append(Finding("BUYS_RESTRICTED", f"buys {t.quantity} {t.symbol} in {t.account_id}: {why}"))
            if t.symbol in wash_blocked:
                found.append(Finding("BUYS_WASH_BLOCKED", f"buys {t.symbol} in {t.account_id} within 30 days of a "
                                                          f"loss sale of a substantially identical security"))
            qty[key] = qty.get(key, 0) + t.quantity
            cash[t.account_id] = cash.get(t.account_id, 0) - t.quantity * price
        else:
            if t.quantity > held(lots, t.account_id, t.symbol):
                found.append(Finding("OVERSELLS", f"sells {t.quantity} {t.symbol} in {t.account_id}, holds "
                                                  f"{held(lots, t.account_id, t.symbol)}"))
            qty[key] = qty.get(key, 0) - t.quantity
            cash[t.account_id] = cash.get(t.account_id, 0) + t.quantity * price
    for account_id, c in sorted(cash.items()):
        if c < 0:
            found.append(Finding("NEGATIVE_CASH", f"{account_id} would be ${format_price(-c)} overdrawn"))
    values: dict[str, int] = {}
    for (_, symbol), q in qty.items():
        values[symbol] = values.get(symbol, 0) + q * prices[symbol]
    total_cash = sum(cash.values())
    total = total_cash + sum(values.values())
    if total <= 0:
        return tuple(found)
    if total_cash * BPS < policy.cash_floor_bps * total:
        found.append(Finding("CASH_BELOW_FLOOR", f"cash after trades {total_cash * 100 / total:.2f}% is below the "
                                                 f"IPS floor {policy.cash_floor_bps / 100:.2f}%"))
    for symbol, v in sorted(values.items()):
        if v * BPS > policy.max_position_bps * total:
            found.append(Finding("POSITION_ABOVE_MAX", f"{symbol} would weigh {v * 100 / total:.2f}%, above the "
                                                       f"IPS maximum {policy.max_position_bps / 100:.2f}%"))
    equity = sum(v for s, v in values.items() if security(s).asset_class.is_equity)
    cap = MAX_EQUITY_BPS[policy.risk_profile] + policy.bands.absolute_bps
    if equity * BPS > cap * total:
        found.append(Finding("EQUITY_ABOVE_PROFILE", f"equities would be {equity * 100 / total:.1f}% of the household, "
                                                     f"above {cap / 100:.1f}% for a "
                                                     f"{policy.risk_profile.name.lower()} profile (cap plus band)"))
    return tuple(found)
