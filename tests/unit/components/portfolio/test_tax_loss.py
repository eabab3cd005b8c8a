"""Loss candidates (thresholds, taxable accounts only, blocked by a recent identical purchase anywhere in
the household), the replacement table (never substantially identical), and the harvest trades."""

from __future__ import annotations

from datetime import timedelta

import pytest

from components.domain.money import PRICE_SCALE as D
from components.domain.orders import Side
from components.portfolio.households import AccountKind, InvestmentPolicy
from components.portfolio.lots import Realised
from components.portfolio.proposals import ProposalReason
from components.portfolio.tax_loss import (REPLACEMENTS, Acquisition, HarvestThresholds, harvest_trades, identical,
                                           loss_candidates, wash_blocked)
from components.portfolio.universe import SECURITIES, RiskLevel
from tests.unit.components.portfolio.builders import AS_OF, PRICES, make_household, make_lot

OLD = AS_OF - timedelta(days=400)
T = HarvestThresholds(min_loss=1_000 * D, min_loss_bps=1_000)


def test_every_replacement_is_a_known_security_not_substantially_identical_to_what_it_replaces():
    for symbol, replacements in REPLACEMENTS.items():
        assert symbol in SECURITIES
        for r in replacements:
            assert r in SECURITIES and not identical(symbol, r), (symbol, r)


def test_candidates_need_both_thresholds_and_a_taxable_account():
    hh = make_household()
    lots = [make_lot("big", "HH-1-TAX", "SPY", 100, 700, OLD),        # $14,000 loss, 20 %
            make_lot("small_pct", "HH-1-TAX", "AGG", 1_000, 105, OLD),  # $6,500 loss but 6 %: below 10 %
            make_lot("small_abs", "HH-1-TAX", "IEF", 10, 120, OLD),   # 21 % but $260: below $1,000
            make_lot("ira", "HH-1-IRA", "VEA", 1_000, 80, OLD)]       # a loss in an IRA is not a tax loss
    (cand,) = loss_candidates(hh, lots, PRICES, AS_OF, (), T)
    assert (cand.account_id, cand.symbol, cand.lot_ids, cand.loss) == ("HH-1-TAX", "SPY", ("big",), 14_000 * D)
    assert cand.replacement == "VTI" and cand.blocked is None


def test_a_recent_identical_purchase_in_the_ira_blocks_the_harvest_and_says_why():
    hh = make_household()
    lots = [make_lot("big", "HH-1-TAX", "SPY", 100, 700, OLD)]
    recent = [Acquisition("ira-buy", "HH-1-IRA", AccountKind.IRA, "IVV", 10, AS_OF - timedelta(days=12))]
    (cand,) = loss_candidates(hh, lots, PRICES, AS_OF, recent, T)
    assert "IVV was bought on" in cand.blocked and "HH-1-IRA (ira)" in cand.blocked
    with pytest.raises(ValueError, match="blocked"):
        harvest_trades(cand, PRICES, AS_OF)
    stale = [Acquisition("ira-buy", "HH-1-IRA", AccountKind.IRA, "IVV", 10, AS_OF - timedelta(days=31))]
    assert loss_candidates(hh, lots, PRICES, AS_OF, stale, T)[0].blocked is None


def test_the_replacement_respects_the_ips_and_the_wash_blocked_set():
    hh = make_household(InvestmentPolicy(RiskLevel.GROWTH, "growth", restricted=frozenset({"XLK"})))
    lots = [make_lot("a", "HH-1-TAX", "AAPL", 100, 250, OLD)]
    assert loss_candidates(hh, lots, PRICES, AS_OF, (), T)[0].replacement == "VTI"  # XLK restricted
    assert loss_candidates(hh, lots, PRICES, AS_OF, (), T, frozenset({"VTI"}))[0].replacement is None


def test_harvest_trades_sell_the_lots_and_buy_the_replacement_with_the_proceeds():
    hh = make_household()
    (cand,) = loss_candidates(hh, [make_lot("big", "HH-1-TAX", "SPY", 100, 700, OLD)], PRICES, AS_OF, (), T)
    sell, buy = harvest_trades(cand, PRICES, AS_OF)
    assert (sell.side, sell.symbol, sell.quantity, sell.lot_ids, sell.reason) == (
        Side.SELL, "SPY", 100, ("big",), ProposalReason.TAX_LOSS_HARVEST)
    assert "before 2026-12-25" in sell.explanation and "IRAs included" in sell.explanation
    assert (buy.side, buy.symbol, buy.quantity) == (Side.BUY, "VTI", 560 * 100 // 285)


def test_wash_blocked_names_the_sold_symbol_and_its_identical_funds_for_30_days():
    sale = Realised("L", "HH-1-TAX", "SPY", 10, 5_000 * D, 6_000 * D, AS_OF - timedelta(days=30), OLD)
    assert wash_blocked([sale], AS_OF) == {"SPY", "IVV", "VOO"}
    assert wash_blocked([sale], AS_OF + timedelta(days=1)) == frozenset()
    gain = Realised("L", "HH-1-TAX", "SPY", 10, 7_000 * D, 6_000 * D, AS_OF - timedelta(days=3), OLD)
    assert wash_blocked([gain], AS_OF) == frozenset()


def test_household_washes_take_each_replacement_share_once_across_sales():
    """Two loss sales of the same security, one 20-share purchase in the window: the first sale (by date)
    washes on 20 shares, the second finds the replacement used up; an IRA replacement is lost for good."""
    from datetime import date

    from components.portfolio.tax_loss import household_washes

    buy = Acquisition("L-NEW", "ACC-T", AccountKind.TAXABLE, "SPY", 20, date(2026, 3, 10))
    first = Realised("L-1", "ACC-T", "SPY", 20, 20 * 90 * D, 20 * 100 * D,
                     date(2026, 3, 1), date(2025, 1, 2))
    second = Realised("L-2", "ACC-T", "SPY", 10, 10 * 90 * D, 10 * 100 * D,
                      date(2026, 3, 5), date(2025, 1, 2))
    washes = household_washes([second, first], [buy])
    assert [w.disallowed for w in washes] == [20 * 10 * D, 0]
    assert sum(w.permanently_disallowed for w in washes) == 0
    ira = Acquisition("L-IRA", "ACC-I", AccountKind.IRA, "SPY", 5, date(2026, 3, 2))
    washes = household_washes([first], [ira])
    assert washes[0].disallowed == washes[0].permanently_disallowed == 5 * 10 * D
