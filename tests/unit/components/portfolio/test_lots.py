"""Specific lot identification: which shares a sale consumes, the gain it realises, short vs long term,
and (hypothesis) that no lot goes negative and basis is conserved exactly."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.domain.money import PRICE_SCALE as D
from components.portfolio.lots import Lot, Term, choose_lots, one_year_after, sell, tax_aware_order, term_of


def lot(lot_id, qty, basis_dollars, acquired, symbol="SPY", account="A1"):
    return Lot(lot_id, account, symbol, qty, basis_dollars * D, acquired)


def test_a_sale_consumes_the_named_lots_in_order_and_splits_the_last():
    lots = (lot("L1", 100, 10_000, date(2024, 1, 2)), lot("L2", 50, 6_000, date(2025, 6, 1)),
            lot("L3", 10, 900, date(2025, 7, 1)))
    sale = sell(lots, "A1", "SPY", 120, ("L2", "L1"), 110 * D, date(2026, 3, 2))
    assert [(r.lot_id, r.quantity, r.basis) for r in sale.realised] == [("L2", 50, 6_000 * D), ("L1", 70, 7_000 * D)]
    assert [r.gain for r in sale.realised] == [-500 * D, 700 * D]
    assert sale.gain == 200 * D
    assert [(x.lot_id, x.quantity, x.cost_basis) for x in sale.remaining] == [("L1", 30, 3_000 * D), ("L3", 10, 900 * D)]
    assert [r.term for r in sale.realised] == [Term.SHORT, Term.LONG]


def test_long_term_needs_more_than_a_year_sold_on_the_anniversary_is_short():
    start = date(2025, 3, 10)
    assert term_of(start, date(2026, 3, 10)) is Term.SHORT
    assert term_of(start, date(2026, 3, 11)) is Term.LONG
    assert one_year_after(date(2024, 2, 29)) == date(2025, 2, 28)


@pytest.mark.parametrize("qty, ids, account, problem", [
    (10, ("L9",), "A1", "not a SPY lot of account A1"),
    (10, ("L1",), "A2", "not a SPY lot of account A2"),
    (200, ("L1",), "A1", "fewer than the 200 to sell"),
    (10, ("L1", "L1"), "A1", "named twice"),
    (0, ("L1",), "A1", "positive int"),
])
def test_a_bad_sale_is_refused_with_the_reason(qty, ids, account, problem):
    with pytest.raises(ValueError, match=problem):
        sell((lot("L1", 100, 10_000, date(2024, 1, 2)),), account, "SPY", qty, ids, 100 * D, date(2026, 1, 2))


def test_tax_aware_order_takes_losses_first_then_the_highest_basis():
    day = date(2026, 6, 1)
    lots = [lot("gain_lt", 10, 500, date(2020, 1, 1)),   # $50/sh, long-term gain
            lot("loss", 10, 1_500, date(2026, 1, 1)),    # $150/sh, short-term loss
            lot("gain_st", 10, 900, date(2026, 2, 1)),   # $90/sh, short-term gain
            lot("gain_hi", 10, 950, date(2020, 1, 1))]   # $95/sh, long-term gain
    order = [x.lot_id for x in tax_aware_order(lots, 100 * D, day)]
    assert order[0] == "loss"
    assert order.index("gain_hi") < order.index("gain_lt")
    assert choose_lots(lots, "A1", "SPY", 15, 100 * D, day) == ("loss", "gain_hi")
    with pytest.raises(ValueError, match="holds 40 SPY, fewer than 41"):
        choose_lots(lots, "A1", "SPY", 41, 100 * D, day)


lots_strategy = st.lists(st.tuples(st.integers(1, 500), st.integers(0, 10**9), st.integers(0, 2000)),
                         min_size=1, max_size=6)


@settings(max_examples=100, deadline=None)
@given(lots_strategy, st.data())
def test_lots_never_go_negative_and_basis_is_conserved_exactly(spec, data):
    start = date(2020, 1, 1)
    lots = tuple(Lot(f"L{i}", "A1", "SPY", q, b, start + timedelta(days=d)) for i, (q, b, d) in enumerate(spec))
    ids = data.draw(st.permutations([x.lot_id for x in lots]))
    total = sum(x.quantity for x in lots)
    qty = data.draw(st.integers(1, total))
    price = data.draw(st.integers(0, 10**7))
    by_id = {x.lot_id: x.quantity for x in lots}
    needed, covered = [], 0
    for lot_id in ids:  # name just the lots the sale needs, as specific identification does
        if covered >= qty:
            break
        needed.append(lot_id)
        covered += by_id[lot_id]
    sale = sell(lots, "A1", "SPY", qty, needed, price, date(2026, 1, 1))
    assert all(x.quantity > 0 and x.cost_basis >= 0 for x in sale.remaining)
    assert sum(r.quantity for r in sale.realised) == qty
    assert sum(x.quantity for x in sale.remaining) == total - qty
    # realised P&L + remaining basis conserve the total basis: proceeds - gain = basis realised
    realised_basis = sum(r.proceeds - r.gain for r in sale.realised)
    assert realised_basis + sum(x.cost_basis for x in sale.remaining) == sum(x.cost_basis for x in lots)
