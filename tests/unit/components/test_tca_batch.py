"""components.tca.orders_tca (every order of a symbol against its timeline at once) gives exactly what the
one-order-at-a-time ``order_tca`` gave before it (kept below as the reference): the same records, key for
key, value for value (Decimal text included), on hypothesis-made timelines, tapes and orders."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from components import tca
from components.tca import (Fill, NbboTimeline, OrderInput, OrderTca, PrintTape, average_price, effective_spread,
                            filled_quantity, fill_rate, implementation_shortfall, price_improvement,
                            realized_spread, size_improvement, time_to_complete, time_to_first_fill, total_fees)


def _reference_realized(side, fills, nbbo, horizon_ns):
    total, qty = Decimal(0), 0
    for f in fills:
        value = realized_spread(side, f.price, nbbo.mid_at(f.t_ns + horizon_ns))
        if value is None:
            return None
        total += f.qty * value
        qty += f.qty
    return None if qty == 0 else total / qty


def reference_order_tca(order, nbbo, prints=None, *, end_price=None, horizons=tca.HORIZONS_NS) -> OrderTca:
    """``order_tca`` as it was before ``orders_tca`` (one timeline search per lookup, per order)."""
    fills = tuple(sorted(order.fills, key=lambda f: f.t_ns))
    side = order.side
    arrival = nbbo.good_at(order.arrival_ns)
    raw = nbbo.at(order.arrival_ns)
    a_mid = None if arrival is None else arrival.mid
    d_mid = a_mid if order.decision_ns is None else nbbo.mid_at(order.decision_ns)
    if end_price is None and nbbo.end_ns is not None:
        end_price = nbbo.mid_at(nbbo.end_ns)
    p_end = None if end_price is None else Decimal(end_price)
    avg = average_price(fills)
    q_f = filled_quantity(fills)
    vwap = None if prints is None else prints.vwap(*order.window)
    improvement = None
    if arrival is not None and fills:
        per_fill = [price_improvement(side, f.price, arrival.bid, arrival.ask) for f in fills]
        if all(v is not None for v in per_fill):
            improvement = Decimal(sum(f.qty * v for f, v in zip(fills, per_fill))) / q_f
    shortfall = None
    if d_mid is not None and a_mid is not None and (p_end is not None or q_f == order.quantity):
        shortfall = implementation_shortfall(side, order.quantity, fills, d_mid, a_mid,
                                             p_end if p_end is not None else d_mid)
    return OrderTca(
        order=order, filled_qty=q_f, avg_price=avg, fees=total_fees(fills), arrival=arrival, arrival_mid=a_mid,
        arrival_crossed=raw is not None and raw.bid > 0 and raw.ask > 0 and raw.bid > raw.ask,
        decision_price=d_mid, end_price=p_end,
        arrival_slippage=tca.arrival_slippage(side, fills, a_mid),
        market_vwap=vwap, vwap_slippage=tca.vwap_slippage(side, fills, vwap),
        effective_spread=None if avg is None else effective_spread(side, avg, a_mid),
        realized_spreads=tuple((h, _reference_realized(side, fills, nbbo, h)) for h in horizons),
        price_improvement=improvement, size_improvement=size_improvement(side, fills, arrival),
        shortfall=shortfall, fill_rate=fill_rate(order.quantity, q_f),
        time_to_first_fill_ns=time_to_first_fill(order.arrival_ns, fills),
        time_to_complete_ns=time_to_complete(order.arrival_ns, fills, order.quantity),
        horizons=tuple(horizons),
    )


def _exact(record: dict) -> list:
    """A record as (key, type, text) triples: equal only if the keys, their order and each value's exact
    form (a Decimal's digits and exponent, a float's repr) are."""
    return [(k, type(v).__name__, repr(v)) for k, v in record.items()]


PRICE = st.sampled_from([0, 999_900, 1_000_000, 1_000_050, 1_000_100, 1_000_200, 1_000_300])
ROW = st.tuples(st.integers(0, 40), PRICE, st.integers(0, 500), PRICE, st.integers(0, 500))


@st.composite
def timelines(draw):
    rows = sorted(draw(st.lists(ROW, max_size=25)), key=lambda r: r[0])
    end = draw(st.one_of(st.none(), st.integers(0, 60)))
    return NbboTimeline([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows],
                        [r[4] for r in rows], end if rows else None)


@st.composite
def orders(draw, k):
    quantity = draw(st.integers(1, 400))
    fills, left = [], quantity
    for _ in range(draw(st.integers(0, 4))):
        if left == 0:
            break
        qty = draw(st.integers(1, left))
        left -= qty
        fills.append(Fill(draw(st.integers(-5, 60)), qty, draw(st.integers(999_000, 1_001_000)),
                          draw(st.integers(-50, 50)), draw(st.sampled_from(["XNAS", "ARCX"])),
                          draw(st.sampled_from(["MAKER", "TAKER"]))))
    order_type = draw(st.sampled_from(["MARKET", "LIMIT", "STOP"]))
    limit = draw(st.one_of(st.none(), PRICE.filter(bool))) if order_type != "MARKET" else None
    return OrderInput(
        order_id=f"O{k}", symbol="XYZ", side=draw(st.sampled_from(["BUY", "SELL", "SELL_SHORT"])), quantity=quantity,
        arrival_ns=draw(st.integers(-5, 60)), fills=tuple(fills), order_type=order_type, limit_price=limit,
        decision_ns=draw(st.one_of(st.none(), st.integers(-5, 60))),
        done_ns=draw(st.one_of(st.none(), st.integers(-5, 70))))


@st.composite
def tapes(draw):
    rows = sorted(draw(st.lists(st.tuples(st.integers(0, 60), st.integers(1, 2_000_000), st.integers(1, 900)),
                                max_size=12)))
    if draw(st.booleans()):
        return None
    return PrintTape([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])


@settings(max_examples=300, deadline=None)
@given(timelines(), tapes(), st.data(), st.one_of(st.none(), st.integers(999_000, 1_001_000)),
       st.lists(st.integers(0, 30), max_size=3, unique=True))
def test_batch_gives_the_records_of_one_order_at_a_time(nbbo, prints, data, end_price, horizons):
    batch = [data.draw(orders(k)) for k in range(data.draw(st.integers(0, 6)))]
    horizons = tuple(horizons) if data.draw(st.booleans()) else tca.HORIZONS_NS
    got = tca.orders_tca(batch, nbbo, prints, end_price=end_price, horizons=horizons)
    want = [reference_order_tca(o, nbbo, prints, end_price=end_price, horizons=horizons) for o in batch]
    assert [_exact(r.to_record()) for r in got] == [_exact(r.to_record()) for r in want]
    assert [_exact(tca.order_tca(o, nbbo, prints, end_price=end_price, horizons=horizons).to_record())
            for o in batch] == [_exact(r.to_record()) for r in want]


def test_batch_of_a_day_against_a_long_timeline_matches_the_reference():
    # the bench's shape: one-cent spread moving a cent at a time, a market order every 100th quote
    n = 5_000
    t = list(range(0, n * 10, 10))
    bid = [1_900_000 + 100 * ((i * 7919) % 13 - 6) for i in range(n)]
    nbbo = NbboTimeline(t, bid, [300] * n, [b + 100 for b in bid], [200] * n, end_ns=n * 10 + 5)
    batch = [OrderInput(order_id=f"O{k}", symbol="XYZ", side="BUY" if k % 2 else "SELL", quantity=100,
                        arrival_ns=k * 1_000 + 3, fills=(Fill(k * 1_000 + 4, 100, bid[k * 100] + 100 * (k % 2)),),
                        order_type="MARKET", decision_ns=k * 1_000) for k in range(n // 100)]
    got = tca.orders_tca(batch, nbbo, None, horizons=(50, 1_000, 30_000))
    want = [reference_order_tca(o, nbbo, None, horizons=(50, 1_000, 30_000)) for o in batch]
    assert [_exact(r.to_record()) for r in got] == [_exact(r.to_record()) for r in want]
    assert any(r.realized_spreads[-1][1] for r in got)  # the horizons land on moved quotes


def test_vwaps_of_many_windows_equal_one_window_at_a_time():
    tape = PrintTape([0, 5, 5, 9, 20], [1_000_000, 1_000_100, 999_900, 1_000_000, 1_000_300], [100, 200, 50, 10, 7])
    windows = [(0, 4), (5, 5), (0, 20), (6, 8), (9, 30), (21, 40)]
    assert tape.vwaps([s for s, _ in windows], [e for _, e in windows]) == [tape.vwap(s, e) for s, e in windows]
    big = PrintTape([0, 1], [10**16, 10**16 + 1], [10**3, 10**3])  # sums past int64: the Python-int path
    assert big.vwaps([0, 1], [1, 1]) == [big.vwap(0, 1), big.vwap(1, 1)]
