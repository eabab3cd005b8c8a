"""Rule 605 execution-quality figures (the amended rule's shape), from the TCA module's formulas.

Every per-order number comes from ``components.tca.order_tca`` (effective
spread, realized spread at each horizon, price improvement, E/Q's quoted
spread) or ``components.tca.time_to_first_fill`` (time to each execution);
this module only buckets orders and takes share-weighted averages, so the
605 figures are the TCA figures by construction (tested on a hand example).

Rows are per symbol, order type and order-size bucket. Simplifications (see
docs/regulatory_reporting.md): order types are market, marketable limit and
non-marketable limit (the amended rule's finer limit-order categories are not
split); size buckets are the amended rule's notional-value categories, valued
at the NBBO midpoint at receipt, with $200,000 and up kept as its own row
(outside the rule's categories); orders without a quote at receipt are
counted in ``excluded``. An order received while the NBBO is crossed is measured against the
last good quote before it, as the TCA tables do.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable, Mapping

from components import tca
from components.domain.money import PRICE_SCALE

from .rule606 import OrderClass, marketable

NOTIONAL_BUCKETS: tuple[tuple[int, int | None, str], ...] = (
    (0, 250, "<$250"), (250, 1_000, "$250-<$1k"), (1_000, 5_000, "$1k-<$5k"), (5_000, 20_000, "$5k-<$20k"),
    (20_000, 50_000, "$20k-<$50k"), (50_000, 200_000, "$50k-<$200k"), (200_000, None, "$200k+ (not covered)"),
)
"""Order size by notional value at receipt, in dollars: [low, high) and a label."""


def size_bucket(notional_units: Decimal) -> str:
    """The bucket of an order worth ``notional_units`` (quantity times the mid at receipt)."""
    dollars = Decimal(notional_units) / PRICE_SCALE
    for lo, hi, label in NOTIONAL_BUCKETS:
        if dollars >= lo and (hi is None or dollars < hi):
            return label
    raise ValueError(f"notional must be >= 0, got {notional_units!r}")


def order_type_605(order: tca.OrderInput, quote: tca.NbboQuote) -> OrderClass:
    """Market, marketable limit or non-marketable limit against the NBBO at receipt."""
    if order.order_type == "MARKET" or order.limit_price is None:
        return OrderClass.MARKET
    return (OrderClass.MARKETABLE_LIMIT if marketable(str(order.side), order.limit_price, quote.bid, quote.ask)
            else OrderClass.NON_MARKETABLE_LIMIT)


@dataclass(frozen=True, slots=True)
class Row605:
    """One symbol / order type / size bucket. Money per share is Decimal units, share-weighted over
    executed shares; None where no order of the row had the input (no fill, no later quote)."""

    symbol: str
    order_type: str
    size_bucket: str
    orders: int
    shares: int
    executed_shares: int
    effective_spread: Decimal | None
    quoted_spread: Decimal | None
    eq_ratio: float | None
    realized_spreads: tuple[tuple[str, Decimal | None], ...]
    price_improvement: Decimal | None
    avg_time_to_execution_ms: float | None


class _Acc:
    def __init__(self) -> None:
        self.orders = self.shares = self.executed = 0
        self.sums: dict[str, Decimal] = {}
        self.weights: dict[str, int] = {}

    def add(self, key: str, value: Decimal | int | None, weight: int) -> None:
        if value is None or weight == 0:
            return
        self.sums[key] = self.sums.get(key, Decimal(0)) + weight * Decimal(value)
        self.weights[key] = self.weights.get(key, 0) + weight

    def avg(self, key: str) -> Decimal | None:
        w = self.weights.get(key, 0)
        return None if w == 0 else self.sums[key] / w


def compute_605(days: Iterable[tuple[Iterable[tca.OrderInput], Mapping[str, tca.NbboTimeline]]],
                horizons: tuple[int, ...] = tca.HORIZONS_NS) -> tuple[list[Row605], int]:
    """605 rows from each day's orders and NBBO timelines, and how many orders had no quote at receipt."""
    accs: dict[tuple[str, str, str], _Acc] = {}
    excluded = 0
    for orders, nbbo in days:
        for order in orders:
            timeline = nbbo.get(order.symbol)
            # The benchmark is the last good (two-sided, uncrossed) quote, as in the TCA tables: orders
            # received while the market is crossed are reported (the SEC rescinded the crossed-market
            # exemption in April 2026); only an order with no good quote before it is left out (counted).
            quote = None if timeline is None else timeline.good_at(order.arrival_ns)
            if quote is None:
                excluded += 1
                continue
            result = tca.order_tca(order, timeline, horizons=horizons)
            key = (order.symbol, order_type_605(order, quote).value,
                   size_bucket(order.quantity * result.arrival_mid))
            acc = accs.setdefault(key, _Acc())
            q = result.filled_qty
            acc.orders += 1
            acc.shares += order.quantity
            acc.executed += q
            acc.add("effective", result.effective_spread, q)
            acc.add("quoted", quote.spread, q)
            acc.add("improvement", result.price_improvement, q)
            for h, value in result.realized_spreads:
                acc.add(f"realized_{h}", value, q)
            for f in order.fills:  # each execution's time from receipt, weighted by its shares
                acc.add("time", tca.time_to_first_fill(order.arrival_ns, (f,)), f.qty)
    rows = []
    for (symbol, kind, bucket), acc in sorted(accs.items()):
        eff, quoted, t = acc.avg("effective"), acc.avg("quoted"), acc.avg("time")
        rows.append(Row605(
            symbol, kind, bucket, acc.orders, acc.shares, acc.executed, eff, quoted,
            None if eff is None or not quoted else float(eff / quoted),
            tuple((tca.horizon_label(h), acc.avg(f"realized_{h}")) for h in horizons),
            acc.avg("improvement"), None if t is None else float(t / 1_000_000)))
    return rows, excluded
