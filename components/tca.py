"""Transaction cost analysis (TCA): every execution-quality formula of the project, in one place.

Pure functions over exact inputs: prices, fees and quotes are integer units
(``components.domain.money.PRICE_SCALE`` = 10,000 per dollar), quantities are
integer shares, times are integer nanoseconds since the Unix epoch (UTC).
Results that need a division are ``Decimal`` (a mid of an odd spread is half a
unit; an average price is a ratio); only ratios expressed in basis points or
fractions (``*_bps``, ``fill_rate``, ``eq_ratio``) are floats.

Sign convention (one for every cost-like metric): ``s = +1`` for a buy and
``-1`` for a sell; a metric is ``s * (what we paid - benchmark)``, so a
**positive value is a cost** (paid more on a buy, received less on a sell) and
a negative value a gain. Price improvement is the opposite on purpose, as
Rule 605 words it: **positive is better than the quote**.

Market inputs: ``NbboTimeline`` (the consolidated best bid and offer as it
changed; the quote in force at ``t`` is the last update at or before ``t``,
and a time past the session end reads the session's final quote, as Rule 605
does for realized spreads near the close; benchmarks use the last good,
two-sided and uncrossed, quote) and ``PrintTape`` (market prints, for VWAP). ``order_tca`` computes every metric of one order; the other public
functions are the single formulas it is made of (Rule 605 reports reuse them).
docs/tca.md has the formulas with worked examples.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from typing import Any, Iterable, Sequence

import numpy as np

_MS = 1_000_000
_S = 1_000_000_000
HORIZONS_NS: tuple[int, ...] = (50 * _MS, 1 * _S, 5 * _S, 30 * _S, 60 * _S, 300 * _S)
"""Realized-spread horizons after each execution: 50 ms, 1 s, 5 s, 30 s, 1 min, 5 min (amended Rule 605)."""

_BPS = 10_000


def horizon_label(horizon_ns: int) -> str:
    """A horizon as a column suffix: ``50ms``, ``1s``, ``5s``, ``30s``, ``1min``, ``5min``."""
    if horizon_ns % (60 * _S) == 0:
        return f"{horizon_ns // (60 * _S)}min"
    if horizon_ns % _S == 0:
        return f"{horizon_ns // _S}s"
    if horizon_ns % _MS == 0:
        return f"{horizon_ns // _MS}ms"
    return f"{horizon_ns}ns"


_SIGNS = {"BUY": 1, "SELL": -1, "SELL_SHORT": -1, "SHORT": -1}
"""``side_sign`` of the usual side texts, answered without text work."""
_LABELS = {h: horizon_label(h) for h in HORIZONS_NS}
"""``horizon_label`` of the default horizons (each record names six columns by them)."""


def side_sign(side: Any) -> int:
    """``+1`` for a buy, ``-1`` for a sell (``Side`` members or their text, ``SELL_SHORT`` too)."""
    if type(side) is str and side in _SIGNS:  # the usual case, asked several times per order: no text work
        return _SIGNS[side]
    text = str(getattr(side, "value", side)).upper()
    if text == "BUY":
        return 1
    if text in ("SELL", "SELL_SHORT", "SHORT"):
        return -1
    raise ValueError(f"side must be BUY or SELL, got {side!r}")


def _int(name: str, value: Any, minimum: int | None = None) -> int:
    if type(value) is not int and not isinstance(value, np.integer):
        raise ValueError(f"{name} must be an int, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return int(value)


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution of an order: ``qty`` shares at ``price`` units at ``t_ns``; ``fee`` in units
    for the whole fill (a rebate is negative); the venue and MAKER/TAKER for grouping only."""

    t_ns: int
    qty: int
    price: int
    fee: int = 0
    venue: str = ""
    liquidity: str = ""

    def __post_init__(self) -> None:
        # Coerced to Python ints: numpy integers read from parquet would make Decimal() refuse them.
        for name, minimum in (("t_ns", None), ("qty", 1), ("price", 1), ("fee", None)):
            object.__setattr__(self, name, _int(f"fill {name}", getattr(self, name), minimum))


@dataclass(frozen=True, slots=True)
class NbboQuote:
    """The consolidated best bid and offer in force from ``t_ns``; 0 price or size is an empty side."""

    t_ns: int
    bid: int
    bid_size: int
    ask: int
    ask_size: int

    @property
    def two_sided(self) -> bool:
        """Both sides present and not crossed (bid <= ask): a mid and a spread are defined."""
        return self.bid > 0 and self.ask > 0 and self.bid <= self.ask

    @property
    def mid(self) -> Decimal | None:
        """``(bid + ask) / 2`` exactly, or None unless ``two_sided``."""
        return mid(self.bid, self.ask)

    @property
    def spread(self) -> int | None:
        """Quoted spread ``ask - bid`` in units, or None unless ``two_sided``."""
        return self.ask - self.bid if self.two_sided else None


def mid(bid: int, ask: int) -> Decimal | None:
    """``m = (bid + ask) / 2`` (exact; may be half a unit). None for an empty side or a crossed
    market (bid > ask), where no mid is meaningful; a locked market (bid == ask) has ``m = bid``."""
    if bid <= 0 or ask <= 0 or bid > ask:
        return None
    return Decimal(bid + ask) / 2


class NbboTimeline:
    """One symbol's NBBO as it changed: row ``i`` is in force from ``t_ns[i]`` until the next row.

    ``end_ns`` (default: the last update) is the end of the session: a query past it reads the
    quote in force at ``end_ns`` (Rule 605: a horizon that runs past the close uses the final
    NBBO of regular trading hours). A query before the first update has no quote (None).

    Benchmarks (``good_at``, ``mid_at``) use the last *good* quote: two-sided and not crossed
    (locked is good: its mid is the price). While the consolidated market is crossed or one-sided
    the last good quote stays the benchmark, the rule the platform's own reference price follows
    (``components.reference_price.LastGoodMid``); ``at`` returns the raw quote, so a crossed arrival can be flagged.
    """

    __slots__ = ("t_ns", "bid", "bid_size", "ask", "ask_size", "end_ns", "_good")

    def __init__(self, t_ns: Sequence[int], bid: Sequence[int], bid_size: Sequence[int],
                 ask: Sequence[int], ask_size: Sequence[int], end_ns: int | None = None):
        cols = {name: np.asarray(v, dtype=np.int64) for name, v in
                (("t_ns", t_ns), ("bid", bid), ("bid_size", bid_size), ("ask", ask), ("ask_size", ask_size))}
        n = len(cols["t_ns"])
        for name, arr in cols.items():
            if arr.ndim != 1 or len(arr) != n:
                raise ValueError(f"NBBO column {name} has {len(arr)} rows, t_ns has {n}")
            if name != "t_ns" and n and int(arr.min()) < 0:
                raise ValueError(f"NBBO column {name} has a negative value at row {int(np.argmin(arr))}")
        if n > 1:
            back = np.flatnonzero(np.diff(cols["t_ns"]) < 0)
            if len(back):
                raise ValueError(f"NBBO t_ns must not decrease: row {int(back[0]) + 1} is earlier than the row before")
        self.t_ns, self.bid, self.bid_size = cols["t_ns"], cols["bid"], cols["bid_size"]
        self.ask, self.ask_size = cols["ask"], cols["ask_size"]
        self.end_ns = int(self.t_ns[-1]) if end_ns is None and n else end_ns
        good = (self.bid > 0) & (self.ask > 0) & (self.bid <= self.ask)
        # _good[i]: the index of the last good row at or before row i (-1: none yet)
        self._good = np.maximum.accumulate(np.where(good, np.arange(n), -1)) if n else np.zeros(0, np.int64)

    @classmethod
    def from_quotes(cls, quotes: Iterable[NbboQuote], end_ns: int | None = None) -> "NbboTimeline":
        """A timeline from ``NbboQuote`` rows in time order."""
        rows = list(quotes)
        return cls([q.t_ns for q in rows], [q.bid for q in rows], [q.bid_size for q in rows],
                   [q.ask for q in rows], [q.ask_size for q in rows], end_ns)

    def __len__(self) -> int:
        return len(self.t_ns)

    def _row(self, t_ns: int) -> int:
        if self.end_ns is not None and t_ns > self.end_ns:
            t_ns = self.end_ns
        return int(np.searchsorted(self.t_ns, t_ns, side="right")) - 1

    def _quote(self, i: int) -> NbboQuote | None:
        if i < 0:
            return None
        return NbboQuote(int(self.t_ns[i]), int(self.bid[i]), int(self.bid_size[i]), int(self.ask[i]),
                         int(self.ask_size[i]))

    def _rows(self, t_ns: np.ndarray) -> np.ndarray:
        """``_row`` of every time in ``t_ns`` at once (int64; -1: before the first update)."""
        if self.end_ns is not None:
            t_ns = np.minimum(t_ns, self.end_ns)
        return np.searchsorted(self.t_ns, t_ns, side="right").astype(np.int64) - 1

    def _good_rows(self, rows: np.ndarray) -> np.ndarray:
        """The last good row at or before each of ``rows`` (-1: none)."""
        if not len(self.t_ns):
            return np.full(len(rows), -1, dtype=np.int64)
        return np.where(rows >= 0, self._good[np.maximum(rows, 0)], -1)

    def _columns_at(self, rows: np.ndarray, names: Sequence[str]) -> list[list[int]]:
        """Each named column's value at ``rows`` as Python ints (0 where a row is -1)."""
        if not len(self.t_ns):
            return [[0] * len(rows) for _ in names]
        safe = np.maximum(rows, 0)
        return [getattr(self, name)[safe].tolist() for name in names]

    def quotes_at(self, rows: np.ndarray) -> list[NbboQuote | None]:
        """``_quote(i)`` of every row of ``rows`` (None for -1), gathered with numpy."""
        t, bid, bid_size, ask, ask_size = self._columns_at(rows, ("t_ns", "bid", "bid_size", "ask", "ask_size"))
        return [None if i < 0 else NbboQuote(t[k], bid[k], bid_size[k], ask[k], ask_size[k])
                for k, i in enumerate(rows.tolist())]

    def good_mids_at(self, t_ns: np.ndarray) -> list[Decimal | None]:
        """``mid_at(t)`` of every time in ``t_ns`` at once."""
        good = self._good_rows(self._rows(t_ns))
        bid, ask = self._columns_at(good, ("bid", "ask"))
        return [None if i < 0 else mid(b, a) for i, b, a in zip(good.tolist(), bid, ask)]

    def at(self, t_ns: int) -> NbboQuote | None:
        """The raw quote in force at ``t_ns`` (the last update at or before it; past ``end_ns``, the one
        in force at ``end_ns``), crossed or one-sided as it was; None before the first update."""
        return self._quote(self._row(t_ns))

    def good_at(self, t_ns: int) -> NbboQuote | None:
        """The last good (two-sided, uncrossed) quote at or before ``t_ns``: the benchmark quote."""
        i = self._row(t_ns)
        return None if i < 0 else self._quote(int(self._good[i]))

    def mid_at(self, t_ns: int) -> Decimal | None:
        """The benchmark mid at ``t_ns``: the mid of ``good_at(t_ns)`` (None before any good quote)."""
        quote = self.good_at(t_ns)
        return None if quote is None else quote.mid


class PrintTape:
    """One symbol's market prints (trades) in time order: price in units, quantity in shares."""

    __slots__ = ("t_ns", "price", "qty", "_cum")

    def __init__(self, t_ns: Sequence[int], price: Sequence[int], qty: Sequence[int]):
        self.t_ns = np.asarray(t_ns, dtype=np.int64)
        self.price = np.asarray(price, dtype=np.int64)
        self.qty = np.asarray(qty, dtype=np.int64)
        if not len(self.t_ns) == len(self.price) == len(self.qty):
            raise ValueError(f"print columns differ in length: t_ns {len(self.t_ns)}, price {len(self.price)}, "
                             f"qty {len(self.qty)}")
        if len(self.t_ns) > 1 and bool((np.diff(self.t_ns) < 0).any()):
            raise ValueError("print t_ns must not decrease")
        if len(self.qty) and int(self.qty.min()) <= 0:
            raise ValueError(f"print qty must be positive (row {int(np.argmin(self.qty))})")
        self._cum: tuple[np.ndarray, np.ndarray] | None = None

    def _sums(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Running sums of quantity and notional (each with a leading 0), when the day's total notional
        fits an int64 exactly; None otherwise (``vwap`` then adds Python ints over the window)."""
        if self._cum is None and len(self.qty):
            total = int(self.qty.sum(dtype=object)) * int(np.abs(self.price).max())  # a bound on any sum
            if total < 2**62:
                zero = np.zeros(1, dtype=np.int64)
                self._cum = (np.concatenate([zero, np.cumsum(self.qty)]),
                             np.concatenate([zero, np.cumsum(self.qty * self.price)]))
        return self._cum

    def vwap(self, start_ns: int, end_ns: int) -> Decimal | None:
        """Market VWAP over prints with ``start_ns <= t <= end_ns``: ``sum(q p) / sum(q)`` (None if none)."""
        lo = int(np.searchsorted(self.t_ns, start_ns, side="left"))
        hi = int(np.searchsorted(self.t_ns, end_ns, side="right"))
        if hi <= lo:
            return None
        sums = self._sums()  # a window's sums as two differences: TCA asks once per order over a long tape
        if sums is not None:
            qty_sum, notional_sum = sums
            return Decimal(int(notional_sum[hi] - notional_sum[lo])) / int(qty_sum[hi] - qty_sum[lo])
        qty = [int(q) for q in self.qty[lo:hi]]  # Python ints: a day's notional overflows no int64 this way
        notional = sum(q * int(p) for q, p in zip(qty, self.price[lo:hi]))
        return Decimal(notional) / sum(qty)

    def vwaps(self, start_ns: Sequence[int], end_ns: Sequence[int]) -> list[Decimal | None]:
        """``vwap(start, end)`` of every window at once (the same values; the searches made with numpy)."""
        starts, ends = np.asarray(start_ns, dtype=np.int64), np.asarray(end_ns, dtype=np.int64)
        lo = np.searchsorted(self.t_ns, starts, side="left")
        hi = np.searchsorted(self.t_ns, ends, side="right")
        sums = self._sums()
        if sums is None:
            return [None if h <= l else self.vwap(s, e)
                    for l, h, s, e in zip(lo.tolist(), hi.tolist(), starts.tolist(), ends.tolist())]
        hit = hi > lo  # the windows' sums as differences of the running sums (each below 2**62: no overflow)
        lo, hi = np.where(hit, lo, 0), np.where(hit, hi, 0)
        qty, notional = ((s[hi] - s[lo]).tolist() for s in sums)
        return [Decimal(n) / q if ok else None for ok, q, n in zip(hit.tolist(), qty, notional)]


# ---------------------------------------------------------------- single formulas


def filled_quantity(fills: Iterable[Fill]) -> int:
    """``Q_f = sum(q_i)``."""
    return sum(f.qty for f in fills)


def average_price(fills: Iterable[Fill]) -> Decimal | None:
    """Exact average fill price ``p_avg = sum(q_i p_i) / sum(q_i)`` (None without fills)."""
    fills = list(fills)
    qty = filled_quantity(fills)
    return None if qty == 0 else Decimal(sum(f.qty * f.price for f in fills)) / qty


def total_fees(fills: Iterable[Fill]) -> int:
    """``F = sum(fee_i)`` in units (fees paid positive, rebates negative)."""
    return sum(f.fee for f in fills)


def slippage(side: Any, price: Decimal | int, benchmark: Decimal | int) -> Decimal:
    """Per-share slippage against a benchmark: ``s * (p - B)``; positive is a cost."""
    return side_sign(side) * (Decimal(price) - Decimal(benchmark))


def to_bps(amount: Decimal | int | None, base: Decimal | int | None) -> float | None:
    """``amount / base * 10,000`` as a float (None if either is missing or ``base`` is 0)."""
    if amount is None or base is None or base == 0:
        return None
    return float(Decimal(amount) * _BPS / Decimal(base))


def arrival_slippage(side: Any, fills: Sequence[Fill], arrival_mid: Decimal | None) -> Decimal | None:
    """Arrival-price slippage per share: ``s * (p_avg - m_arrival)``, ``m_arrival`` the NBBO mid at
    the order's receipt. None without fills or without an arrival mid."""
    avg = average_price(fills)
    return None if avg is None or arrival_mid is None else slippage(side, avg, arrival_mid)


def vwap_slippage(side: Any, fills: Sequence[Fill], market_vwap: Decimal | None) -> Decimal | None:
    """VWAP slippage per share: ``s * (p_avg - VWAP)``, VWAP of the market's prints over the order's
    own window (receipt to done). None without fills or without prints in the window."""
    avg = average_price(fills)
    return None if avg is None or market_vwap is None else slippage(side, avg, market_vwap)


def effective_spread(side: Any, price: Decimal | int, mid_price: Decimal | None) -> Decimal | None:
    """Effective spread per share (Rule 605): ``2 * s * (p - m)``, ``m`` the NBBO mid at receipt."""
    return None if mid_price is None else 2 * slippage(side, price, mid_price)


def realized_spread(side: Any, price: Decimal | int, later_mid: Decimal | None) -> Decimal | None:
    """Realized spread per share (Rule 605): ``2 * s * (p - m_{t+h})``, ``m_{t+h}`` the NBBO mid a
    horizon ``h`` after the execution. What the liquidity provider kept after the price moved."""
    return None if later_mid is None else 2 * slippage(side, price, later_mid)


def price_improvement(side: Any, price: int, bid: int, ask: int) -> int | None:
    """Price improvement per share vs the NBBO at receipt, **positive is better**: a buy
    ``ask - p``, a sell ``p - bid`` (0: at the quote; negative: outside it). None when the side
    the order trades against is empty."""
    sign = side_sign(side)
    if sign > 0:
        return None if ask <= 0 else ask - price
    return None if bid <= 0 else price - bid


def size_improvement(side: Any, fills: Sequence[Fill], quote: NbboQuote | None) -> int:
    """Shares executed at the quote or better beyond the size displayed there at receipt:
    ``max(0, sum(q_i : p_i at or better than the far quote) - displayed size)``; a buy compares with
    the ask and its size, a sell with the bid. 0 without a quote on that side."""
    if quote is None:
        return 0
    if side_sign(side) > 0:
        far, shown = quote.ask, quote.ask_size
        at_or_better = sum(f.qty for f in fills if far > 0 and f.price <= far)
    else:
        far, shown = quote.bid, quote.bid_size
        at_or_better = sum(f.qty for f in fills if far > 0 and f.price >= far)
    return max(0, at_or_better - shown) if far > 0 else 0


class OrderClass(str, Enum):
    """How an order met the market at receipt (Rule 605's order categories, the limit ones split by
    marketability): compare executions only within one class."""

    MARKET = "MARKET"
    MARKETABLE_LIMIT = "MARKETABLE_LIMIT"
    NON_MARKETABLE_LIMIT = "NON_MARKETABLE_LIMIT"


def order_class(order_type: Any, side: Any, limit_price: int | None, quote: NbboQuote | None) -> OrderClass:
    """``MARKET`` for a market order; a limit order is ``MARKETABLE_LIMIT`` when it could trade at once
    against the NBBO at receipt (a buy limit at or above the ask, a sell limit at or below the bid),
    else ``NON_MARKETABLE_LIMIT`` (also when that side of the NBBO is empty or unknown)."""
    kind = str(getattr(order_type, "value", order_type)).upper()
    if kind == "MARKET":
        return OrderClass.MARKET
    if kind != "LIMIT":
        raise ValueError(f"order_type must be MARKET or LIMIT, got {order_type!r}")
    if limit_price is None:
        raise ValueError("a LIMIT order needs a limit_price")
    if quote is not None:
        if side_sign(side) > 0 and quote.ask > 0 and limit_price >= quote.ask:
            return OrderClass.MARKETABLE_LIMIT
        if side_sign(side) < 0 and quote.bid > 0 and limit_price <= quote.bid:
            return OrderClass.MARKETABLE_LIMIT
    return OrderClass.NON_MARKETABLE_LIMIT


def fill_rate(quantity: int, filled: int) -> float:
    """``Q_f / Q`` (0.0 for a zero quantity)."""
    return 0.0 if quantity <= 0 else filled / quantity


def time_to_first_fill(arrival_ns: int, fills: Sequence[Fill]) -> int | None:
    """``min(t_i) - t_arrival`` in ns (None without fills)."""
    return None if not fills else min(f.t_ns for f in fills) - arrival_ns


def time_to_complete(arrival_ns: int, fills: Sequence[Fill], quantity: int) -> int | None:
    """``t of the fill that completes Q - t_arrival`` in ns (None unless the order filled completely)."""
    done = 0
    for f in sorted(fills, key=lambda f: f.t_ns):
        done += f.qty
        if done >= quantity:
            return f.t_ns - arrival_ns
    return None


@dataclass(frozen=True, slots=True)
class Shortfall:
    """Implementation shortfall (Perold) in units of money (Decimal), each part positive as a cost.

    ``total == delay + execution + opportunity + fees`` exactly; ``paper_notional = Q * P_d`` is
    the base of the bps figures.
    """

    delay: Decimal
    execution: Decimal
    opportunity: Decimal
    fees: Decimal
    paper_notional: Decimal

    @property
    def total(self) -> Decimal:
        return self.delay + self.execution + self.opportunity + self.fees

    def bps(self, part: str = "total") -> float | None:
        """One part (``delay``, ``execution``, ``opportunity``, ``fees``, ``total``) in bps of the paper notional."""
        if part not in ("delay", "execution", "opportunity", "fees", "total"):
            raise ValueError(f"part must be delay, execution, opportunity, fees or total, got {part!r}")
        return to_bps(getattr(self, part), self.paper_notional)


def implementation_shortfall(side: Any, quantity: int, fills: Sequence[Fill], decision_price: Decimal | int,
                             arrival_price: Decimal | int, end_price: Decimal | int) -> Shortfall:
    """Perold's implementation shortfall of an order of ``Q`` shares against a paper portfolio that
    traded all of it at the decision price ``P_d``::

        delay       = s * (P_a - P_d) * Q_f          price moved between decision and arrival
        execution   = s * (sum(q_i p_i) - Q_f * P_a)  what the fills cost against the arrival price
        opportunity = s * (P_end - P_d) * (Q - Q_f)  the unfilled remainder, valued at P_end
        fees        = sum(fee_i)
        total       = s * (sum(q_i p_i) - Q_f * P_d) + opportunity + fees

    ``P_a`` is the arrival price (mid at receipt), ``P_end`` the price the remainder is valued at
    (the caller documents which: ``reports.tca`` uses the NBBO mid at the session close).
    """
    sign = side_sign(side)
    quantity = _int("quantity", quantity, 1)
    q_f = filled_quantity(fills)
    if q_f > quantity:
        raise ValueError(f"fills total {q_f} shares, more than the order's quantity {quantity}")
    p_d, p_a, p_end = Decimal(decision_price), Decimal(arrival_price), Decimal(end_price)
    notional = Decimal(sum(f.qty * f.price for f in fills))
    return Shortfall(
        delay=sign * (p_a - p_d) * q_f,
        execution=sign * (notional - q_f * p_a),
        opportunity=sign * (p_end - p_d) * (quantity - q_f),
        fees=Decimal(total_fees(fills)),
        paper_notional=quantity * p_d,
    )


# ---------------------------------------------------------------- one order, every metric


@dataclass(frozen=True, slots=True)
class OrderInput:
    """What TCA needs to know about one order. ``arrival_ns``: when the platform received it;
    ``decision_ns``: when the client decided (submitted), default the arrival; ``done_ns``: when it
    reached its terminal state (filled, canceled, expired), default the last fill or the arrival."""

    order_id: str
    symbol: str
    side: str
    quantity: int
    arrival_ns: int
    fills: tuple[Fill, ...] = ()
    order_type: str = ""
    limit_price: int | None = None
    decision_ns: int | None = None
    done_ns: int | None = None

    def __post_init__(self) -> None:
        side_sign(self.side)
        _int(f"order {self.order_id} quantity", self.quantity, 1)
        _int(f"order {self.order_id} arrival_ns", self.arrival_ns)
        filled = filled_quantity(self.fills)
        if filled > self.quantity:
            raise ValueError(f"order {self.order_id}: fills total {filled} shares, more than its quantity "
                             f"{self.quantity}")

    @property
    def window(self) -> tuple[int, int]:
        """The order's own window ``[arrival, done]`` (VWAP benchmark)."""
        end = self.done_ns if self.done_ns is not None else max((f.t_ns for f in self.fills),
                                                                default=self.arrival_ns)
        return self.arrival_ns, max(end, self.arrival_ns)


@dataclass(frozen=True, slots=True)
class OrderTca:
    """Every TCA metric of one order (see the single formulas for each). Money per share and in
    total is Decimal units; None where an input was missing (no fills, no quote, no prints)."""

    order: OrderInput
    filled_qty: int
    avg_price: Decimal | None
    fees: int
    arrival: NbboQuote | None
    arrival_mid: Decimal | None
    arrival_crossed: bool
    decision_price: Decimal | None
    end_price: Decimal | None
    arrival_slippage: Decimal | None
    market_vwap: Decimal | None
    vwap_slippage: Decimal | None
    effective_spread: Decimal | None
    realized_spreads: tuple[tuple[int, Decimal | None], ...]
    price_improvement: Decimal | None
    size_improvement: int
    shortfall: Shortfall | None
    fill_rate: float
    time_to_first_fill_ns: int | None
    time_to_complete_ns: int | None
    horizons: tuple[int, ...] = field(default=HORIZONS_NS)

    @property
    def order_class(self) -> OrderClass | None:
        """The order's ``OrderClass`` at receipt (None when its type is neither MARKET nor LIMIT)."""
        try:
            return order_class(self.order.order_type, self.order.side, self.order.limit_price, self.arrival)
        except ValueError:
            return None

    @property
    def eq_ratio(self) -> float | None:
        """Effective over quoted spread (E/Q, amended Rule 605): ``effective spread / (ask - bid)``."""
        quoted = None if self.arrival is None else self.arrival.spread
        if self.effective_spread is None or not quoted:
            return None
        return float(self.effective_spread / quoted)

    def to_record(self) -> dict[str, Any]:
        """A flat dict: exact money as Decimal (units), ratios as floats, times as int ns."""
        o, sf, a, base = self.order, self.shortfall, self.arrival, self.arrival_mid
        klass = self.order_class
        record: dict[str, Any] = {
            "order_id": o.order_id, "symbol": o.symbol, "side": str(getattr(o.side, "value", o.side)),
            "order_type": o.order_type,
            "order_class": None if klass is None else klass.value, "quantity": o.quantity, "limit_price": o.limit_price,
            "filled_qty": self.filled_qty, "avg_price": self.avg_price, "fees": self.fees,
            "fill_rate": self.fill_rate,
            "arrival_ns": o.arrival_ns, "decision_ns": o.decision_ns, "done_ns": o.window[1],
            "arrival_bid": None if a is None else a.bid, "arrival_ask": None if a is None else a.ask,
            "arrival_bid_size": None if a is None else a.bid_size,
            "arrival_ask_size": None if a is None else a.ask_size,
            "arrival_quote_ns": None if a is None else a.t_ns, "arrival_crossed": self.arrival_crossed,
            "arrival_mid": base, "decision_price": self.decision_price, "end_price": self.end_price,
            "arrival_slippage": self.arrival_slippage, "arrival_slippage_bps": to_bps(self.arrival_slippage, base),
            "market_vwap": self.market_vwap, "vwap_slippage": self.vwap_slippage,
            "vwap_slippage_bps": to_bps(self.vwap_slippage, self.market_vwap),
            "effective_spread": self.effective_spread, "effective_spread_bps": to_bps(self.effective_spread, base),
            "eq_ratio": self.eq_ratio,
            "price_improvement": self.price_improvement,
            "price_improvement_bps": to_bps(self.price_improvement, base),
            "price_improvement_total": None if self.price_improvement is None
            else self.price_improvement * self.filled_qty,
            "size_improvement": self.size_improvement,
            "time_to_first_fill_ns": self.time_to_first_fill_ns, "time_to_complete_ns": self.time_to_complete_ns,
        }
        if sf is None:
            record.update(_NO_SHORTFALL)
        else:  # sf.bps(part) of each part, the total added up once
            for part, value in (("delay", sf.delay), ("execution", sf.execution), ("opportunity", sf.opportunity),
                                ("fees", sf.fees), ("total", sf.total)):
                record[f"is_{part}"] = value
                record[f"is_{part}_bps"] = to_bps(value, sf.paper_notional)
        for horizon, value in self.realized_spreads:
            label = _LABELS.get(horizon) or horizon_label(horizon)
            record[f"realized_spread_{label}"] = value
            record[f"realized_spread_{label}_bps"] = to_bps(value, base)
        return record


_NO_SHORTFALL = {key: None for part in ("delay", "execution", "opportunity", "fees", "total")
                 for key in (f"is_{part}", f"is_{part}_bps")}


def order_realized_spread(side: Any, fills: Sequence[Fill], nbbo: NbboTimeline, horizon_ns: int) -> Decimal | None:
    """Share-weighted realized spread of an order's fills at one horizon:
    ``sum(q_i * 2 s (p_i - m(t_i + h))) / sum(q_i)``; None if any fill has no mid at its horizon."""
    return _realized_spread_of(side, fills, [nbbo.mid_at(f.t_ns + horizon_ns) for f in fills])


def _realized_spread_of(side: Any, fills: Sequence[Fill], later_mids: Sequence[Decimal | None]) -> Decimal | None:
    """``order_realized_spread`` given each fill's mid at its horizon."""
    total, qty = Decimal(0), 0
    for f, later_mid in zip(fills, later_mids):
        value = realized_spread(side, f.price, later_mid)
        if value is None:
            return None
        total += f.qty * value
        qty += f.qty
    return None if qty == 0 else total / qty


def order_tca(order: OrderInput, nbbo: NbboTimeline, prints: PrintTape | None = None, *,
              end_price: Decimal | int | None = None, horizons: Sequence[int] = HORIZONS_NS) -> OrderTca:
    """Every metric of one order against its symbol's NBBO timeline and prints.

    Benchmarks: the arrival quote is ``nbbo.good_at(arrival_ns)`` (``arrival_crossed`` says whether
    the raw NBBO was crossed then), arrival mid = its mid; decision price = mid at ``decision_ns``
    (the arrival mid when not given); the unfilled remainder is valued at ``end_price`` (default the
    mid at ``nbbo.end_ns``, the session close). Effective spread and price improvement use the
    share-weighted average fill price against the NBBO at receipt.
    """
    return orders_tca([order], nbbo, prints, end_price=end_price, horizons=horizons)[0]


def orders_tca(orders: Sequence[OrderInput], nbbo: NbboTimeline, prints: PrintTape | None = None, *,
               end_price: Decimal | int | None = None, horizons: Sequence[int] = HORIZONS_NS) -> list[OrderTca]:
    """``order_tca`` of each of ``orders`` (one symbol's, against its ``nbbo`` and ``prints``), in order.

    The same results; the timeline and tape are searched once for all orders (numpy), not several
    times per order, so a day of 10,000 orders against a million-row NBBO pays for its arithmetic
    only. All money stays exact (integer units and ``Decimal``, the single formulas above).
    """
    orders = list(orders)
    horizons = tuple(horizons)
    if not orders:
        return []
    fills_of = [tuple(sorted(o.fills, key=_fill_time)) for o in orders]
    arrival_rows = nbbo._rows(np.array([o.arrival_ns for o in orders], dtype=np.int64))
    arrivals = nbbo.quotes_at(nbbo._good_rows(arrival_rows))
    raw_bid, raw_ask = nbbo._columns_at(arrival_rows, ("bid", "ask"))  # the raw quote: is it crossed?
    raw_rows = arrival_rows.tolist()
    decided = [k for k, o in enumerate(orders) if o.decision_ns is not None]
    decision_mids = dict(zip(decided, nbbo.good_mids_at(np.array([orders[k].decision_ns for k in decided],
                                                                  dtype=np.int64))))
    if end_price is None and nbbo.end_ns is not None:
        end_price = nbbo.mid_at(nbbo.end_ns)
    p_end = None if end_price is None else Decimal(end_price)
    vwaps = [None] * len(orders) if prints is None else prints.vwaps(*zip(*(o.window for o in orders)))
    fill_times = np.array([f.t_ns for fills in fills_of for f in fills], dtype=np.int64)
    later = [nbbo.good_mids_at(fill_times + h) for h in horizons]  # per horizon, every fill's later mid
    results, first = [], 0
    for k, (order, fills) in enumerate(zip(orders, fills_of)):
        side = order.side
        arrival = arrivals[k]
        a_mid = None if arrival is None else arrival.mid
        d_mid = a_mid if order.decision_ns is None else decision_mids[k]
        avg = average_price(fills)
        q_f = filled_quantity(fills)
        vwap = vwaps[k]
        improvement: Decimal | None = None
        if arrival is not None and fills:
            per_fill = [price_improvement(side, f.price, arrival.bid, arrival.ask) for f in fills]
            if all(v is not None for v in per_fill):
                improvement = Decimal(sum(f.qty * v for f, v in zip(fills, per_fill))) / q_f  # type: ignore[operator]
        shortfall = None
        if d_mid is not None and a_mid is not None and (p_end is not None or q_f == order.quantity):
            shortfall = implementation_shortfall(side, order.quantity, fills, d_mid, a_mid,
                                                 p_end if p_end is not None else d_mid)
        end = first + len(fills)
        results.append(OrderTca(
            order=order, filled_qty=q_f, avg_price=avg, fees=total_fees(fills), arrival=arrival, arrival_mid=a_mid,
            arrival_crossed=raw_rows[k] >= 0 and raw_bid[k] > 0 and raw_ask[k] > 0 and raw_bid[k] > raw_ask[k],
            decision_price=d_mid, end_price=p_end,
            # arrival_slippage and vwap_slippage of the average just taken (each would take it again)
            arrival_slippage=None if avg is None or a_mid is None else slippage(side, avg, a_mid),
            market_vwap=vwap, vwap_slippage=None if avg is None or vwap is None else slippage(side, avg, vwap),
            effective_spread=None if avg is None else effective_spread(side, avg, a_mid),
            realized_spreads=tuple((h, _realized_spread_of(side, fills, mids[first:end]))
                                   for h, mids in zip(horizons, later)),
            price_improvement=improvement, size_improvement=size_improvement(side, fills, arrival),
            shortfall=shortfall, fill_rate=fill_rate(order.quantity, q_f),
            time_to_first_fill_ns=time_to_first_fill(order.arrival_ns, fills),
            time_to_complete_ns=time_to_complete(order.arrival_ns, fills, order.quantity),
            horizons=horizons,
        ))
        first = end
    return results


def _fill_time(fill: Fill) -> int:
    return fill.t_ns
