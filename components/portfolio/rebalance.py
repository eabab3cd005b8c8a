"""Rebalancing proposals: harvest losses, optimise toward the target model under the IPS, round to
whole shares, check suitability, explain every trade.

The steps of :func:`propose`, for one household on one date:

1. **Harvest.** Loss lots above the thresholds in taxable accounts are sold (specific lots) and a
   replacement that is not substantially identical is bought with the proceeds
   (``components.portfolio.tax_loss``). The harvested symbols join the wash-blocked set (no buys
   anywhere in the household for 31 days) and their replacements stand in for them in the targets.
2. **Optimise** (scipy SLSQP) over buys per (account, buyable security) and sells per lot, in
   fractions of household value: minimise the squared distance of the weights to the targets plus
   ``tax_aversion`` x estimated tax on realised gains (taxable lots only; IRA sales cost nothing)
   plus a small turnover cost, subject to: no buys of restricted, ESG-excluded or wash-blocked
   securities (their bounds are 0), every position <= the IPS maximum, household cash >= the floor,
   no account overdrawn (each account's buys paid from its own cash and sales).
   A loss lot sold while the same security is bought elsewhere in the household would be washed:
   when a solution does that, the security's direction is fixed by its net trade and the problem
   solved again without the conflicting side. Taxable loss lots of a security bought in the last
   30 days (any account, IRAs included), or just bought by the harvest, are not sold at all.
3. **Round** buys down and sells up to whole shares (both keep every constraint), drop trades
   under ``min_trade``, then check the constraints again exactly in integers and repair (shrink
   buys, restore a dropped sell) if a dropped trade broke one.
4. **Sells choose lots tax-aware** (losses first, then highest basis: ``lots.choose_lots``).
5. **Suitability** (``components.portfolio.suitability``) on the final trades; a proposal with any
   finding is withheld, the findings say why.

Pure: prices, dates and ids come from the caller. scipy is imported inside :func:`propose` so
that importing this module (e.g. to build the ``twin`` parser) stays cheap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Mapping, Sequence

from ..domain.money import format_price
from ..domain.orders import Side
from . import suitability
from .drift import DriftReport, measure_drift, slot_of
from .households import Household
from .lots import Lot, Realised, Term, choose_lots, sell, tax_cost_per_share
from .proposals import ProposalReason, ProposedTrade, RebalanceProposal
from .tax_loss import (REPLACEMENTS, WASH_WINDOW_DAYS, Acquisition, HarvestThresholds, harvest_trades, identical,
                       loss_candidates, wash_blocked)
from .universe import BPS, CASH


@dataclass(frozen=True, slots=True)
class RebalanceSettings:
    """Knobs of the engine; defaults are the firm's."""

    min_trade: int = 5_000_000
    """Smallest trade notional kept, units ($500)."""
    tax_aversion: float = 1.0
    """Weight of estimated tax (as a fraction of household value) against squared tracking error."""
    turnover_cost: float = 0.0005
    """Cost per unit of value traded (5 bps): stops needless round trips."""
    harvest: HarvestThresholds | None = HarvestThresholds()
    """None: no tax-loss harvesting."""


@dataclass(frozen=True, slots=True)
class HouseholdBook:
    """What the engine knows of a household: its lots and its recent trades (for the wash-sale rule)."""

    household: Household
    lots: tuple[Lot, ...]
    acquisitions: tuple[Acquisition, ...] = ()
    """Purchases in the last 30 days (any account): a loss harvested now would be washed by them."""
    recent_realised: tuple[Realised, ...] = ()
    """Sales in the last 30 days: a buy of an identical security now would wash their losses."""


@dataclass(frozen=True, slots=True)
class RebalanceResult:
    """What :func:`propose` decided for one household."""

    household_id: str
    drift_before: DriftReport
    proposal: RebalanceProposal | None
    """None when there is nothing to do, or when the proposal is withheld (``findings``)."""
    findings: tuple[suitability.Finding, ...] = ()
    drift_after: DriftReport | None = None
    lots_after: tuple[Lot, ...] = ()
    cash_after: int = 0
    harvested_loss: int = 0
    """Losses the harvest trades realise, units."""
    realised_gain: int = 0
    """Net gain the rebalancing sells (not the harvest) realise in taxable accounts, units."""
    withheld_trades: tuple[ProposedTrade, ...] = field(default=())
    """The trades of a withheld proposal, so a reviewer can see what was not offered."""
    note: str = ""

    @property
    def offered(self) -> bool:
        """Is there a proposal for the advisor?"""
        return self.proposal is not None


def _replacement(hh: Household, symbol: str, targets: Mapping[str, int], blocked: set[str],
                 stand_ins: Mapping[str, str]) -> str | None:
    """What a harvest of ``symbol`` buys: its first replacement the IPS allows that is not wash-blocked,
    not a target itself, and not already standing in for another target. None when ``symbol`` has no
    target (restricted, excluded, outside the model: its proceeds go to the rebalance instead)."""
    if targets.get(symbol, 0) <= 0:
        return None
    for r in REPLACEMENTS.get(symbol, ()):
        if (hh.policy.may_buy(r) and r not in blocked and r not in targets and not identical(r, symbol)
                and stand_ins.get(r, symbol) == symbol):
            return r
    return None


def _within_cap(legs: tuple[ProposedTrade, ...], lots: Sequence[Lot], cap_bps: int, total: int,
                prices: Mapping[str, int]) -> tuple[ProposedTrade, ...]:
    """A harvest's legs with the replacement buy cut to what the position cap allows (the rest of the
    proceeds stays in cash for the rebalance); the buy is dropped if nothing fits."""
    if len(legs) < 2:
        return legs
    sell_leg, buy = legs
    held_value = sum(lot.quantity * prices[lot.symbol] for lot in lots if lot.symbol == buy.symbol)
    room = (cap_bps * total // BPS - held_value) // buy.est_price
    if room >= buy.quantity:
        return legs
    return (sell_leg, replace(buy, quantity=room)) if room > 0 else (sell_leg,)


def _buyable(hh: Household, targets: Mapping[str, int], blocked: frozenset[str], stand_ins: dict[str, str]) -> list[str]:
    """Securities the optimiser may buy: the targets, and for a wash-blocked target its stand-in
    (added to ``stand_ins`` if it has none yet)."""
    buy: list[str] = []
    for symbol in targets:
        if symbol == CASH:
            continue
        if symbol not in blocked:
            buy.append(symbol)
            continue
        have = next((r for r, t in stand_ins.items() if t == symbol), None)
        alt = have or _replacement(hh, symbol, targets, set(blocked), stand_ins)
        if alt is not None:
            stand_ins[alt] = symbol
            buy.append(alt)
    return buy


class _Problem:
    """The optimisation over one household, in fractions of its value."""

    def __init__(self, household: Household, held: Sequence[Lot], sellable: Sequence[Lot], cash: Mapping[str, int],
                 prices: Mapping[str, int], targets: Mapping[str, int], buyable: Sequence[str],
                 stand_ins: Mapping[str, str], as_of: date, settings: RebalanceSettings):
        import numpy as np

        self.household, self.lots, self.prices = household, list(sellable), prices
        self.held = list(held)
        lots = self.held
        self.total = sum(cash.values()) + sum(lot.quantity * prices[lot.symbol] for lot in lots)
        self.accounts = [a.account_id for a in household.accounts]
        self.buys = [(a, s) for a in self.accounts for s in buyable]
        self.n = len(self.buys) + len(self.lots)
        slots = list(dict.fromkeys([s for s in targets if s != CASH]
                                   + [slot_of(lot.symbol, stand_ins) for lot in lots] + [CASH]))
        self.slots = slots
        self.target = np.array([targets.get(s, 0) / BPS for s in slots])
        base = {s: 0.0 for s in slots}
        for lot in lots:
            base[slot_of(lot.symbol, stand_ins)] += lot.quantity * prices[lot.symbol] / self.total
        base[CASH] = sum(cash.values()) / self.total
        self.base = np.array([base[s] for s in slots])
        # M maps the variables to the change of each slot's weight: buys add, sells subtract, cash mirrors
        m = np.zeros((len(slots), self.n))
        cash_row = slots.index(CASH)
        for j, (_, s) in enumerate(self.buys):
            m[slots.index(slot_of(s, stand_ins)), j] = 1.0
            m[cash_row, j] = -1.0
        for k, lot in enumerate(self.lots):
            j = len(self.buys) + k
            m[slots.index(slot_of(lot.symbol, stand_ins)), j] = -1.0
            m[cash_row, j] = 1.0
        self.m = m
        tax = np.zeros(self.n)
        for k, lot in enumerate(self.lots):
            if household.account(lot.account_id).kind.taxable:
                per_share = max(0.0, tax_cost_per_share(lot, prices[lot.symbol], as_of))
                tax[len(self.buys) + k] = per_share / prices[lot.symbol]  # tax per unit of value sold
        self.linear = settings.tax_aversion * tax + settings.turnover_cost
        self.upper = np.array([0.0] * len(self.buys)
                              + [lot.quantity * prices[lot.symbol] / self.total for lot in self.lots])
        self.cash = cash

    def solve(self, buy_ok: set[str], sell_ok: set[str]):
        """Minimise; ``buy_ok`` symbols may be bought, lots whose id is in ``sell_ok`` sold. The solution
        vector (fractions of household value), or None if the solver failed."""
        import numpy as np
        from scipy.optimize import minimize

        from threadpoolctl import threadpool_limits  # a dependency of scikit-learn (core)

        bounds = [(0.0, 1.0 if s in buy_ok else 0.0) for _, s in self.buys]
        bounds += [(0.0, float(self.upper[len(self.buys) + k]) if lot.lot_id in sell_ok else 0.0)
                   for k, lot in enumerate(self.lots)]
        eps = 1e-7  # constraints a hair tighter than the IPS: the solver's tolerance never shows as a breach
        rows, rhs = [], []
        nb = len(self.buys)
        for acct in self.accounts:  # each account pays its own buys
            row = np.zeros(self.n)
            for j, (a, _) in enumerate(self.buys):
                if a == acct:
                    row[j] = -1.0
            for k, lot in enumerate(self.lots):
                if lot.account_id == acct:
                    row[nb + k] = 1.0
            rows.append(row)
            rhs.append(-self.cash[acct] / self.total)  # no margin: an account with no cash and nothing to sell
            # could not meet one; an overdraft of a fraction of a cent is caught by the integer re-check
        floor = self.household.policy.cash_floor_bps / BPS
        cash_row = self.slots.index(CASH)
        rows.append(self.m[cash_row].copy())
        rhs.append(floor - self.base[cash_row] + eps)
        cap = self.household.policy.max_position_bps / BPS
        for symbol in sorted({s for _, s in self.buys} | {lot.symbol for lot in self.held}):
            row = np.zeros(self.n)  # cap - (held + bought - sold) >= 0, per security
            held = sum(lot.quantity * self.prices[lot.symbol] for lot in self.held if lot.symbol == symbol) / self.total
            for j, (_, s) in enumerate(self.buys):
                if s == symbol:
                    row[j] = -1.0
            for k, lot in enumerate(self.lots):
                if lot.symbol == symbol:
                    row[nb + k] = 1.0
            rows.append(row)
            # shares that may not be sold now (a loss sale would be washed) can hold a security above the
            # cap: then everything else of it is sold and none bought; suitability withholds and says so
            locked = sum(lot.quantity * self.prices[lot.symbol] for lot in self.held
                         if lot.symbol == symbol and lot.lot_id not in sell_ok) / self.total
            rhs.append(held - cap + eps if locked < cap else held - locked)
        a = np.array(rows)
        b = np.array(rhs)
        m, base, target, lin = self.m, self.base, self.target, self.linear

        def fun(x):
            d = base + m @ x - target
            return float(d @ d + lin @ x)

        def jac(x):
            return 2.0 * (m.T @ (base + m @ x - target)) + lin

        cons = [{"type": "ineq", "fun": lambda x: a @ x - b, "jac": lambda x: a}]
        # One BLAS thread: these problems are tiny, and on a busy 2-core machine OpenBLAS's threads made
        # each SLSQP step 10x slower (0.94 s vs 0.08 s per household, measured).
        with threadpool_limits(limits=1, user_api="blas"):
            res = minimize(fun, np.zeros(self.n), jac=jac, bounds=bounds, constraints=cons, method="SLSQP",
                           options={"maxiter": 500, "ftol": 1e-12})
        if not res.success and not np.all(a @ res.x - b >= -1e-9):
            return None
        return np.clip(res.x, [lo for lo, _ in bounds], [hi for _, hi in bounds])


def propose(book: HouseholdBook, prices: Mapping[str, int], as_of: date, as_of_ns: int, proposal_id: str,
            settings: RebalanceSettings = RebalanceSettings()) -> RebalanceResult:
    """The household's rebalancing proposal on ``as_of`` (see the module docstring for the steps)."""
    hh = book.household
    policy = hh.policy
    before = measure_drift(hh, book.lots, prices)
    blocked = set(wash_blocked(book.recent_realised, as_of))
    lots = tuple(book.lots)
    cash = {a.account_id: a.cash for a in hh.accounts}
    trades: list[ProposedTrade] = []
    harvested = 0
    targets = policy.targets_bps()
    total = sum(cash.values()) + sum(lot.quantity * prices[lot.symbol] for lot in lots)
    stand_ins: dict[str, str] = {}  # harvest replacement -> the target it stands in for
    if settings.harvest is not None:
        bought: set[str] = set()
        for cand in loss_candidates(hh, lots, prices, as_of, book.acquisitions, settings.harvest, frozenset(blocked)):
            # skip what an earlier harvest in this proposal would wash, or would make wash
            if cand.blocked or cand.symbol in blocked or any(identical(cand.symbol, b) for b in bought):
                continue
            cand = replace(cand, replacement=_replacement(hh, cand.symbol, targets, blocked, stand_ins))
            if cand.replacement is not None:
                stand_ins[cand.replacement] = cand.symbol
            legs = _within_cap(harvest_trades(cand, prices, as_of), lots, policy.max_position_bps, total, prices)
            sale = sell(lots, cand.account_id, cand.symbol, cand.quantity, cand.lot_ids, prices[cand.symbol], as_of)
            lots, harvested = sale.remaining, harvested - sale.gain
            cash[cand.account_id] += cand.value
            blocked |= {s for s in REPLACEMENTS if identical(s, cand.symbol)} | {cand.symbol}
            for leg in legs[1:]:  # the replacement buy: a new lot, not sellable in this proposal
                cash[leg.account_id] -= leg.quantity * leg.est_price
                lots += (Lot(f"NEW-{leg.account_id}-{leg.symbol}", leg.account_id, leg.symbol, leg.quantity,
                             leg.quantity * leg.est_price, as_of),)
                bought.add(leg.symbol)
            trades.extend(legs)
    frozen_blocked = frozenset(blocked)
    buyable = _buyable(hh, targets, frozen_blocked, stand_ins)
    mid = measure_drift(hh, lots, prices, sum(cash.values()), stand_ins)
    if not before.drifted and not mid.drifted and not trades:
        return RebalanceResult(hh.household_id, before, None, drift_after=before, lots_after=lots,
                               cash_after=sum(cash.values()), note="within bands: no proposal")
    harvest_bought = frozenset(t.symbol for t in trades if t.side is Side.BUY)
    rebalance = _optimise(hh, lots, cash, prices, targets, buyable, stand_ins, as_of, settings, harvest_bought,
                          book.acquisitions)
    if rebalance is None:
        return RebalanceResult(hh.household_id, before, None,
                               note="no feasible rebalance: the IPS cash floor or position caps cannot be met with "
                                    "the lots that may be sold now (loss lots a sale would wash are held back)")
    chosen, sell_ok = rebalance
    trades.extend(_explain(hh, chosen, [lot for lot in lots if lot.lot_id in sell_ok], prices, mid, stand_ins, as_of))
    return _finish(book, lots, cash, trades, prices, as_of, as_of_ns, proposal_id, before, stand_ins,
                   frozen_blocked, harvested, settings)


def _optimise(hh: Household, lots: Sequence[Lot], cash: dict[str, int], prices: Mapping[str, int],
              targets: Mapping[str, int], buyable: Sequence[str], stand_ins: Mapping[str, str], as_of: date,
              settings: RebalanceSettings, harvest_bought: frozenset[str] = frozenset(),
              recent: Sequence[Acquisition] = ()) -> tuple[dict[tuple[str, str, Side], int], set[str]] | None:
    """Whole-share trades per (account, symbol, side), constraints re-checked in integers, and the ids
    of the lots the sells may use."""
    sellable = [lot for lot in lots if not lot.lot_id.startswith("NEW-")]
    problem = _Problem(hh, lots, sellable, cash, prices, targets, buyable, stand_ins, as_of, settings)
    if problem.total <= 0:
        return {}, set()
    def loss_lots(symbol: str) -> set[str]:
        return {lot.lot_id for lot in sellable if identical(lot.symbol, symbol) and hh.account(lot.account_id).kind.taxable
                and lot.cost_basis > lot.quantity * prices[lot.symbol]}

    buy_ok = set(buyable)
    sell_ok = {lot.lot_id for lot in sellable}
    for symbol in harvest_bought:  # a harvest just bought it: selling it at a loss now would be washed
        sell_ok -= loss_lots(symbol)
    for acq in recent:  # bought in the last 30 days (any account): a loss sale now would be washed by it
        if 0 <= (as_of - acq.trade_date).days <= WASH_WINDOW_DAYS:
            sell_ok -= loss_lots(acq.symbol) - {acq.lot_id}  # (the bought shares are not their own replacement)
    for _ in range(4):
        x = problem.solve(buy_ok, sell_ok)
        if x is None:
            return None
        trades = _round(problem, x, sell_ok)
        # a taxable loss lot sold while an identical security is bought would be washed: fix the
        # security's direction by its net trade and solve again, until no such pair is left
        conflict = _wash_conflicts(hh, problem, trades, prices, sell_ok)
        if not conflict:
            return _repair(hh, lots, cash, prices, trades, settings, problem.total), sell_ok
        for symbol, net_buy in conflict.items():
            if net_buy:
                sell_ok -= loss_lots(symbol)
            else:
                buy_ok -= {s for s in buy_ok if identical(s, symbol)}
    return None


def _round(problem: _Problem, x, sell_ok: set[str]) -> dict[tuple[str, str, Side], int]:
    """Buys rounded down, sells up (capped at the lot): both keep cash, floor and caps satisfied."""
    out: dict[tuple[str, str, Side], float] = {}
    nb = len(problem.buys)
    for j, (acct, s) in enumerate(problem.buys):
        shares = x[j] * problem.total / problem.prices[s]
        if shares >= 1.0 - 1e-9:
            out[(acct, s, Side.BUY)] = out.get((acct, s, Side.BUY), 0.0) + shares
    for k, lot in enumerate(problem.lots):
        shares = x[nb + k] * problem.total / problem.prices[lot.symbol]
        if shares > 1e-6:
            out[(lot.account_id, lot.symbol, Side.SELL)] = out.get((lot.account_id, lot.symbol, Side.SELL), 0.0) + shares
    rounded: dict[tuple[str, str, Side], int] = {}
    for key, shares in out.items():
        acct, s, side = key
        if side is Side.BUY:
            q = math.floor(shares + 1e-9)
        else:
            q = min(math.ceil(shares - 1e-6), sum(lot.quantity for lot in problem.lots if lot.account_id == acct
                                                   and lot.symbol == s and lot.lot_id in sell_ok))
        if q > 0:
            rounded[key] = q
    return rounded


def _wash_conflicts(hh: Household, problem: _Problem, trades: Mapping[tuple[str, str, Side], int],
                    prices: Mapping[str, int], sell_ok: set[str]) -> dict[str, bool]:
    """Symbols both bought (identical) and sold where the sale may use a taxable loss lot (one of
    ``sell_ok``): symbol -> is the net trade a buy."""
    out: dict[str, bool] = {}
    for (acct, s, side), q in trades.items():
        if side is not Side.SELL or not hh.account(acct).kind.taxable:
            continue
        if not any(lot.symbol == s and lot.account_id == acct and lot.cost_basis > lot.quantity * prices[s]
                   and lot.lot_id in sell_ok for lot in problem.lots):
            continue
        bought = sum(bq * prices[bs] for (_, bs, bside), bq in trades.items() if bside is Side.BUY and identical(bs, s))
        if bought:
            sold = sum(sq * prices[ss] for (_, ss, sside), sq in trades.items()
                       if sside is Side.SELL and identical(ss, s))
            out[s] = bought >= sold
    return out


def _repair(hh: Household, lots: Sequence[Lot], cash: Mapping[str, int], prices: Mapping[str, int],
            trades: dict[tuple[str, str, Side], int], settings: RebalanceSettings,
            total: int) -> dict[tuple[str, str, Side], int]:
    """Drop trades under the minimum, then restore the IPS exactly: shrink buys until no account is
    overdrawn and cash meets the floor; put back a dropped sell whose security ends above the cap."""
    policy = hh.policy
    kept = {k: q for k, q in trades.items() if q * prices[k[1]] >= settings.min_trade}
    dropped = {k: q for k, q in trades.items() if k not in kept}
    held_value: dict[str, int] = {}
    for lot in lots:
        held_value[lot.symbol] = held_value.get(lot.symbol, 0) + lot.quantity * prices[lot.symbol]

    def value_after(symbol: str) -> int:
        v = held_value.get(symbol, 0)
        for (_, s, side), q in kept.items():
            if s == symbol:
                v += side.sign * q * prices[s]
        return v

    def cash_after(acct: str | None) -> int:
        c = sum(v for a, v in cash.items() if acct is None or a == acct)
        for (a, s, side), q in kept.items():
            if acct is None or a == acct:
                c -= side.sign * q * prices[s]
        return c

    floor = -(-policy.cash_floor_bps * total // BPS)  # least cash, units (rounded up: cash*BPS >= floor_bps*total)
    for key in sorted(dropped):  # a dropped sell may leave its security above the cap, or cash under the floor
        if key[2] is Side.SELL and (value_after(key[1]) * BPS > policy.max_position_bps * total
                                    or cash_after(None) < floor):
            kept[key] = dropped[key]
    buys = sorted((k for k in kept if k[2] is Side.BUY), key=lambda k: (-kept[k] * prices[k[1]], k))
    for key in buys:
        acct, s, _ = key
        short = max(-cash_after(acct), floor - cash_after(None), 0)
        if short:
            kept[key] -= min(kept[key], -(-short // prices[s]))
            if kept[key] <= 0 or kept[key] * prices[s] < settings.min_trade:
                del kept[key]
    return kept


def _explain(hh: Household, trades: Mapping[tuple[str, str, Side], int], sellable: Sequence[Lot],
             prices: Mapping[str, int], drift: DriftReport, stand_ins: Mapping[str, str],
             as_of: date) -> list[ProposedTrade]:
    """ProposedTrades with lots chosen tax-aware (from ``sellable``) and the words a reader sees."""
    policy = hh.policy
    cash_short = drift.row(CASH).weight_bps < policy.cash_floor_bps
    out: list[ProposedTrade] = []
    for (acct, s, side), q in sorted(trades.items(), key=lambda kv: (kv[0][2] is Side.BUY, kv[0][0], kv[0][1])):
        price = prices[s]
        kind = hh.account(acct).kind
        slot = slot_of(s, stand_ins)
        row = drift.row(slot)
        where = f"{slot} {row.weight_bps / 100:.1f}% vs target {row.target_bps / 100:.1f}%"
        if slot != s:
            where += f" ({s} stands in for {slot}, which may not be bought for now)"
        if side is Side.SELL:
            lot_ids = choose_lots(sellable, acct, s, q, price, as_of)
            sale = sell(sellable, acct, s, q, lot_ids, price, as_of)
            if not policy.may_buy(s):
                reason, why = ProposalReason.RESTRICTED, f"{policy.why_not_buy(s)}: sell"
            elif cash_short and s not in drift.drifted:
                reason, why = ProposalReason.CASH_FLOOR, (f"cash {drift.row(CASH).weight_bps / 100:.2f}% is under the "
                                                          f"floor {policy.cash_floor_bps / 100:.2f}%: raise cash")
            else:
                reason, why = ProposalReason.DRIFT, f"{where}: trim"
            if kind.taxable:
                lt = sum(r.gain for r in sale.realised if r.term is Term.LONG)
                st = sale.gain - lt
                tax = (f"lots {', '.join(lot_ids)} (highest basis / losses first): realises "
                       f"${format_price(lt)} long-term and ${format_price(st)} short-term")
            else:
                tax = f"in a {kind.value} account: no tax on the sale"
            out.append(ProposedTrade(acct, s, side, q, reason, f"{why}; {tax}", lot_ids, price))
        else:
            out.append(ProposedTrade(acct, s, side, q, ProposalReason.DRIFT,
                                     f"{where}: add ${format_price(q * price)} in {acct} ({kind.value})", (), price))
    return out


def _finish(book: HouseholdBook, lots: tuple[Lot, ...], cash: dict[str, int], rebalance_trades: list[ProposedTrade],
            prices: Mapping[str, int], as_of: date, as_of_ns: int, proposal_id: str, before: DriftReport,
            stand_ins: Mapping[str, str], blocked: frozenset[str], harvested: int,
            settings: RebalanceSettings) -> RebalanceResult:
    """Apply the trades to a copy of the book, measure the drift after, check suitability, package."""
    hh = book.household
    trades = tuple(rebalance_trades)
    after_lots = tuple(lots)
    after_cash = dict(cash)
    gain = 0
    for t in trades:
        if t.reason is ProposalReason.TAX_LOSS_HARVEST:
            continue  # already applied to ``lots``/``cash`` by the harvest step
        if t.side is Side.SELL:
            sale = sell(after_lots, t.account_id, t.symbol, t.quantity, t.lot_ids, t.est_price, as_of)
            after_lots = sale.remaining
            if hh.account(t.account_id).kind.taxable:
                gain += sale.gain
        else:
            after_lots += (Lot(f"NEW-{t.account_id}-{t.symbol}-B", t.account_id, t.symbol, t.quantity,
                               t.quantity * t.est_price, as_of),)
        after_cash[t.account_id] += -t.side.sign * t.quantity * t.est_price
    after = measure_drift(hh, after_lots, prices, sum(after_cash.values()), stand_ins)
    findings = suitability.check(hh, book.lots, trades, prices, blocked)
    if not trades:
        return RebalanceResult(hh.household_id, before, None, drift_after=after, lots_after=after_lots,
                               cash_after=sum(after_cash.values()), note="drifted, but no trade clears the minimum size")
    if findings:
        return RebalanceResult(hh.household_id, before, None, findings, after, after_lots, sum(after_cash.values()),
                               harvested, gain, trades, "withheld: unsuitable")
    summary = (f"{before.explanation}. Proposal: {len(trades)} trade(s); largest deviation "
               f"{before.max_abs_deviation_bps / 100:.1f} -> {after.max_abs_deviation_bps / 100:.1f} pts; "
               f"harvests ${format_price(harvested)} of losses; realises ${format_price(gain)} of net gains "
               f"in taxable accounts")
    proposal = RebalanceProposal(proposal_id, hh.household_id, hh.advisor_id, as_of_ns, trades, summary)
    return RebalanceResult(hh.household_id, before, proposal, (), after, after_lots, sum(after_cash.values()),
                           harvested, gain, (), "offered")
