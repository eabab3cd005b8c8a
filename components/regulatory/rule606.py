"""Rule 606(a)(1) quarterly routing figures for held, non-directed orders.

``compute_606`` turns the orders of a quarter into the published shape
(``Published606``: per month, per section S&P 500 / other NMS stocks, the
order-type percentages and per-venue rows) exactly: percentages are Decimal
rounded half-up to 0.01, net payments Decimal dollars to the cent, and the
per-100-share figure is net units per share (one unit is 1/100 cent, so units
per share are cents per hundred shares) rounded to 0.0001.

``summarize`` sums any ``Published606`` (ours, or one read from the SEC's
sample files) the same way, so the reader is tested on both.

What the twin cannot know and is therefore decided here, documented in
docs/regulatory_reporting.md:
* every order is non-directed (the event log has no directed-order flag), and
  every order that reached a venue is held (advisor orders and block-desk
  representative orders; there are no not-held instructions);
* marketability at receipt: from the NBBO at receipt when known (a run folder's
  ``market_nbbo.parquet``, set on ``OrderFacts.nbbo_at_receipt`` by the report
  builder); otherwise a proxy, since the event log itself holds no quotes: a
  limit order is marketable when its first execution took liquidity (TAKER)
  on a child of its first route.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from typing import Iterable, Mapping

from components.domain.money import PRICE_SCALE

from .orders import OrderFacts

CENT_Q = Decimal("0.01")
CPH_Q = Decimal("0.0001")
MARKETABILITY_PROXY = "first execution took liquidity on the first route (no NBBO at receipt in the run)"
MARKETABILITY_NBBO = "limit price at or through the NBBO at receipt"


class OrderClass(str, Enum):
    """The four 606(a)(1) order types."""

    MARKET = "market"
    MARKETABLE_LIMIT = "marketableLimit"
    NON_MARKETABLE_LIMIT = "nonMarketableLimit"
    OTHER = "other"


class Section(str, Enum):
    """The report's sections for NMS stocks (options are out of scope: the twin trades none)."""

    SP500 = "rSP500"
    OTHER_STOCKS = "rOtherStocks"


def parse_membership(text: str, source: str = "membership") -> frozenset[str]:
    """S&P 500 membership from a file's text: one symbol a line, ``#`` comments and blank lines
    ignored. A bad line raises ``ValueError`` naming the source and line."""
    members: set[str] = set()
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if not line.replace(".", "").isalnum() or not line.isupper() or len(line) > 10:
            raise ValueError(f"{source} line {lineno}: {line!r} is not a ticker symbol (upper case, up to 10)")
        members.add(line)
    return frozenset(members)


def marketable(side: str, limit_price: int, bid: int, ask: int) -> bool:
    """A limit order is marketable when it could execute on arrival: a buy at or above the offer,
    a sell at or below the bid (an empty side, 0, makes nothing marketable against it)."""
    if side == "BUY":
        return ask > 0 and limit_price >= ask
    return bid > 0 and limit_price <= bid


def classify(order: OrderFacts, nbbo: tuple[int, int] | None = None) -> OrderClass:
    """The order's 606 type. ``nbbo`` (bid, ask in units at receipt) defaults to the order's own
    ``nbbo_at_receipt``; without either, the proxy in the module docstring decides."""
    if order.order_type == "MARKET":
        return OrderClass.MARKET
    if order.order_type != "LIMIT" or order.limit_price is None:
        return OrderClass.OTHER
    nbbo = nbbo if nbbo is not None else order.nbbo_at_receipt
    if nbbo is not None:
        marketable_now = marketable(order.side, order.limit_price, *nbbo)
        return OrderClass.MARKETABLE_LIMIT if marketable_now else OrderClass.NON_MARKETABLE_LIMIT
    if order.fills and order.routes:
        first_children = {r.child_id for r in order.routes if r.event_id == order.routes[0].event_id}
        first = order.fills[0]
        if first.liquidity == "TAKER" and first.child_id in first_children:
            return OrderClass.MARKETABLE_LIMIT
    return OrderClass.NON_MARKETABLE_LIMIT


@dataclass(frozen=True, slots=True)
class PublishedVenue:
    """One rVenue row as published."""

    name: str
    mic: str
    order_pct: Decimal | None
    pct: Mapping[OrderClass, Decimal | None]
    net_usd: Mapping[OrderClass, Decimal | None]
    net_cph: Mapping[OrderClass, Decimal | None]
    material_aspects: str


@dataclass(frozen=True, slots=True)
class PublishedSection:
    """One month's section (rSP500 / rOtherStocks / rOptions) as published."""

    year: int
    month: int
    section: str
    ndo_pct: Decimal | None
    class_pct: Mapping[OrderClass, Decimal | None]
    venues: tuple[PublishedVenue, ...]


@dataclass(frozen=True, slots=True)
class Published606:
    """A whole 606(a)(1) report: header and the sections of up to three months."""

    bd: str
    year: int
    quarter: int
    months: tuple[int, ...]
    sections: tuple[PublishedSection, ...]


@dataclass(frozen=True, slots=True)
class VenueInfo:
    """How a venue is named in the report, and the material-aspects text for it."""

    name: str
    mic: str
    material_aspects: str


def pct(part: int, whole: int) -> Decimal | None:
    """``part / whole`` in percent, half-up to 0.01; None (not meaningful) when ``whole`` is 0."""
    if whole == 0:
        return None
    return (Decimal(100 * part) / Decimal(whole)).quantize(CENT_Q, rounding=ROUND_HALF_UP)


def month_of(ns: int) -> tuple[int, int]:
    """(year, month) of a UTC nanosecond time: a U.S. session never crosses a UTC month end."""
    d = datetime.fromtimestamp(ns // 1_000_000_000, tz=timezone.utc)
    return d.year, d.month


def quarter_months(year: int, quarter: int) -> tuple[int, ...]:
    if not 1 <= quarter <= 4:
        raise ValueError(f"quarter must be 1..4, got {quarter}")
    return tuple(range(3 * quarter - 2, 3 * quarter + 1))


def reportable(order: OrderFacts, year: int, quarter: int) -> bool:
    """Held, non-directed, received in the quarter and routed at least once (a never-routed or
    canceled-before-route order is not in a routing report). A block is the firm's representative
    order, not a customer's: its customer orders are counted instead, routed where the block went."""
    y, m = month_of(order.received_ns)
    return y == year and m in quarter_months(year, quarter) and order.routed and not order.is_block


def compute_606(days: Iterable[Iterable[OrderFacts]], *, bd: str, year: int, quarter: int,
                sp500: frozenset[str], venues: Mapping[str, VenueInfo]) -> Published606:
    """The quarter's 606(a)(1) report from its orders, grouped by run (one session day each: order
    ids restart every run, so a block is looked up within its own day). ``venues`` maps the twin's
    venue names to the published name, MIC and material-aspects text; an unknown venue raises
    ``ValueError``. Marketability uses each order's ``nbbo_at_receipt`` when set (see ``classify``)."""
    months = quarter_months(year, quarter)
    # (month, section) -> (order, its block or None)
    buckets: dict[tuple[int, Section], list[tuple[OrderFacts, OrderFacts | None]]] = {}
    for day in days:
        day = list(day)
        blocks = {o.order_id: o for o in day if o.is_block}
        for o in day:
            if not reportable(o, year, quarter):
                continue
            section = Section.SP500 if o.symbol in sp500 else Section.OTHER_STOCKS
            buckets.setdefault((month_of(o.received_ns)[1], section), []).append((o, blocks.get(o.block_id)))
    sections = []
    for month in months:
        for section in Section:
            group = buckets.get((month, section))
            if group:
                sections.append(_section(year, month, section, group, venues))
    return Published606(bd, year, quarter, months, tuple(sections))


def _section(year: int, month: int, section: Section, group: list[tuple[OrderFacts, OrderFacts | None]],
             venues: Mapping[str, VenueInfo]) -> PublishedSection:
    # A customer order in a block is as marketable as the block that executed it.
    classes = [classify(block or o) for o, block in group]
    n = len(group)
    per_class = {c: classes.count(c) for c in OrderClass}
    venue_orders: dict[str, dict[OrderClass, int]] = {}
    venue_shares: dict[str, dict[OrderClass, int]] = {}
    venue_net: dict[str, dict[OrderClass, int]] = {}  # units received (rebates, PFOF) minus fees paid
    paid_blocks: set[int] = set()
    for (o, block), c in zip(group, classes):
        routes = o.routes if block is None else [*o.routes, *block.routes]
        for v in dict.fromkeys(r.venue for r in routes):  # an order counts once per venue it reached
            venue_orders.setdefault(v, dict.fromkeys(OrderClass, 0))[c] += 1
        fills = o.venue_fills
        if block is not None and id(block) not in paid_blocks:  # a block's fees count once
            paid_blocks.add(id(block))
            fills = [*fills, *block.venue_fills]
        for f in fills:
            venue_shares.setdefault(f.venue, dict.fromkeys(OrderClass, 0))[c] += f.quantity
            venue_net.setdefault(f.venue, dict.fromkeys(OrderClass, 0))[c] -= f.fee
    rows = []
    for v in sorted(venue_orders, key=lambda name: (-sum(venue_orders[name].values()), name)):
        info = venues.get(v)
        if info is None:
            raise ValueError(f"venue {v!r}: no name/MIC entry in the venue file")
        counts = venue_orders[v]
        shares = venue_shares.get(v, dict.fromkeys(OrderClass, 0))
        net = venue_net.get(v, dict.fromkeys(OrderClass, 0))
        rows.append(PublishedVenue(
            info.name, info.mic, pct(sum(counts.values()), n),
            {c: pct(counts[c], per_class[c]) for c in OrderClass},
            {c: (Decimal(net[c]) / PRICE_SCALE).quantize(CENT_Q, rounding=ROUND_HALF_UP) for c in OrderClass},
            {c: None if shares[c] == 0 else (Decimal(net[c]) / shares[c]).quantize(CPH_Q, rounding=ROUND_HALF_UP)
             for c in OrderClass},
            info.material_aspects))
    # Every order in the twin is non-directed: ndoPct is 100.00 of the section's routed orders.
    return PublishedSection(year, month, section.value, pct(n, n),
                            {c: pct(per_class[c], n) for c in OrderClass}, tuple(rows))


@dataclass(frozen=True, slots=True)
class SectionTotals:
    """What ``summarize`` adds up for one section: the sums a reader checks."""

    month: int
    section: str
    venues: int
    class_pct_sum: Decimal
    order_pct_sum: Decimal
    net_usd: Mapping[OrderClass, Decimal]


def summarize(report: Published606) -> tuple[SectionTotals, ...]:
    """Per month and section: number of venues, the sum of the four order-type percentages
    (100.00 up to rounding), the sum of venues' orderPct (100 or more when orders went to
    several venues), and the net payment per order type summed over venues ("" counts 0)."""
    out = []
    for s in report.sections:
        out.append(SectionTotals(
            s.month, s.section, len(s.venues),
            sum((p or Decimal(0) for p in s.class_pct.values()), Decimal(0)),
            sum((v.order_pct or Decimal(0) for v in s.venues), Decimal(0)),
            {c: sum((v.net_usd[c] or Decimal(0) for v in s.venues), Decimal(0)) for c in OrderClass}))
    return tuple(out)
