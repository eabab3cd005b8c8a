"""Rule 605 figures equal the TCA module's on a hand-computed example."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from components import tca
from components.regulatory.rule605 import compute_605, size_bucket

MS = 1_000_000
T0 = 1_795_000_000_000_000_000
# NBBO 100.00 / 100.10 (mid 100.05) from T0; at T0 + 1 s it moves to 100.04 / 100.14 (mid 100.09).
NBBO = tca.NbboTimeline([T0, T0 + 1_000 * MS], [1_000_000, 1_000_400], [500, 500], [1_001_000, 1_001_400],
                        [500, 500], T0 + 3_600_000 * MS)


def orders():
    a = tca.OrderInput("A", "AAPL", "BUY", 10, T0, (tca.Fill(T0 + 2 * MS, 10, 1_000_800),), "MARKET")
    b = tca.OrderInput("B", "AAPL", "BUY", 30, T0, (tca.Fill(T0 + 4 * MS, 30, 1_001_000),), "MARKET")
    c = tca.OrderInput("C", "AAPL", "SELL", 5, T0, (), "LIMIT", limit_price=1_002_000)  # rests, never fills
    lost = tca.OrderInput("D", "MSFT", "BUY", 5, T0, (tca.Fill(T0, 5, 1),), "MARKET")  # no MSFT quote
    return [a, b, c, lost]


@pytest.fixture(scope="module")
def result():
    return compute_605([(orders(), {"AAPL": NBBO})], horizons=(5 * MS, 60_000 * MS))


def test_rows_by_type_and_size_and_the_unquoted_order_excluded(result):
    rows, excluded = result
    assert excluded == 1
    assert [(r.order_type, r.size_bucket, r.orders, r.shares, r.executed_shares) for r in rows] == [
        ("market", "$1k-<$5k", 2, 40, 40),  # $1,000.50 and $3,001.50 at the mid
        ("nonMarketableLimit", "$250-<$1k", 1, 5, 0),
    ]


def test_market_row_equals_tca_share_weighted(result):
    rows, _ = result
    market = rows[0]
    a, b = (tca.order_tca(o, NBBO, horizons=(5 * MS, 60_000 * MS)) for o in orders()[:2])
    # By hand: A effective 2*(100.08-100.05) = 0.06 (600 units), B 2*(100.10-100.05) = 0.10 (1000 units).
    assert (a.effective_spread, b.effective_spread) == (D(600), D(1000))
    assert market.effective_spread == (10 * a.effective_spread + 30 * b.effective_spread) / 40 == D(900)
    # Price improvement: A 100.10-100.08 = 0.02 (200 units), B at the offer: 0. Weighted: 50 units.
    assert market.price_improvement == (10 * a.price_improvement + 30 * b.price_improvement) / 40 == D(50)
    # Realized at 5 ms: mid still 100.05, same as effective. At 60 s: mid 100.09.
    assert dict(market.realized_spreads)["5ms"] == D(900)
    expected_60s = (10 * dict(a.realized_spreads)[60_000 * MS] + 30 * dict(b.realized_spreads)[60_000 * MS]) / 40
    assert dict(market.realized_spreads)["1min"] == expected_60s == D(100)  # (10*-200 + 30*200)/40
    assert market.quoted_spread == D(1000) and market.eq_ratio == pytest.approx(0.9)
    assert market.avg_time_to_execution_ms == pytest.approx((10 * 2 + 30 * 4) / 40)


def test_unfilled_row_has_no_execution_figures(result):
    rows, _ = result
    resting = rows[1]
    assert (resting.effective_spread, resting.price_improvement, resting.avg_time_to_execution_ms) == (None,) * 3


def test_size_buckets_edges():
    assert size_bucket(D(249_9999)) == "<$250" and size_bucket(D(250 * 10_000)) == "$250-<$1k"
    assert size_bucket(D(200_000 * 10_000)) == "$200k+ (not covered)"
    with pytest.raises(ValueError, match="notional must be >= 0"):
        size_bucket(D(-1))


def test_an_order_received_in_a_crossed_market_is_reported_against_the_last_good_quote():
    # 100.00 / 100.10 from T0, crossed (100.20 / 100.10) from T0 + 1 s: an order at T0 + 2 s is reported
    # (the crossed-market exemption is gone) and measured against 100.00 / 100.10, as the TCA tables do.
    crossed = tca.NbboTimeline([T0, T0 + 1_000 * MS], [1_000_000, 1_002_000], [500, 500], [1_001_000, 1_001_000],
                               [500, 500], T0 + 3_600_000 * MS)
    order = tca.OrderInput("X", "AAPL", "BUY", 10, T0 + 2_000 * MS, (tca.Fill(T0 + 2_002 * MS, 10, 1_000_800),),
                           "MARKET")
    rows, excluded = compute_605([([order], {"AAPL": crossed})], horizons=(5 * MS,))
    assert excluded == 0 and [(r.orders, r.executed_shares) for r in rows] == [(1, 10)]
    expected = tca.order_tca(order, crossed, horizons=(5 * MS,))
    assert rows[0].effective_spread == expected.effective_spread == D(600)  # 2 * (100.08 - 100.05)
    assert rows[0].quoted_spread == D(1000)
