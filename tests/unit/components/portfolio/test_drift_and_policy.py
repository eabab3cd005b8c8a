"""Drift bands (absolute and relative, target 0 judged on the absolute band), the explanation text, stand-ins,
and the IPS targets (screened funds to their ESG alternative, restricted weight spread, the position cap)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.domain.money import PRICE_SCALE as D
from components.portfolio.drift import breach, measure_drift
from components.portfolio.households import DriftBands, InvestmentPolicy
from components.portfolio.universe import BPS, CASH, MODELS, SECURITIES, RiskLevel
from tests.unit.components.portfolio.builders import PRICES, make_household, make_lot

DAY = date(2024, 1, 2)


@pytest.mark.parametrize("dev, target, expected", [
    (500, 4_000, None),          # exactly on the absolute band: inside
    (501, 4_000, "absolute"),
    (-600, 4_000, "absolute"),
    (250, 1_000, None),          # 25 % of target, exactly on the relative band
    (260, 1_000, "relative"),
    (-260, 1_000, "relative"),
    (400, 0, None),              # target 0: no relative band
    (501, 0, "absolute"),
])
def test_bands(dev, target, expected):
    assert breach(dev, target, 500, 2_500) == expected


def conservative(**kw):
    return InvestmentPolicy(RiskLevel.CONSERVATIVE, "conservative", bands=DriftBands(500, 2_500), **kw)


def test_drift_is_measured_over_the_whole_household_and_explained():
    # about $100,000: AGG 45k and IEF 20k in the IRA, SPY 50 x $560 = 28k in taxable, VEA 2k, cash 5k
    hh = make_household(conservative(), cash=(5_000, 0, 0))
    lots = [make_lot("a", "HH-1-IRA", "AGG", 45_000 * D // PRICES["AGG"], PRICES["AGG"] / D, DAY),
            make_lot("i", "HH-1-IRA", "IEF", 20_000 * D // PRICES["IEF"], PRICES["IEF"] / D, DAY),
            make_lot("s", "HH-1-TAX", "SPY", 50, 500, DAY),
            make_lot("v", "HH-1-TAX", "VEA", 40, 50, DAY)]
    report = measure_drift(hh, lots, PRICES)
    assert report.drifted == ("SPY", "VEA")
    assert "SPY 28.0% vs target 20.0% (overweight by 8.0 pts; outside the absolute band 5.0 pts)" in report.explanation
    assert "VEA 2.0% vs target 10.0% (underweight by 8.0 pts" in report.explanation
    assert report.row(CASH).weight_bps == pytest.approx(5_000 * D * BPS / report.total_value)


def test_a_stand_in_counts_toward_the_target_it_replaces():
    hh = make_household(conservative())
    lots = [make_lot("v", "HH-1-TAX", "VTI", 100, 285, DAY)]
    report = measure_drift(hh, lots, PRICES, stand_ins={"VTI": "SPY"})
    assert report.row("SPY").value == 100 * PRICES["VTI"]
    assert "VTI" not in [r.symbol for r in report.rows]


def test_targets_move_a_screened_fund_to_its_esg_alternative_and_spread_a_restricted_stock():
    esg = InvestmentPolicy(RiskLevel.GROWTH, "growth", esg_exclusions=frozenset({"fossil_fuels"}))
    t = esg.targets_bps()
    assert "SPY" not in t and "XOM" not in t and t["ESGU"] >= MODELS["growth"].weight("SPY")
    assert sum(t.values()) == BPS and t[CASH] == MODELS["growth"].weight(CASH)
    restricted = InvestmentPolicy(RiskLevel.GROWTH, "growth", restricted=frozenset({"NVDA"}))
    assert "NVDA" not in restricted.targets_bps() and sum(restricted.targets_bps().values()) == BPS
    assert restricted.why_not_buy("NVDA") == "NVDA is restricted by the IPS"
    assert "ESG screen (fossil_fuels)" in esg.why_not_buy("XOM")


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(MODELS)), st.frozensets(st.sampled_from(sorted(SECURITIES)), max_size=4),
       st.booleans(), st.integers(1_000, BPS))
def test_targets_always_sum_to_a_whole_and_respect_the_ips(model, restricted, esg, cap):
    policy = InvestmentPolicy(RiskLevel.GROWTH, model, restricted, frozenset({"fossil_fuels"}) if esg else frozenset(),
                              max_position_bps=cap)
    t = policy.targets_bps()
    assert sum(t.values()) == BPS and all(w >= 0 for w in t.values())
    assert all(policy.may_buy(s) for s in t if s != CASH)
    assert all(w <= cap for s, w in t.items() if s != CASH)


@pytest.mark.parametrize("kwargs, problem", [
    (dict(model_id="nope"), "unknown model 'nope'"),
    (dict(max_position_bps=0), "max_position_bps must be in 1..10000"),
    (dict(cash_floor_bps=10_000), "cash_floor_bps must be in 0..9999"),
])
def test_a_bad_policy_is_refused_naming_the_field(kwargs, problem):
    base = dict(risk_profile=RiskLevel.BALANCED, model_id="balanced")
    with pytest.raises(ValueError, match=problem):
        InvestmentPolicy(**{**base, **kwargs})
    with pytest.raises(ValueError, match="DriftBands.absolute_bps"):
        DriftBands(0, 100)
