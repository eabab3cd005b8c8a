"""Households, their accounts, and the investment policy statement (IPS) each one is managed to.

A household is one client (or couple) with an advisor and several accounts of different tax
treatment (taxable, traditional IRA, Roth IRA). The IPS is per household: its risk profile,
the target model portfolio, what may not be bought (restricted securities, ESG screens), the
most one position may weigh, the cash floor, and the drift bands that trigger a rebalance.
Weights and bands are integer basis points (10_000 = 100 %); cash is integer units.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from .universe import BPS, CASH, ESG_ALTERNATIVES, MODELS, ModelPortfolio, RiskLevel, security


class AccountKind(str, Enum):
    """Tax treatment of an account."""

    TAXABLE = "taxable"
    IRA = "ira"
    """Traditional IRA: no tax on sales inside it."""
    ROTH = "roth"

    @property
    def taxable(self) -> bool:
        """Do sales in this account realise gains and losses for tax?"""
        return self is AccountKind.TAXABLE


@dataclass(frozen=True, slots=True)
class PortfolioAccount:
    """One account of a household; ``cash`` in units."""

    account_id: str
    household_id: str
    kind: AccountKind
    cash: int = 0

    def __post_init__(self) -> None:
        if type(self.cash) is not int or self.cash < 0:
            raise ValueError(f"PortfolioAccount {self.account_id}: cash must be int units >= 0, got {self.cash!r}")


@dataclass(frozen=True, slots=True)
class DriftBands:
    """A holding has drifted when |weight - target| exceeds ``absolute_bps``, or exceeds
    ``relative_bps`` of its target (the common "5/25" rule is 500 and 2_500)."""

    absolute_bps: int = 500
    relative_bps: int = 2_500

    def __post_init__(self) -> None:
        if not 0 < self.absolute_bps <= BPS:
            raise ValueError(f"DriftBands.absolute_bps must be in 1..{BPS}, got {self.absolute_bps}")
        if not 0 < self.relative_bps <= 10 * BPS:
            raise ValueError(f"DriftBands.relative_bps must be in 1..{10 * BPS}, got {self.relative_bps}")


@dataclass(frozen=True, slots=True)
class InvestmentPolicy:
    """The IPS: what the household's portfolio must look like, and what it may not hold."""

    risk_profile: RiskLevel
    model_id: str
    restricted: frozenset[str] = frozenset()
    """Symbols the client may not buy (e.g. employer stock, an insider restriction)."""
    esg_exclusions: frozenset[str] = frozenset()
    """ESG screens (``Security.esg_tags``) the client excludes, e.g. ``fossil_fuels``."""
    max_position_bps: int = 6_000
    """Most any one security may weigh in the household after a rebalance."""
    cash_floor_bps: int = 100
    """Least cash (all accounts together) as a share of household value after a rebalance."""
    bands: DriftBands = DriftBands()

    def __post_init__(self) -> None:
        if self.model_id not in MODELS:
            raise ValueError(f"InvestmentPolicy.model_id: unknown model {self.model_id!r}")
        if not 0 < self.max_position_bps <= BPS:
            raise ValueError(f"InvestmentPolicy.max_position_bps must be in 1..{BPS}, got {self.max_position_bps}")
        if not 0 <= self.cash_floor_bps < BPS:
            raise ValueError(f"InvestmentPolicy.cash_floor_bps must be in 0..{BPS - 1}, got {self.cash_floor_bps}")

    @property
    def model(self) -> ModelPortfolio:
        """The target model portfolio."""
        return MODELS[self.model_id]

    def may_buy(self, symbol: str) -> bool:
        """Neither restricted nor caught by an ESG exclusion."""
        return self.why_not_buy(symbol) is None

    def why_not_buy(self, symbol: str) -> str | None:
        """Why ``symbol`` may not be bought, or None if it may."""
        if symbol in self.restricted:
            return f"{symbol} is restricted by the IPS"
        hit = sorted(security(symbol).esg_tags & self.esg_exclusions)
        if hit:
            return f"{symbol} is excluded by the IPS ESG screen ({', '.join(hit)})"
        return None

    def targets_bps(self) -> dict[str, int]:
        """The model's targets under this IPS: a screened broad fund's weight goes to its ESG alternative
        (``universe.ESG_ALTERNATIVES``); any other security it may not buy is taken out and its weight
        spread over the remaining securities in proportion (cash keeps its weight); a weight above
        ``max_position_bps`` is capped and the excess spread over the others by their room under the cap
        (what fits nowhere goes to cash). Exact: sums to 10_000."""
        model: dict[str, int] = {}
        for symbol, weight in self.model.weights:
            alt = ESG_ALTERNATIVES.get(symbol)
            if symbol != CASH and not self.may_buy(symbol) and alt is not None and self.may_buy(alt):
                symbol = alt  # a screened broad fund: the same exposure through its screened alternative
            model[symbol] = model.get(symbol, 0) + weight
        cash = model.pop(CASH, 0)
        kept = {s: w for s, w in model.items() if self.may_buy(s)}
        freed = sum(model.values()) - sum(kept.values())
        if not kept:  # nothing buyable: everything to cash
            return {CASH: BPS}
        base = sum(kept.values())
        out = {s: w + freed * w // base for s, w in kept.items()}
        biggest = max(out, key=lambda s: (out[s], s))
        out[biggest] += BPS - cash - sum(out.values())  # integer division leftovers
        excess = sum(max(0, w - self.max_position_bps) for w in out.values())
        if excess:  # a model weight above the IPS cap: cap it, spread the rest over those under it
            out = {s: min(w, self.max_position_bps) for s, w in out.items()}
            room = {s: self.max_position_bps - w for s, w in out.items() if w < self.max_position_bps}
            space = sum(room.values())
            for s in sorted(room):
                add = min(room[s], excess * room[s] // space) if space else 0
                out[s] += add
            cash += BPS - cash - sum(out.values())  # whatever did not fit anywhere stays in cash
        out[CASH] = cash
        return out


@dataclass(frozen=True, slots=True)
class Household:
    """A client household: who advises it, its accounts, and its IPS."""

    household_id: str
    name: str
    advisor_id: str
    accounts: tuple[PortfolioAccount, ...]
    policy: InvestmentPolicy

    def __post_init__(self) -> None:
        ids = [a.account_id for a in self.accounts]
        if not ids:
            raise ValueError(f"Household {self.household_id}: has no accounts")
        if len(set(ids)) != len(ids):
            raise ValueError(f"Household {self.household_id}: an account id is listed twice")
        for acct in self.accounts:
            if acct.household_id != self.household_id:
                raise ValueError(f"Household {self.household_id}: account {acct.account_id} belongs to "
                                 f"{acct.household_id}")

    def account(self, account_id: str) -> PortfolioAccount:
        """The account with this id; KeyError if it is not this household's."""
        for acct in self.accounts:
            if acct.account_id == account_id:
                return acct
        raise KeyError(f"{account_id} is not an account of household {self.household_id}")

    @property
    def cash(self) -> int:
        """Cash across all accounts, units."""
        return sum(a.cash for a in self.accounts)
