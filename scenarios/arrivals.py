"""Client order arrivals: when orders come in over the day, and what they ask for.

``arrival_times_ns`` samples exactly ``n`` submission times on a U-shaped
intraday intensity (busy at the open and close, quiet at midday) by inverse
CDF. ``order_intents`` turns those times into :class:`OrderIntent` requests
for the scenario's population, adding the messy parts of real flow:
duplicates (same order, new client order id, ms later), retries (same client
order id again) and cancel requests (seconds later).

Intents are plain requests, not domain commands: prices are expressed as a
signed offset in bps from the touch so the twin can price them against the
live book. Deterministic given the numpy Generator; each concern draws from
its own child stream.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from components.reference.accounts import Account

from .config import OrderFlow, Scenario
from .population import Population

Side = Literal["BUY", "SELL"]
OrderTypeName = Literal["MARKET", "LIMIT"]
TimeInForceName = Literal["DAY", "IOC"]
IntentKind = Literal["normal", "duplicate", "resubmit", "cancel"]

BUY_CASH_FRACTION = 0.06
"""A buy spends on average this share of the cash the account has left (exponential):
advisors size orders to the account, so only the tail hits buying-power or
concentration limits."""

SELL_PROBABILITY = 0.45
"""Chance an order from an account that still holds stock is a sell."""

ODD_LOT_FRACTION = 0.08
"""Share of orders for fewer than 100 shares."""

DUPLICATE_DELAY_MS = (1, 50)
"""A mistaken duplicate follows its original by this many ms (inclusive range)."""

RESUBMIT_DELAY_MS = (200, 3_000)
"""A retry with the same client order id follows by this many ms (a client timeout)."""

CANCEL_DELAY_MS = (1_000, 30_000)
"""A cancel request follows its order by this many ms."""

_BISECTION_STEPS = 64


@dataclass(frozen=True, slots=True)
class OrderIntent:
    """One client request at ``submit_ns`` (UTC ns): a new order, a duplicate, a retry or a cancel."""

    submit_ns: int
    advisor_id: str
    account_id: str
    symbol: str
    side: Side
    quantity: int
    order_type: OrderTypeName
    limit_offset_bps: int
    """For LIMIT: signed bps from the touch; positive = more aggressive (crosses further). 0 for MARKET."""
    time_in_force: TimeInForceName
    client_order_id: str
    """Unique per request, except that a ``resubmit`` repeats its original's id."""
    kind: IntentKind = "normal"
    ref_client_order_id: str | None = None
    """The original order's client order id for ``duplicate``, ``resubmit`` and ``cancel``; else None."""


def arrival_times_ns(
    n: int, open_ns: int, close_ns: int, u_shape: float, rng: np.random.Generator
) -> np.ndarray:
    """``n`` sorted int64 times in [open_ns, close_ns) with a U-shaped intensity.

    The density over the session fraction x in [0, 1] is proportional to
    ``1 + (u_shape - 1) * (2x - 1)**2``: ``u_shape`` times the midday
    intensity at the edges (1 = flat; below 1 = busiest at midday).
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if close_ns <= open_ns:
        raise ValueError("close_ns must be after open_ns")
    if not u_shape > 0:
        raise ValueError(f"u_shape must be > 0, got {u_shape}")
    x = _inverse_cdf(rng.random(n), u_shape - 1.0)
    span = close_ns - open_ns
    times = open_ns + np.floor(x * span).astype(np.int64)
    times = np.clip(times, open_ns, close_ns - 1)
    times.sort(kind="stable")
    return times


def _inverse_cdf(u: np.ndarray, a: float) -> np.ndarray:
    """Solve F(x) = u for the density ∝ 1 + a(2x-1)^2 on [0, 1], vectorised bisection.

    With y = 2x - 1 the CDF is (y + a*y^3/3 + 1 + a/3) / (2 + 2a/3), monotone for a > -1.
    """
    target = u * (2.0 + 2.0 * a / 3.0) - 1.0 - a / 3.0  # solve y + a y^3 / 3 = target
    lo = np.full_like(u, -1.0)
    hi = np.full_like(u, 1.0)
    for _ in range(_BISECTION_STEPS):
        mid = 0.5 * (lo + hi)
        below = mid + a * mid**3 / 3.0 < target
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    return (0.5 * (lo + hi) + 1.0) / 2.0


def _child(rng: np.random.Generator) -> np.random.Generator:
    return np.random.default_rng(int(rng.integers(0, 2**63 - 1)))


def _quantity(rng: np.random.Generator, mean_shares: int) -> int:
    """Mostly whole 100-share lots around ``mean_shares``; some odd lots."""
    size, odd, odd_qty = rng.exponential(mean_shares), rng.random(), int(rng.integers(1, 100))
    if odd < ODD_LOT_FRACTION:
        return odd_qty
    return max(1, int(round(size / 100.0))) * 100


def _buy_quantity(drawn: int, budget: float, price: int) -> int:
    """Shares a budget buys, to the nearest round lot when it affords half of one,
    else an odd lot; ``drawn`` keeps the odd-lot mix of the size draw."""
    shares = int(budget // price)
    if drawn < 100 and shares >= 1:
        return min(drawn, shares)
    return max(100, (shares + 50) // 100 * 100) if shares >= 50 else max(1, shares)


def order_intents(
    scenario: Scenario, population: Population, rng: np.random.Generator
) -> list[OrderIntent]:
    """All client requests of the session, sorted by ``submit_ns`` (ties keep creation order).

    ``scenario.order_flow.orders`` normal orders, plus duplicates, resubmits and
    cancels for the configured fractions of them (extras that would fall at or
    after the close are dropped). Sells come only from shares an account
    started with and has not already sold today.
    """
    flow = scenario.order_flow
    if not population.accounts:
        raise ValueError("population has no accounts")
    time_rng, account_rng, order_rng, extra_rng = (_child(rng) for _ in range(4))
    open_ns, close_ns = scenario.session_open_ns, scenario.session_close_ns
    times = arrival_times_ns(flow.orders, open_ns, close_ns, flow.u_shape, time_rng)

    accounts = population.accounts
    holdings: dict[str, dict[str, int]] = {a.account_id: dict(a.positions) for a in accounts}
    symbols = scenario.symbol_names
    picks = account_rng.integers(0, len(accounts), size=flow.orders)

    prices = {s.symbol: s.reference_price for s in scenario.symbols}
    cash_left = {a.account_id: a.cash for a in accounts}
    normals: list[OrderIntent] = []
    for i in range(flow.orders):
        acct = accounts[int(picks[i])]
        intent = _new_order(order_rng, flow, acct, holdings[acct.account_id], symbols, int(times[i]),
                            f"CO-{i + 1:06d}", cash_left[acct.account_id], prices)
        if intent.side == "BUY":
            cash_left[acct.account_id] -= intent.quantity * prices[intent.symbol]
        normals.append(intent)

    extras = _extras(extra_rng, normals, flow, close_ns)
    ordered = sorted(enumerate(normals + extras), key=lambda p: (p[1].submit_ns, p[0]))
    return [intent for _, intent in ordered]


def _new_order(
    rng: np.random.Generator,
    flow: OrderFlow,
    acct: Account,
    held: dict[str, int],
    symbols: tuple[str, ...],
    submit_ns: int,
    client_order_id: str,
    cash_left: int,
    prices: dict[str, int],
) -> OrderIntent:
    # A fixed set of draws per order keeps the stream aligned whatever is chosen.
    sell_roll, sym_roll, held_roll = rng.random(), int(rng.integers(0, len(symbols))), rng.random()
    qty = _quantity(rng, flow.mean_shares)
    market = rng.random() < flow.market_fraction
    ioc = rng.random() < flow.ioc_fraction
    offset = int(rng.integers(-flow.limit_offset_bps, flow.limit_offset_bps + 1))
    spend = rng.exponential(BUY_CASH_FRACTION)

    sellable = [s for s in symbols if held.get(s, 0) > 0]
    if sellable and sell_roll < SELL_PROBABILITY:
        side: Side = "SELL"
        symbol = sellable[min(int(held_roll * len(sellable)), len(sellable) - 1)]
        qty = min(qty, held[symbol])
        held[symbol] -= qty
    else:
        side = "BUY"
        symbol = symbols[sym_roll]
        qty = _buy_quantity(qty, spend * max(cash_left, 0), prices[symbol])
    return OrderIntent(
        submit_ns=submit_ns,
        advisor_id=acct.advisor_id,
        account_id=acct.account_id,
        symbol=symbol,
        side=side,
        quantity=qty,
        order_type="MARKET" if market else "LIMIT",
        limit_offset_bps=0 if market else offset,
        time_in_force="IOC" if ioc else "DAY",
        client_order_id=client_order_id,
    )


def _extras(
    rng: np.random.Generator, normals: list[OrderIntent], flow: OrderFlow, close_ns: int
) -> list[OrderIntent]:
    """Duplicates, resubmits and cancels following some of the normal orders."""
    n = len(normals)
    ms = 1_000_000
    dup = rng.random(n) < flow.duplicate_fraction
    resub = rng.random(n) < flow.resubmit_fraction
    cancel = rng.random(n) < flow.cancel_fraction
    dup_delay = rng.integers(DUPLICATE_DELAY_MS[0], DUPLICATE_DELAY_MS[1] + 1, size=n) * ms
    resub_delay = rng.integers(RESUBMIT_DELAY_MS[0], RESUBMIT_DELAY_MS[1] + 1, size=n) * ms
    cancel_delay = rng.integers(CANCEL_DELAY_MS[0], CANCEL_DELAY_MS[1] + 1, size=n) * ms

    extras: list[OrderIntent] = []
    next_id = n

    def new_id() -> str:
        nonlocal next_id
        next_id += 1
        return f"CO-{next_id:06d}"

    for i, order in enumerate(normals):
        ref = order.client_order_id
        for wanted, delay, kind in (
            (dup[i], dup_delay[i], "duplicate"),
            (resub[i], resub_delay[i], "resubmit"),
            (cancel[i], cancel_delay[i], "cancel"),
        ):
            at = order.submit_ns + int(delay)
            if not wanted or at >= close_ns:
                continue
            coid = ref if kind == "resubmit" else new_id()
            extras.append(replace(order, submit_ns=at, client_order_id=coid, kind=kind, ref_client_order_id=ref))
    return extras
