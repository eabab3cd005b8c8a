"""components.tca: every formula against a hand-computed example (buy and sell, partial fill,
unfilled remainder), the bad-input messages, and properties (shortfall parts add up)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components import tca
from components.tca import Fill, NbboQuote, NbboTimeline, OrderInput, PrintTape

D = Decimal

# The market of the worked examples (docs/tca.md uses the same numbers). Prices in units (1/10,000 $).
#   t=0     99.9900 x 100.0100   mid 100.0000   (the decision, t=500, reads this one)
#   t=1000  100.0000 (300) x 100.0200 (100)   mid 100.0100 spread 0.0200  (arrival)
#   t=2500  100.0200 x 100.0400  mid 100.0300
#   t=5000  100.0400 x 100.0600  mid 100.0500  (in force at the close, end_ns=10,000)
NBBO = NbboTimeline(
    t_ns=[0, 1_000, 2_500, 5_000],
    bid=[999_900, 1_000_000, 1_000_200, 1_000_400], bid_size=[100, 300, 100, 100],
    ask=[1_000_100, 1_000_200, 1_000_400, 1_000_600], ask_size=[200, 100, 100, 100],
    end_ns=10_000,
)
PRINTS = PrintTape(t_ns=[500, 1_500, 2_000, 20_000], price=[1, 1_000_100, 1_000_200, 9], qty=[7, 100, 300, 100])

BUY_PARTIAL = OrderInput(
    order_id="B1", symbol="XYZ", side="BUY", quantity=300, order_type="MARKET", arrival_ns=1_000, decision_ns=500, done_ns=6_000,
    fills=(Fill(3_000, 100, 1_000_300, fee=30), Fill(2_000, 100, 1_000_200, fee=30)),  # out of order on purpose
)
SELL_FULL = OrderInput(
    order_id="S1", symbol="XYZ", side="SELL", quantity=200, arrival_ns=1_000, decision_ns=500,
    fills=(Fill(2_000, 150, 999_900, fee=-20, liquidity="MAKER"), Fill(2_500, 50, 1_000_000, fee=15)),
)
H = (1_000, 10_000)  # short horizons for the example: 1 us and 10 us after each fill


def test_mid_is_exact_and_undefined_for_crossed_or_empty_sides():
    assert tca.mid(100, 101) == D("100.5")
    assert tca.mid(100, 100) == D(100)  # locked: the mid is the price
    assert tca.mid(101, 100) is None and tca.mid(0, 100) is None and tca.mid(100, 0) is None


def test_timeline_reads_the_quote_in_force_and_the_final_quote_past_the_close():
    assert NBBO.at(-1) is None
    assert NBBO.at(999).bid == 999_900 and NBBO.at(1_000).bid == 1_000_000  # an update applies from its time
    assert NBBO.mid_at(2_499) == D(1_000_100) and NBBO.mid_at(2_500) == D(1_000_300)
    assert NBBO.mid_at(10**12) == D(1_000_500)  # past end_ns: the session's final quote


def test_print_vwap_over_a_closed_window():
    # [1000, 6000]: 100 @ 1,000,100 and 300 @ 1,000,200 -> 400,070,000 / 400
    assert PRINTS.vwap(1_000, 6_000) == D(1_000_175)
    assert PRINTS.vwap(2_000, 2_000) == D(1_000_200)  # both ends included
    assert PRINTS.vwap(3_000, 4_000) is None


@given(st.lists(st.tuples(st.integers(0, 50), st.integers(1, 10**7), st.integers(1, 10**4)), min_size=1, max_size=40),
       st.integers(-5, 55), st.integers(-5, 55), st.booleans())
def test_print_vwap_from_running_sums_is_the_exact_window_sum(rows, start, end, huge):
    # the running sums (int64) and the Python-int sum agree exactly; prices too large for int64 sums
    # take the Python-int path and still give the exact quotient
    rows = sorted(rows)
    scale = 10**9 if huge else 1  # up to 1e16 units a share: a window of such prints overflows int64 sums
    tape = PrintTape([t for t, _, _ in rows], [p * scale for _, p, _ in rows], [q for _, _, q in rows])
    window = [(p * scale, q) for t, p, q in rows if start <= t <= end]
    expected = D(sum(p * q for p, q in window)) / sum(q for _, q in window) if window else None
    assert tape.vwap(start, end) == expected


def test_buy_partial_fill_every_metric_by_hand():
    r = tca.order_tca(BUY_PARTIAL, NBBO, PRINTS, horizons=H)
    assert r.filled_qty == 200 and r.avg_price == D(1_000_250) and r.fees == 60
    assert r.arrival_mid == D(1_000_100) and r.decision_price == D(1_000_000) and r.end_price == D(1_000_500)
    assert r.arrival_slippage == D(150)  # 1,000,250 - 1,000,100
    assert r.market_vwap == D(1_000_175) and r.vwap_slippage == D(75)
    assert r.effective_spread == D(300) and r.eq_ratio == pytest.approx(1.5)  # 2 x 150 over a 200 spread
    # vs the arrival ask 1,000,200: 0 on the first fill, -100 on the second -> -50 a share
    assert r.price_improvement == D(-50) and r.size_improvement == 0
    # horizon 1,000: fills at 2,000 and 3,000 read the mid at 3,000 and 4,000 (1,000,300 both):
    # 2(1,000,200 - 1,000,300) = -200 and 2(1,000,300 - 1,000,300) = 0 -> -100
    # horizon 10,000: both past the close, read 1,000,500: -600 and -400 -> -500
    assert r.realized_spreads == ((1_000, D(-100)), (10_000, D(-500)))
    sf = r.shortfall
    assert (sf.delay, sf.execution, sf.opportunity, sf.fees) == (D(20_000), D(30_000), D(50_000), D(60))
    assert sf.total == D(100_060) and sf.paper_notional == D(300_000_000)
    assert sf.bps() == pytest.approx(100_060 / 300_000_000 * 1e4)
    assert r.fill_rate == pytest.approx(2 / 3)
    assert r.time_to_first_fill_ns == 1_000 and r.time_to_complete_ns is None
    record = r.to_record()
    assert record["arrival_slippage_bps"] == pytest.approx(150 / 1_000_100 * 1e4)
    assert record["realized_spread_1000ns"] == D(-100) and record["done_ns"] == 6_000
    assert record["price_improvement_total"] == D(-10_000)


def test_sell_full_fill_every_metric_by_hand():
    r = tca.order_tca(SELL_FULL, NBBO, PRINTS, horizons=H)
    assert r.avg_price == D(999_925)  # (150 x 999,900 + 50 x 1,000,000) / 200
    assert r.arrival_slippage == D(175)  # -(999,925 - 1,000,100): received less than the mid, a cost
    assert r.effective_spread == D(350)
    assert r.price_improvement == D(-75)  # vs bid 1,000,000: -100 on 150 shares, 0 on 50
    # horizon 1,000: mids at 3,000 and 3,500 are 1,000,300: -2(999,900 - 1,000,300) = 800, 600 -> 750
    assert r.realized_spreads[0] == (1_000, D(750))
    sf = r.shortfall
    # delay: the price rose 100 before a sell arrived: a gain of 100 x 200
    assert (sf.delay, sf.execution, sf.opportunity, sf.fees) == (D(-20_000), D(35_000), D(0), D(-5))
    assert sf.total == D(14_995)
    assert r.fill_rate == 1.0 and r.time_to_first_fill_ns == 1_000 and r.time_to_complete_ns == 1_500
    assert r.market_vwap == D(1_000_175) and r.vwap_slippage == D(250)  # window [1000, 2500]: -(999,925 - 1,000,175)


def test_unfilled_order_is_all_opportunity_cost():
    order = OrderInput("U1", "XYZ", "BUY", 100, arrival_ns=1_000, decision_ns=500, done_ns=9_000)
    r = tca.order_tca(order, NBBO, PRINTS, horizons=H)
    assert r.avg_price is None and r.arrival_slippage is None and r.effective_spread is None
    assert r.price_improvement is None and r.realized_spreads == ((1_000, None), (10_000, None))
    assert r.shortfall.opportunity == D(50_000) and r.shortfall.total == D(50_000)  # (1,000,500 - 1,000,000) x 100
    assert r.fill_rate == 0.0 and r.time_to_first_fill_ns is None
    # a given end price replaces the close
    assert tca.order_tca(order, NBBO, end_price=1_000_000, horizons=H).shortfall.total == 0


def test_size_improvement_counts_shares_beyond_the_displayed_size():
    quote = NbboQuote(0, 1_000_000, 300, 1_000_200, 100)
    fills = [Fill(1, 250, 1_000_200), Fill(2, 50, 1_000_100), Fill(3, 10, 1_000_300)]
    assert tca.size_improvement("BUY", fills, quote) == 200  # 300 at or better than the ask, 100 shown
    assert tca.size_improvement("SELL", [Fill(1, 400, 1_000_000)], quote) == 100
    assert tca.size_improvement("BUY", fills, None) == 0


def test_price_improvement_sign_positive_is_better():
    assert tca.price_improvement("BUY", 1_000_150, 1_000_000, 1_000_200) == 50
    assert tca.price_improvement("SELL", 1_000_050, 1_000_000, 1_000_200) == 50
    assert tca.price_improvement("SELL", 1_000_050, 0, 1_000_200) is None


def test_horizon_labels():
    assert [tca.horizon_label(h) for h in tca.HORIZONS_NS] == ["50ms", "1s", "5s", "30s", "1min", "5min"]


@pytest.mark.parametrize("call, message", [
    (lambda: tca.side_sign("HOLD"), "side must be BUY or SELL"),
    (lambda: Fill(0, 0, 100), "fill qty must be >= 1"),
    (lambda: Fill(0, 1, 100.5), "fill price must be an int"),
    (lambda: OrderInput("X", "S", "BUY", 10, 0, fills=(Fill(0, 11, 1),)), "order X: fills total 11 shares"),
    (lambda: NbboTimeline([0, 5, 3], [1, 1, 1], [1, 1, 1], [2, 2, 2], [1, 1, 1]), "row 2 is earlier"),
    (lambda: NbboTimeline([0, 1], [1], [1, 1], [2, 2], [1, 1]), "column bid has 1 rows"),
    (lambda: NbboTimeline([0], [-1], [1], [2], [1]), "column bid has a negative value at row 0"),
    (lambda: PrintTape([0, 1], [1, 1], [1, 0]), "print qty must be positive (row 1)"),
    (lambda: tca.implementation_shortfall("BUY", 1, [], 1, 1, 1).bps("slippage"), "part must be delay"),
    (lambda: tca.implementation_shortfall("BUY", 1, [Fill(0, 2, 1)], 1, 1, 1), "more than the order's quantity 1"),
])
def test_bad_input_gets_a_one_line_message(call, message):
    with pytest.raises(ValueError, match=None) as info:
        call()
    assert message in str(info.value) and "\n" not in str(info.value)


prices = st.integers(min_value=1, max_value=10_000_000)
fills_st = st.lists(st.builds(Fill, t_ns=st.integers(0, 10**9), qty=st.integers(1, 10_000), price=prices,
                              fee=st.integers(-1_000, 1_000)), max_size=8)


@given(side=st.sampled_from(["BUY", "SELL"]), fills=fills_st, extra=st.integers(0, 10_000),
       p_d=prices, p_a=prices, p_end=prices)
def test_shortfall_parts_sum_to_the_paper_portfolio_difference(side, fills, extra, p_d, p_a, p_end):
    quantity = tca.filled_quantity(fills) + extra
    if quantity == 0:
        quantity = 1
    sf = tca.implementation_shortfall(side, quantity, fills, p_d, p_a, p_end)
    s = tca.side_sign(side)
    q_f = tca.filled_quantity(fills)
    paper = s * (sum(f.qty * f.price for f in fills) - q_f * p_d) + s * (p_end - p_d) * (quantity - q_f)
    assert sf.total == sf.delay + sf.execution + sf.opportunity + sf.fees
    assert sf.total == paper + sum(f.fee for f in fills)


@given(price=prices, bid=prices, width=st.integers(0, 10_000))
def test_buy_and_sell_mirror(price, bid, width):
    ask = bid + width
    m = tca.mid(bid, ask)
    mirrored = 2 * m - price  # the sell at the mirror image of a buy's price costs the same
    assert tca.effective_spread("BUY", price, m) == tca.effective_spread("SELL", mirrored, m)
    assert tca.price_improvement("BUY", price, bid, ask) == tca.price_improvement("SELL", bid + ask - price, bid, ask)


@given(fills=st.lists(st.builds(Fill, t_ns=st.integers(0, 10**6), qty=st.integers(1, 1_000), price=prices),
                      min_size=1, max_size=6), bid=prices, width=st.integers(0, 1_000),
       side=st.sampled_from(["BUY", "SELL"]))
def test_effective_spread_is_twice_arrival_slippage(fills, bid, width, side):
    m = tca.mid(bid, bid + width)
    assert tca.effective_spread(side, tca.average_price(fills), m) == 2 * tca.arrival_slippage(side, fills, m)


def test_order_class_against_the_nbbo_at_receipt():
    quote = NbboQuote(0, 1_000_000, 300, 1_000_200, 100)
    C = tca.OrderClass
    assert tca.order_class("MARKET", "BUY", None, quote) is C.MARKET
    assert tca.order_class("LIMIT", "BUY", 1_000_200, quote) is C.MARKETABLE_LIMIT  # at the ask
    assert tca.order_class("LIMIT", "BUY", 1_000_100, quote) is C.NON_MARKETABLE_LIMIT
    assert tca.order_class("LIMIT", "SELL", 1_000_000, quote) is C.MARKETABLE_LIMIT  # at the bid
    assert tca.order_class("LIMIT", "SELL", 1_000_100, quote) is C.NON_MARKETABLE_LIMIT
    assert tca.order_class("LIMIT", "BUY", 2_000_000, NbboQuote(0, 1, 1, 0, 0)) is C.NON_MARKETABLE_LIMIT  # no ask
    assert tca.order_class("LIMIT", "BUY", 1, None) is C.NON_MARKETABLE_LIMIT
    with pytest.raises(ValueError, match="needs a limit_price"):
        tca.order_class("LIMIT", "BUY", None, quote)
    with pytest.raises(ValueError, match="MARKET or LIMIT"):
        tca.order_class("STOP", "BUY", 1, quote)
    assert tca.order_tca(BUY_PARTIAL, NBBO).to_record()["order_class"] == "MARKET"


def test_a_crossed_or_one_sided_market_keeps_the_last_good_quote_as_benchmark():
    timeline = NbboTimeline(t_ns=[0, 10, 20, 30], bid=[100, 105, 0, 102], bid_size=[1, 1, 0, 1],
                            ask=[104, 103, 103, 102], ask_size=[1, 1, 1, 1])
    assert timeline.at(15).bid == 105 and timeline.good_at(15).t_ns == 0  # crossed at 10
    assert timeline.mid_at(25) == D(102)  # one-sided at 20: still the quote of t=0
    assert timeline.mid_at(30) == D(102) and timeline.good_at(30).t_ns == 30  # locked is good
    order = OrderInput("X", "XYZ", "BUY", 10, arrival_ns=15, fills=(Fill(16, 10, 104),), order_type="MARKET")
    r = tca.order_tca(order, timeline, horizons=())
    assert r.arrival_crossed and r.arrival_mid == D(102) and r.effective_spread == D(4)
    assert r.to_record()["arrival_quote_ns"] == 0
    assert NbboTimeline([5], [0], [0], [0], [0]).mid_at(9) is None  # never a good quote
