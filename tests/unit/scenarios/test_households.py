"""Generated households: deterministic in the seed, prefix-stable, varied (accounts, lots, gains and losses,
recent buys), valid against the domain types; the portfolio config names the bad field (also for random input)."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.config.schema import ScenarioError
from components.portfolio.households import AccountKind
from components.portfolio.universe import reference_prices
from scenarios.config_portfolio import PortfolioConfig, load_portfolio_config, parse_portfolio_config
from scenarios.households import build_households

CONFIG = PortfolioConfig(households=25)


def test_same_seed_same_households_and_more_households_keep_the_first_ones():
    a = build_households(CONFIG, 11)
    assert a == build_households(CONFIG, 11)
    assert a != build_households(CONFIG, 12)
    assert build_households(replace(CONFIG, households=30), 11)[:25] == a


def test_households_are_varied_and_well_formed():
    books = build_households(CONFIG, 5)
    prices = reference_prices()
    kinds = {a.kind for b in books for a in b.household.accounts}
    assert kinds == {AccountKind.TAXABLE, AccountKind.IRA, AccountKind.ROTH}
    assert all(b.household.accounts[0].kind is AccountKind.TAXABLE for b in books)
    lots = [lot for b in books for lot in b.lots]
    gains = sum(lot.cost_basis < lot.quantity * prices[lot.symbol] for lot in lots)
    assert 0 < gains < len(lots)  # some at a gain, some at a loss
    assert any(b.acquisitions for b in books) and any(b.recent_realised for b in books)
    assert len({b.household.name for b in books}) > 1
    assert {b.household.policy.model_id for b in books} == {"conservative", "balanced", "growth"}
    for b in books:
        ids = {a.account_id for a in b.household.accounts}
        assert all(lot.account_id in ids and lot.acquired < CONFIG.as_of for lot in b.lots)
        assert len({lot.lot_id for lot in b.lots}) == len(b.lots)
        for acq in b.acquisitions:
            assert (CONFIG.as_of - acq.trade_date).days <= 30


def test_the_config_file_reads_and_errors_name_line_and_field(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text('households: 3\nas_of: "2026-06-30"\nmin_trade: "250"\n', encoding="utf-8")
    cfg = load_portfolio_config(path)
    assert (cfg.households, cfg.as_of.isoformat(), cfg.min_trade) == (3, "2026-06-30", 2_500_000)
    path.write_text('households: 3\nhousehold_value_min: "500"\nhousehold_value_max: "100"\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"p.yaml:3: household_value_max: must be >= household_value_min"):
        load_portfolio_config(path)


@pytest.mark.parametrize("text, field", [
    ("households: 0", "households"), ("ira_fraction: 1.5", "ira_fraction"), ("as_of: soon", "as_of"),
    ("min_trade: -5", "min_trade"), ("max_lots: 50", "max_lots"), ("colour: red", "colour"),
    ("household_value_min: 0", "household_value_min"),
])
def test_a_bad_field_is_one_line_naming_it(text, field):
    with pytest.raises(ScenarioError) as caught:
        parse_portfolio_config(text, "p.yaml")
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"p.yaml:1: {field}: ")


KEYS = ["households", "as_of", "household_value_min", "household_value_max", "ira_fraction", "roth_fraction",
        "max_lots", "restricted_fraction", "esg_fraction", "mismatch_fraction", "recent_buy_fraction", "min_trade",
        "harvest_min_loss", "harvest_min_loss_bps", "tax_aversion", "bogus"]
VALUES = st.one_of(st.integers(-10, 10**6), st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
                   st.text(max_size=12), st.just("2026-02-30"), st.just('"100.00001"'), st.just("[1, 2]"))


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=4))
def test_random_configs_parse_or_fail_with_one_line_naming_a_field(entries):
    text = "".join(f"{k}: {v!r}\n" if isinstance(v, str) else f"{k}: {v}\n" for k, v in entries.items())
    try:
        cfg = parse_portfolio_config(text, "p.yaml")
    except ScenarioError as exc:
        message = str(exc)
        assert "\n" not in message
        assert re.match(r"p\.yaml:\d+: (<document>|[a-z_]+(\[\d+\])?): .+", message), message
        return
    assert 1 <= cfg.households and cfg.household_value_min <= cfg.household_value_max
