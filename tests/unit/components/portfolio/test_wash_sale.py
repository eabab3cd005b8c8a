"""The wash-sale rule, from worked examples in the style of IRS Publication 550: purchases before and
after the sale, a partial wash, replacement in another account and in an IRA (permanently disallowed),
the 30-day boundaries, basis and holding-period adjustments; plus properties over random histories."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.domain.money import PRICE_SCALE as D
from components.portfolio.households import AccountKind
from components.portfolio.lots import Lot, Term, sell, term_of
from components.portfolio.tax_loss import Acquisition, apply_wash_sale, identical, wash_sale

TX, IRA, ROTH = AccountKind.TAXABLE, AccountKind.IRA, AccountKind.ROTH


def loss_sale(qty=100, basis=1_000, proceeds=750, bought=date(2025, 1, 6), sold=date(2026, 3, 2), symbol="X"):
    """Sell a whole lot of ``qty`` shares bought for ``basis`` dollars, for ``proceeds`` dollars."""
    lots = (Lot("OLD", "TX1", symbol, qty, basis * D, bought),)
    return sell(lots, "TX1", symbol, qty, ("OLD",), proceeds * D // qty, sold).realised


def buy(lot_id, qty, day, account="TX1", kind=TX, symbol="X"):
    return Acquisition(lot_id, account, kind, symbol, qty, day)


def test_pub_550_basic_example_loss_disallowed_and_added_to_the_new_basis():
    # Buy 100 shares for $1,000, sell them for $750, buy 100 again within 30 days for $800:
    # the $250 loss is disallowed and the new shares' basis is $800 + $250 = $1,050.
    realised = loss_sale()
    new = Lot("NEW", "TX1", "X", 100, 800 * D, date(2026, 3, 20))
    wash = wash_sale(realised, [buy("NEW", 100, date(2026, 3, 20))])
    assert (wash.realised_loss, wash.disallowed, wash.allowed_loss) == (250 * D, 250 * D, 0)
    (adjusted,) = apply_wash_sale((new,), wash)
    assert adjusted.cost_basis == 1_050 * D


def test_pub_550_partial_purchases_are_matched_in_acquisition_order():
    # 100 shares bought 2021-09-24, sold 2022-02-03 at a $1,000 loss; 50 shares bought on each of
    # Feb 10, 11, 12, 13. The whole loss is disallowed: $500 to the Feb 10 lot, $500 to the Feb 11 lot.
    realised = loss_sale(basis=3_000, proceeds=2_000, bought=date(2021, 9, 24), sold=date(2022, 2, 3))
    days = [date(2022, 2, d) for d in (13, 10, 12, 11)]  # given out of order on purpose
    wash = wash_sale(realised, [buy(f"B{d.day}", 50, d) for d in days])
    assert [(m.replacement_lot_id, m.quantity, m.disallowed) for m in wash.matches] == [
        ("B10", 50, 500 * D), ("B11", 50, 500 * D)]
    held = (date(2022, 2, 3) - date(2021, 9, 24)).days  # 132 days carried over
    assert wash.matches[0].holding_start == date(2022, 2, 10) - timedelta(days=held)
    lots = tuple(Lot(f"B{d.day}", "TX1", "X", 50, 50 * 20 * D, d) for d in sorted(days))
    after = {x.lot_id: x for x in apply_wash_sale(lots, wash)}
    assert after["B10"].cost_basis == after["B11"].cost_basis == 1_500 * D
    assert after["B12"].cost_basis == 1_000 * D and after["B12"].holding_start == date(2022, 2, 12)


def test_fewer_shares_bought_than_sold_disallows_only_their_share_of_the_loss():
    realised = loss_sale(qty=100, basis=2_000, proceeds=1_000)  # $10 a share lost
    wash = wash_sale(realised, [buy("B", 25, date(2026, 3, 10))])
    assert (wash.disallowed, wash.allowed_loss) == (250 * D, 750 * D)


def test_a_replacement_lot_larger_than_the_wash_is_split_and_only_the_washed_shares_adjusted():
    realised = loss_sale(qty=40, basis=2_000, proceeds=1_600)  # $400 loss
    repl = Lot("B", "TX1", "X", 100, 4_000 * D, date(2026, 3, 10))
    wash = wash_sale(realised, [buy("B", 100, date(2026, 3, 10))])
    after = apply_wash_sale((repl,), wash)
    assert [(x.lot_id, x.quantity, x.cost_basis) for x in after] == [("B", 60, 2_400 * D), ("B.W1", 40, 2_000 * D)]
    assert sum(x.cost_basis for x in after) == 4_000 * D + 400 * D


def test_purchases_before_the_sale_wash_too():
    # "doubling up": buy 100 more, then sell the original 100 at a loss within 30 days
    realised = loss_sale(sold=date(2026, 3, 2))
    wash = wash_sale(realised, [buy("B", 100, date(2026, 2, 15))])
    assert wash.disallowed == 250 * D


@pytest.mark.parametrize("offset, washed", [(-31, False), (-30, True), (0, True), (30, True), (31, False)])
def test_the_window_is_30_days_either_side_inclusive(offset, washed):
    sold = date(2026, 3, 2)
    wash = wash_sale(loss_sale(sold=sold), [buy("B", 100, sold + timedelta(days=offset))])
    assert (wash.disallowed == 250 * D) is washed
    assert (wash.disallowed == 0) is not washed


@pytest.mark.parametrize("account, kind", [("TX2", TX), ("ROTH1", ROTH)])
def test_a_purchase_in_another_account_of_the_household_washes_the_loss(account, kind):
    wash = wash_sale(loss_sale(), [buy("B", 100, date(2026, 3, 10), account, kind)])
    assert wash.disallowed == 250 * D
    assert wash.matches[0].replacement_account_id == account


def test_replacement_bought_in_an_ira_disallows_the_loss_permanently():
    # Rev. Rul. 2008-5: the loss is disallowed and the IRA shares' basis is NOT increased
    ira_lot = Lot("B", "IRA1", "X", 100, 800 * D, date(2026, 3, 10))
    wash = wash_sale(loss_sale(), [buy("B", 100, date(2026, 3, 10), "IRA1", IRA)])
    assert wash.disallowed == wash.permanently_disallowed == 250 * D
    assert wash.allowed_loss == 0
    assert apply_wash_sale((ira_lot,), wash) == (ira_lot,)


def test_substantially_identical_funds_wash_and_a_different_index_does_not():
    realised = loss_sale(symbol="SPY")
    assert identical("SPY", "IVV") and identical("VOO", "SPY") and not identical("SPY", "VTI")
    assert wash_sale(realised, [buy("B", 100, date(2026, 3, 10), symbol="IVV")]).disallowed == 250 * D
    assert wash_sale(realised, [buy("B", 100, date(2026, 3, 10), symbol="VTI")]).disallowed == 0


def test_the_holding_period_carries_over_so_a_quick_resale_can_be_long_term():
    # the sold shares were held 400 days; the replacement, sold 20 days after purchase, is long-term
    sold = date(2026, 3, 2)
    realised = loss_sale(bought=sold - timedelta(days=400), sold=sold)
    repl = Lot("B", "TX1", "X", 100, 800 * D, sold + timedelta(days=5))
    (adjusted,) = apply_wash_sale((repl,), wash_sale(realised, [buy("B", 100, repl.acquired)]))
    assert adjusted.holding_start == repl.acquired - timedelta(days=400)
    resale = sold + timedelta(days=25)
    assert term_of(repl.acquired, resale) is Term.SHORT
    assert term_of(adjusted.holding_start, resale) is Term.LONG
    assert sell((adjusted,), "TX1", "X", 100, ("B",), 9 * D, resale).realised[0].term is Term.LONG


def test_the_sold_shares_are_not_their_own_replacement_and_gains_are_never_washed():
    bought = date(2026, 2, 20)  # bought 10 days before the loss sale: inside the window, but it is the sold lot
    realised = loss_sale(bought=bought, sold=date(2026, 3, 2))
    assert wash_sale(realised, [buy("OLD", 100, bought)]).disallowed == 0
    gain = loss_sale(proceeds=1_200)
    assert wash_sale(gain, [buy("B", 100, date(2026, 3, 10))]).matches == ()


def test_a_replacement_share_washes_only_one_loss():
    first = loss_sale(sold=date(2026, 3, 2))
    wash1 = wash_sale(first, [buy("B", 100, date(2026, 3, 10))])
    used = {m.replacement_lot_id: m.quantity for m in wash1.matches}
    second = loss_sale(sold=date(2026, 3, 12))
    assert wash_sale(second, [buy("B", 100, date(2026, 3, 10))], used).disallowed == 0


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 500), st.integers(1, 10**8), st.integers(0, 10**8),
       st.lists(st.tuples(st.integers(-45, 45), st.integers(1, 300), st.sampled_from([TX, IRA, ROTH])), max_size=6))
def test_disallowed_never_exceeds_the_loss_and_no_acquisition_is_overused(qty, basis, proceeds, buys):
    sold = date(2026, 3, 2)
    lots = (Lot("OLD", "TX1", "X", qty, basis, date(2024, 1, 1)),)
    realised = sell(lots, "TX1", "X", qty, ("OLD",), proceeds // qty, sold).realised
    acqs = [buy(f"B{i}", q, sold + timedelta(days=o), f"AC{i}", k) for i, (o, q, k) in enumerate(buys)]
    wash = wash_sale(realised, acqs)
    assert 0 <= wash.disallowed <= wash.realised_loss
    assert wash.allowed_loss + wash.disallowed == wash.realised_loss == max(0, -sum(r.gain for r in realised))
    for a in acqs:
        used = sum(m.quantity for m in wash.matches if m.replacement_lot_id == a.lot_id)
        assert used <= a.quantity
        if abs((a.trade_date - sold).days) > 30:
            assert used == 0
    in_window = sum(a.quantity for a in acqs if abs((a.trade_date - sold).days) <= 30)
    assert sum(m.quantity for m in wash.matches) == (min(qty, in_window) if wash.realised_loss else 0)
