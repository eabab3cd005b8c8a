"""Generated client households for the portfolio engine: accounts, an IPS each, lots, recent trades.

``build_households(config, seed)`` is deterministic: household ``i`` draws everything from its own
stream (``SeedSequence([seed, i])``), so asking for more households never changes the first ones;
names come from one Faker seeded from the seed (never the global Faker seed), drawn in household
order. Positions start near the model's weights (each weight scaled by a lognormal draw, so some
drift and some do not), split into lots bought on different dates at different prices (some at a
gain, some at a loss, some within the last 30 days). Prices are the universe's reference prices
(FAKED: ``components.portfolio.universe``).
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
from faker import Faker

from components.domain.money import PRICE_SCALE
from components.portfolio.households import AccountKind, DriftBands, Household, InvestmentPolicy, PortfolioAccount
from components.portfolio.lots import Lot, Realised
from components.portfolio.rebalance import HouseholdBook
from components.portfolio.tax_loss import WASH_WINDOW_DAYS, Acquisition
from components.portfolio.universe import CASH, MODELS, RiskLevel, reference_prices

from .config_portfolio import PortfolioConfig

HOUSEHOLDS_PER_ADVISOR = 10
WEIGHT_SIGMA = 0.35
"""Lognormal spread of a position's weight around its model weight (per account)."""
BASIS_SIGMA = 0.22
"""Lognormal spread of a lot's price paid around today's price: some lots at a gain, some at a loss."""
MAX_LOT_AGE_DAYS = 5 * 365
_MODEL_OF = {RiskLevel.CONSERVATIVE: "conservative", RiskLevel.BALANCED: "balanced", RiskLevel.GROWTH: "growth"}
_SINGLE_STOCKS = ("AAPL", "MSFT", "NVDA", "XOM")


def build_households(config: PortfolioConfig, seed: int) -> tuple[HouseholdBook, ...]:
    """``config.households`` households with their lots and last-30-day trades, deterministic in ``seed``."""
    fake = Faker("en_US")
    fake.seed_instance(seed)
    prices = reference_prices()
    return tuple(_household(config, seed, i, f"{fake.last_name()} household", prices)
                 for i in range(config.households))


def _household(config: PortfolioConfig, seed: int, i: int, name: str, prices: dict[str, int]) -> HouseholdBook:
    rng = np.random.default_rng(np.random.SeedSequence([seed, i]))
    hid = f"HH-{i + 1:04d}"
    profile = RiskLevel(int(rng.choice([1, 2, 3], p=[0.3, 0.4, 0.3])))
    model_level = profile
    if profile < RiskLevel.GROWTH and rng.random() < config.mismatch_fraction:
        model_level = RiskLevel(profile + 1)
    model = MODELS[_MODEL_OF[model_level]]
    restricted = frozenset({str(rng.choice(_SINGLE_STOCKS))}) if rng.random() < config.restricted_fraction else frozenset()
    esg = frozenset({"fossil_fuels"}) if rng.random() < config.esg_fraction else frozenset()
    policy = InvestmentPolicy(profile, model.model_id, restricted, esg,
                              max_position_bps=int(rng.choice([4_000, 5_000, 6_000])),
                              cash_floor_bps=int(rng.choice([100, 200, 300])),
                              bands=DriftBands(int(rng.choice([300, 500])), int(rng.choice([2_000, 2_500]))))
    kinds = [AccountKind.TAXABLE]
    if rng.random() < config.ira_fraction:
        kinds.append(AccountKind.IRA)
    if rng.random() < config.roth_fraction:
        kinds.append(AccountKind.ROTH)
    lo, hi = config.household_value_min, config.household_value_max
    total = int(math.exp(rng.uniform(math.log(lo), math.log(hi)))) if hi > lo else lo
    shares_of_total = rng.dirichlet([2.0] * len(kinds))
    as_of = config.as_of
    weights = dict(model.weights)
    if rng.random() < 0.3:  # an outside holding the model does not have (a gift, an old purchase)
        extra = str(rng.choice(_SINGLE_STOCKS))
        weights[extra] = weights.get(extra, 0) + int(rng.integers(200, 800))
    accounts: list[PortfolioAccount] = []
    lots: list[Lot] = []
    acquisitions: list[Acquisition] = []
    recent_buyer = rng.random() < config.recent_buy_fraction
    for kind, share in zip(kinds, shares_of_total):
        acct_id = f"{hid}-{kind.value.upper()}"
        value = int(total * share)
        raw = {s: w * math.exp(rng.normal(0.0, WEIGHT_SIGMA)) for s, w in weights.items()}
        raw[CASH] = float(rng.uniform(0.005, 0.06)) * sum(raw.values())
        norm = sum(raw.values())
        invested = 0
        for symbol in sorted(s for s in raw if s != CASH):
            qty = int(value * raw[symbol] / norm) // prices[symbol]
            if qty <= 0:
                continue
            new = position_lots(rng, acct_id, symbol, qty, prices[symbol], as_of, config.max_lots, recent_buyer)
            lots.extend(new)
            invested += qty * prices[symbol]
            acquisitions.extend(recent_acquisitions(new, kind, as_of))
        cash = max(value - invested, 0) // PRICE_SCALE * PRICE_SCALE  # whole dollars
        accounts.append(PortfolioAccount(acct_id, hid, kind, cash))
    realised: tuple[Realised, ...] = ()
    if recent_buyer and rng.random() < 0.5:  # a loss sale in the taxable account within the last 30 days
        symbol = str(rng.choice([s for s in weights if s != CASH]))
        qty = int(rng.integers(5, 50))
        sold = as_of - timedelta(days=int(rng.integers(1, WASH_WINDOW_DAYS)))
        basis = int(qty * prices[symbol] * rng.uniform(1.1, 1.4))
        realised = (Realised(f"L-{hid}-SOLD", f"{hid}-TAXABLE", symbol, qty, qty * prices[symbol], basis, sold,
                             sold - timedelta(days=int(rng.integers(60, 900)))),)
    advisor = f"ADV-{i // HOUSEHOLDS_PER_ADVISOR + 1:03d}"
    household = Household(hid, name, advisor, tuple(accounts), policy)
    return HouseholdBook(household, tuple(lots), tuple(acquisitions), realised)


def position_lots(rng: np.random.Generator, acct_id: str, symbol: str, qty: int, price: int, as_of: date,
                  max_lots: int, recent_buyer: bool = False) -> list[Lot]:
    """A position of ``qty`` shares (``qty`` >= 1) as 1..``max_lots`` lots (ids ``L-<account>-<symbol>-<k>``),
    each bought on its own date before ``as_of`` at a price paid drawn around ``price`` (units): some
    lots at a gain, some at a loss. A ``recent_buyer``'s last lot may be bought in the last 30 days
    (wash-sale exposure). Also used by the twin (``twin.advisor_agents``) to give its accounts'
    positions a tax history."""
    n = int(min(qty, rng.integers(1, max_lots + 1)))
    cuts = np.sort(rng.choice(np.arange(1, qty), size=n - 1, replace=False)) if n > 1 else np.array([], dtype=int)
    sizes = np.diff(np.concatenate([[0], cuts, [qty]])).astype(int).tolist()
    out: list[Lot] = []
    for k, size in enumerate(sizes):
        recent = recent_buyer and k == len(sizes) - 1 and rng.random() < 0.3
        age = int(rng.integers(1, WASH_WINDOW_DAYS + 1)) if recent else int(rng.integers(WASH_WINDOW_DAYS + 1,
                                                                                          MAX_LOT_AGE_DAYS))
        paid = int(price * math.exp(rng.normal(0.0, BASIS_SIGMA if not recent else 0.03)))
        out.append(Lot(f"L-{acct_id}-{symbol}-{k + 1}", acct_id, symbol, size, paid * size,
                       as_of - timedelta(days=age)))
    return out


def recent_acquisitions(lots: list[Lot], kind: AccountKind, as_of: date) -> list[Acquisition]:
    """The purchases among ``lots`` (of one account of tax treatment ``kind``) in the 30 days up to ``as_of``:
    what the wash-sale rule must see."""
    return [Acquisition(lot.lot_id, lot.account_id, kind, lot.symbol, lot.quantity, lot.acquired)
            for lot in lots if (as_of - lot.acquired).days <= WASH_WINDOW_DAYS]
