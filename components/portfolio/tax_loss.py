"""Tax-loss harvesting and the wash-sale rule (IRC section 1091, IRS Publication 550).

**The wash-sale rule as enforced here.** A loss on a sale of shares is disallowed if, within
30 days before or after the sale date (61 calendar days: day -30 and day +30 are in, day 31 is
out), the household acquires the same or a substantially identical security in *any* of its
accounts, IRAs and Roth IRAs included (Rev. Rul. 2008-5). If fewer shares are acquired than
were sold at a loss, only the loss on that many shares is disallowed (a partial wash); sold
shares are matched to acquired shares in the order of acquisition (Treas. Reg. 1.1091-1(b)),
each acquired share washing at most one sold share. The shares sold are not their own
replacement. The disallowed loss is added to the basis of the replacement shares, and their
holding period includes the sold shares': the replacement's holding period start moves back by
the days the sold shares were held. When the replacement is bought in an IRA or Roth IRA the
basis adjustment cannot happen (IRA assets have no basis for the client): the loss is
**permanently** disallowed, and this module says so (``WashMatch.permanent``).

**Substantially identical** is not defined by the IRS for funds. The firm policy encoded below
(``SUBSTANTIALLY_IDENTICAL``, ``REPLACEMENTS``) is the usual conservative reading: funds that
track the *same index* are identical whoever issues them (SPY, IVV, VOO all track the S&P 500);
funds on *different indexes* (S&P 500 vs the CRSP total market; FTSE developed vs MSCI EAFE;
the Bloomberg Aggregate vs the Universal; ICE 7-10y vs Bloomberg 3-10y Treasuries) are not;
a single stock and a sector fund holding it among many others are not. It is a documented
policy table, not tax advice: compliance owns it and changes it here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Iterable, Mapping, Sequence

from ..domain.money import format_price
from ..domain.orders import Side
from .households import AccountKind, Household
from .lots import Lot, Realised, choose_lots
from .proposals import ProposalReason, ProposedTrade

WASH_WINDOW_DAYS = 30
"""Days before and after a loss sale in which an acquisition washes it (both ends inclusive)."""

SUBSTANTIALLY_IDENTICAL: tuple[frozenset[str], ...] = (
    frozenset({"SPY", "IVV", "VOO"}),  # all track the S&P 500
)
"""Groups of *different* symbols the firm treats as substantially identical to each other."""

REPLACEMENTS: dict[str, tuple[str, ...]] = {
    "SPY": ("VTI", "ESGU"), "IVV": ("VTI", "ESGU"), "VOO": ("VTI", "ESGU"),
    "VTI": ("SPY", "ESGU"), "ESGU": ("VTI", "SPY"),
    "AAPL": ("XLK", "VTI"), "MSFT": ("XLK", "VTI"), "NVDA": ("SMH", "XLK"), "XOM": ("XLE", "VTI"),
    "XLK": ("VTI",), "SMH": ("XLK",), "XLE": ("VTI",),
    "VEA": ("IEFA",), "IEFA": ("VEA",),
    "AGG": ("IUSB",), "IUSB": ("AGG",),
    "IEF": ("VGIT",), "VGIT": ("IEF",),
}
"""For each symbol, securities *not* substantially identical to it that keep similar exposure, in order
of preference: what a harvest buys so the household stays invested."""


def identical(a: str, b: str) -> bool:
    """Same security, or substantially identical under the firm's table."""
    return a == b or any(a in group and b in group for group in SUBSTANTIALLY_IDENTICAL)


def in_window(sale_date: date, trade_date: date) -> bool:
    """Is ``trade_date`` within 30 days before or after ``sale_date`` (inclusive)?"""
    return abs((trade_date - sale_date).days) <= WASH_WINDOW_DAYS


@dataclass(frozen=True, slots=True)
class Acquisition:
    """A purchase of shares by the household: the lot it created, where, and when."""

    lot_id: str
    account_id: str
    kind: AccountKind
    symbol: str
    quantity: int
    trade_date: date


@dataclass(frozen=True, slots=True)
class WashMatch:
    """Sold shares of one lot matched to replacement shares: their loss is disallowed."""

    sold_lot_id: str
    replacement_lot_id: str
    replacement_account_id: str
    quantity: int
    disallowed: int
    """Loss disallowed, units (> 0)."""
    permanent: bool
    """The replacement is in an IRA/Roth: no basis to add it to, so the loss is gone for good."""
    holding_start: date
    """The replacement shares' new holding period start (carried over from the sold shares)."""


@dataclass(frozen=True, slots=True)
class WashSale:
    """What the rule did to one sale's losses."""

    matches: tuple[WashMatch, ...]
    realised_loss: int
    """Loss the sale realised before the rule, units (>= 0)."""

    @property
    def disallowed(self) -> int:
        """Loss disallowed (deferred into replacement basis, or lost), units."""
        return sum(m.disallowed for m in self.matches)

    @property
    def permanently_disallowed(self) -> int:
        """The part of ``disallowed`` lost for good (replacements in IRAs), units."""
        return sum(m.disallowed for m in self.matches if m.permanent)

    @property
    def allowed_loss(self) -> int:
        """Loss the household may deduct now, units."""
        return self.realised_loss - self.disallowed


def wash_sale(realised: Sequence[Realised], acquisitions: Iterable[Acquisition],
              already_used: Mapping[str, int] | None = None) -> WashSale:
    """Apply the wash-sale rule to the losses in ``realised`` (one sale, possibly of several lots)
    given every acquisition by the household (any account, before or after the sale).
    ``already_used``: replacement shares per lot id that already washed an earlier loss."""
    used = dict(already_used or {})
    sold_qty: dict[str, int] = {}
    for r in realised:
        sold_qty[r.lot_id] = sold_qty.get(r.lot_id, 0) + r.quantity
    pool = sorted(acquisitions, key=lambda a: (a.trade_date, a.lot_id))
    matches: list[WashMatch] = []
    loss_total = 0
    for r in realised:
        if r.gain >= 0:
            continue
        loss_total += -r.gain
        left = r.quantity
        for acq in pool:
            if left == 0:
                break
            if not identical(acq.symbol, r.symbol) or not in_window(r.sale_date, acq.trade_date):
                continue
            # the sold shares are not their own replacement; the rest of a partly sold lot may be
            free = acq.quantity - sold_qty.get(acq.lot_id, 0) - used.get(acq.lot_id, 0)
            if free <= 0:
                continue
            take = min(free, left)
            used[acq.lot_id] = used.get(acq.lot_id, 0) + take
            # the loss on ``take`` of the sale's shares, exactly: the last share carries the remainder
            loss = -r.gain * (r.quantity - left + take) // r.quantity - (-r.gain * (r.quantity - left) // r.quantity)
            left -= take
            carried = acq.trade_date - (r.sale_date - r.holding_start)
            matches.append(WashMatch(r.lot_id, acq.lot_id, acq.account_id, take, loss,
                                     not acq.kind.taxable, carried))
    return WashSale(tuple(matches), loss_total)


def apply_wash_sale(lots: Sequence[Lot], wash: WashSale) -> tuple[Lot, ...]:
    """The household's lots after the rule: each matched taxable replacement lot is split, its washed
    shares carrying the disallowed loss in their basis and the earlier holding period start. IRA
    replacements are untouched (the loss is permanently disallowed). KeyError if a replacement lot
    is not in ``lots``."""
    out = list(lots)
    for n, m in enumerate(wash.matches):
        if m.permanent:
            continue
        idx = next((i for i, lot in enumerate(out) if lot.lot_id == m.replacement_lot_id), None)
        if idx is None:
            raise KeyError(f"replacement lot {m.replacement_lot_id} is not among the household's lots")
        washed, rest = out[idx].split(m.quantity)
        washed = replace(washed, cost_basis=washed.cost_basis + m.disallowed, holding_start=m.holding_start)
        if rest is None:
            out[idx] = washed
        else:  # the washed shares become their own lot, so their basis and dates stay exact
            out[idx] = rest
            out.insert(idx + 1, replace(washed, lot_id=f"{m.replacement_lot_id}.W{n + 1}"))
    return tuple(out)


def household_washes(realised: Sequence[Realised], acquisitions: Sequence[Acquisition]) -> tuple[WashSale, ...]:
    """The wash-sale rule over a household's sales (``realised``: every lot sold, any account), one
    sale at a time in date order (a sale: one account, one symbol, one day), each replacement share
    washing at most one sold share across all of them. What a report calls the deferred losses:
    ``sum(w.disallowed)``, of which ``sum(w.permanently_disallowed)`` is lost for good (IRAs)."""
    sales: dict[tuple[date, str, str], list[Realised]] = {}
    for r in realised:
        sales.setdefault((r.sale_date, r.account_id, r.symbol), []).append(r)
    used: dict[str, int] = {}
    out = []
    for key in sorted(sales):
        wash = wash_sale(sales[key], acquisitions, used)
        for m in wash.matches:
            used[m.replacement_lot_id] = used.get(m.replacement_lot_id, 0) + m.quantity
        out.append(wash)
    return tuple(out)


def wash_blocked(recent_losses: Iterable[Realised], as_of: date) -> frozenset[str]:
    """Symbols the household must not buy on ``as_of`` (in any account) because a loss sale in the
    last 30 days would be washed: the sold symbols and everything identical to them."""
    sold = {r.symbol for r in recent_losses if r.gain < 0 and 0 <= (as_of - r.sale_date).days <= WASH_WINDOW_DAYS}
    universe = set(REPLACEMENTS) | {s for g in SUBSTANTIALLY_IDENTICAL for s in g}
    return frozenset(s for s in universe if any(identical(s, x) for x in sold))


@dataclass(frozen=True, slots=True)
class HarvestThresholds:
    """A lot is worth harvesting if its loss is at least ``min_loss_bps`` of its basis, and the loss
    over the symbol's harvested lots in the account is at least ``min_loss`` units."""

    min_loss: int = 10_000_000  # $1,000
    min_loss_bps: int = 1_000  # 10 %


@dataclass(frozen=True, slots=True)
class LossCandidate:
    """Loss lots of one symbol in one taxable account, and what harvesting them would buy."""

    account_id: str
    symbol: str
    lot_ids: tuple[str, ...]
    quantity: int
    basis: int
    value: int
    replacement: str | None
    blocked: str | None = None
    """Why it may not be harvested now (None: it may)."""

    @property
    def loss(self) -> int:
        """Unrealised loss, units (> 0)."""
        return self.basis - self.value


def loss_candidates(household: Household, lots: Sequence[Lot], prices: Mapping[str, int], as_of: date,
                    acquisitions: Iterable[Acquisition], thresholds: HarvestThresholds = HarvestThresholds(),
                    blocked_buys: frozenset[str] = frozenset()) -> tuple[LossCandidate, ...]:
    """Harvestable losses in the household's taxable accounts, largest loss first. A candidate is
    ``blocked`` when an identical security was bought in the last 30 days in any account (the loss
    would be washed at once); its replacement is the first in ``REPLACEMENTS`` the IPS may buy that
    is not itself wash-blocked (None: the proceeds would stay in cash for 31 days)."""
    acqs = list(acquisitions)
    groups: dict[tuple[str, str], list[Lot]] = {}
    for lot in lots:
        acct = household.account(lot.account_id)
        if not acct.kind.taxable:
            continue
        loss = lot.cost_basis - prices[lot.symbol] * lot.quantity
        if loss > 0 and loss * 10_000 >= thresholds.min_loss_bps * lot.cost_basis:
            groups.setdefault((lot.account_id, lot.symbol), []).append(lot)
    out: list[LossCandidate] = []
    for (account_id, symbol), group in sorted(groups.items()):
        basis = sum(lot.cost_basis for lot in group)
        value = prices[symbol] * sum(lot.quantity for lot in group)
        if basis - value < thresholds.min_loss:
            continue
        ids = {lot.lot_id for lot in group}
        recent = [a for a in acqs if identical(a.symbol, symbol) and a.lot_id not in ids
                  and 0 <= (as_of - a.trade_date).days <= WASH_WINDOW_DAYS]
        blocked = None
        if recent:
            a = recent[0]
            blocked = (f"{a.symbol} was bought on {a.trade_date} in {a.account_id} ({a.kind.value}), within "
                       f"{WASH_WINDOW_DAYS} days: the loss would be washed")
        replacement = next((r for r in REPLACEMENTS.get(symbol, ())
                            if household.policy.may_buy(r) and r not in blocked_buys and not identical(r, symbol)),
                           None)
        quantity = sum(lot.quantity for lot in group)
        lot_ids = choose_lots(group, account_id, symbol, quantity, prices[symbol], as_of)
        out.append(LossCandidate(account_id, symbol, lot_ids, quantity, basis, value, replacement, blocked))
    return tuple(sorted(out, key=lambda c: (-c.loss, c.account_id, c.symbol)))


def harvest_trades(candidate: LossCandidate, prices: Mapping[str, int], as_of: date) -> tuple[ProposedTrade, ...]:
    """The sale of a candidate's loss lots and the buy of its replacement with the proceeds (whole
    shares, rounded down), each explained. ValueError if the candidate is blocked."""
    if candidate.blocked:
        raise ValueError(f"harvest of {candidate.symbol} in {candidate.account_id} is blocked: {candidate.blocked}")
    resume = as_of + timedelta(days=WASH_WINDOW_DAYS + 1)
    sell = ProposedTrade(
        candidate.account_id, candidate.symbol, Side.SELL, candidate.quantity, ProposalReason.TAX_LOSS_HARVEST,
        f"harvest a ${format_price(candidate.loss)} loss on {len(candidate.lot_ids)} lot(s) "
        f"(basis ${format_price(candidate.basis)}, value ${format_price(candidate.value)}); do not buy "
        f"{candidate.symbol} or a substantially identical fund in any household account (IRAs included) "
        f"before {resume}", candidate.lot_ids, prices[candidate.symbol])
    if candidate.replacement is None:
        return (sell,)
    qty = candidate.value // prices[candidate.replacement]
    if qty <= 0:
        return (sell,)
    buy = ProposedTrade(
        candidate.account_id, candidate.replacement, Side.BUY, qty, ProposalReason.TAX_LOSS_HARVEST,
        f"replacement for harvested {candidate.symbol}: similar exposure, not substantially identical "
        f"(firm table), keeps the household invested", (), prices[candidate.replacement])
    return (sell, buy)
