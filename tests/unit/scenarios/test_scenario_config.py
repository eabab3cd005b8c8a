"""Scenario files parse into typed frozen config; every bad input is one ScenarioError with field and line."""

from __future__ import annotations

import copy
import dataclasses
from datetime import date, datetime, time, timezone
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.domain.money import to_units
from components.config.schema import ScenarioError
from scenarios.config import BUILTIN_SCENARIOS, Scenario, ServiceLatency, builtin_scenario_path, load_scenario, parse_scenario

SCENARIO_DIR = Path(__file__).resolve().parents[3] / "scenarios"


def _error(text: str, source: str = "t.yaml") -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, source)
    return info.value


# --------------------------------------------------------------------------- shipped files


@pytest.mark.parametrize("name", BUILTIN_SCENARIOS)
def test_builtin_scenarios_load(name: str) -> None:
    path = builtin_scenario_path(name)
    assert path == SCENARIO_DIR / f"{name}.yaml"
    scenario = load_scenario(path)
    assert isinstance(scenario, Scenario)
    assert scenario.name == name
    assert scenario.session_open_ns < scenario.session_close_ns < scenario.settlement_ns


def test_trading_day_contents() -> None:
    s = load_scenario(SCENARIO_DIR / "trading_day.yaml")
    assert s.session.open == time(9, 30) and s.session.close == time(16, 0)
    assert s.venue_names == ("XNAS", "ARCX", "BATS")
    assert len(s.symbols) == 5
    assert s.population.advisors == 20 and s.population.clients_per_advisor == 8
    assert s.order_flow.orders == 5000
    assert s.venue("ARCX").maker_rebate == to_units("0.0021") == 21
    assert s.venue("XNAS").taker_fee == 30
    assert s.symbol("AAPL").reference_price == to_units("190.00")
    assert isinstance(s.symbol("AAPL").reference_price, int)
    assert s.risk.max_order_notional == to_units("1000000")


def test_smoke_is_small() -> None:
    s = load_scenario(SCENARIO_DIR / "smoke.yaml")
    assert s.order_flow.orders == 200
    assert len(s.symbols) == 2
    assert s.session_close_ns - s.session_open_ns == 30 * 60 * 10**9


def test_minimal_scenario_takes_documented_defaults() -> None:
    s = parse_scenario("name: minimal\n")
    assert s.seed == 42
    assert s.session.date == date(2026, 11, 24)
    assert s.symbol_names == ("AAPL", "MSFT", "SPY")
    assert s.venue_names == ("XNAS", "ARCX", "BATS")
    assert s.services.gateway == ServiceLatency(4.0, 12.0)
    assert s.services.get("router") == ServiceLatency(1.5, 5.0)
    assert s.services.get("post_trade") == ServiceLatency(2.0, 6.0)
    assert s.risk.restricted == ()
    assert s.order_flow.u_shape == 3.0
    assert s.liquidity.market_maker_levels == 3


def test_config_is_frozen() -> None:
    s = parse_scenario("name: minimal\n")
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.seed = 1  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.order_flow.orders = 1  # type: ignore[misc]


def test_session_times_in_new_york() -> None:
    s = parse_scenario("name: x\n")  # Tuesday 2026-11-24, EST (UTC-5)
    assert s.session_open_ns == int(datetime(2026, 11, 24, 14, 30, tzinfo=timezone.utc).timestamp()) * 10**9
    assert s.session_close_ns == int(datetime(2026, 11, 24, 21, 0, tzinfo=timezone.utc).timestamp()) * 10**9
    assert s.settlement_ns == int(datetime(2026, 11, 25, 14, 0, tzinfo=timezone.utc).timestamp()) * 10**9
    summer = parse_scenario('name: x\nsession: {date: "2026-07-15"}\n')  # EDT (UTC-4)
    assert summer.session_open_ns == int(datetime(2026, 7, 15, 13, 30, tzinfo=timezone.utc).timestamp()) * 10**9


def test_settlement_skips_weekends() -> None:
    friday = parse_scenario('name: x\nsession: {date: "2026-11-27", settlement_days: 1}\n')
    assert friday.session.settlement_date() == date(2026, 11, 30)
    assert friday.settlement_ns == int(datetime(2026, 11, 30, 14, 0, tzinfo=timezone.utc).timestamp()) * 10**9
    t2 = parse_scenario('name: x\nsession: {date: "2026-11-26", settlement_days: 2}\n')
    assert t2.session.settlement_date() == date(2026, 11, 30)


def test_partial_service_override_keeps_other_defaults() -> None:
    s = parse_scenario("name: x\nservices:\n  gateway: {median_ms: 5}\n")
    assert s.services.gateway == ServiceLatency(5.0, 12.0)
    assert s.services.oms == ServiceLatency(3.0, 10.0)


def test_money_accepts_strings_and_plain_numbers_exactly() -> None:
    s = parse_scenario("name: x\nvenues:\n  - {name: A, maker_rebate: 0.0021, taker_fee: '0.003'}\n")
    assert s.venues[0].maker_rebate == 21 and s.venues[0].taker_fee == 30
    p = parse_scenario("name: x\npopulation: {cash_min: 1000, cash_max: '2_000'}\n")
    assert p.population.cash_min == 10_000_000 and p.population.cash_max == 20_000_000


def test_unquoted_times_and_odd_tickers_are_read_as_written() -> None:
    s = parse_scenario("name: x\nsession: {open: 9:45, close: 15:30}\nsymbols: [{symbol: ON, reference_price: 60}]\n")
    assert s.session.open == time(9, 45) and s.session.close == time(15, 30)
    assert s.symbol_names == ("ON",)


# --------------------------------------------------------------------------- errors


def test_unknown_key_names_field_and_line() -> None:
    err = _error("name: x\norder_flow:\n  orders: 10\n  oders: 5\n")
    assert err.field == "order_flow.oders"
    assert err.line == 4
    assert "unknown key" in err.problem and "orders" in err.problem
    assert str(err).startswith("t.yaml:4: order_flow.oders: unknown key")


def test_unknown_top_level_section() -> None:
    err = _error("name: x\n\nchaos: {}\n")
    assert (err.field, err.line) == ("chaos", 3)


def test_bad_money_message_matches_house_format() -> None:
    text = "name: x\nvenues:\n  - name: A\n  - name: B\n    taker_fee: abc\n"
    err = _error(text, "trading_day.yaml")
    assert (err.field, err.line) == ("venues[1].taker_fee", 5)
    assert str(err).startswith('trading_day.yaml:5: venues[1].taker_fee: must be a decimal amount like "0.0030"')
    assert str(err).endswith("got 'abc'")


@pytest.mark.parametrize("value", ["'1.00001'", "1e999999", ".inf", "[1]", "true", "~"])
def test_bad_money_values(value: str) -> None:
    err = _error(f"name: x\nrisk:\n  max_order_notional: {value}\n")
    assert (err.field, err.line) == ("risk.max_order_notional", 3)


def test_wrong_type() -> None:
    err = _error("name: x\norder_flow:\n  orders: many\n")
    assert (err.field, err.line) == ("order_flow.orders", 3)
    assert "whole number" in err.problem
    err = _error("name: x\nsymbols: AAPL\n")
    assert (err.field, err.line) == ("symbols", 2)
    err = _error("name: x\nsession: [1]\n")
    assert err.field == "session" and "mapping" in err.problem
    err = _error("name: x\norder_flow: {market_fraction: '0.5'}\n")
    assert err.field == "order_flow.market_fraction"


def test_negative_count() -> None:
    err = _error("name: x\npopulation:\n  advisors: -3\n")
    assert (err.field, err.line) == ("population.advisors", 3)
    assert ">= 1" in err.problem


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("name: x\norder_flow: {market_fraction: 1.5}\n", "order_flow.market_fraction"),
        ("name: x\norder_flow: {cancel_fraction: -0.1}\n", "order_flow.cancel_fraction"),
        ("name: x\norder_flow: {u_shape: 0}\n", "order_flow.u_shape"),
        ("name: x\norder_flow: {orders: -1}\n", "order_flow.orders"),  # 0 is allowed: a market-only day
        ("name: x\nrisk: {collar_bps: 20000}\n", "risk.collar_bps"),
        ("name: x\nvenues: [{name: A, latency_ms: -1}]\n", "venues[0].latency_ms"),
        ("name: x\nservices: {risk: {median_ms: 5, p99_ms: 4}}\n", "services.risk.p99_ms"),
        ("name: x\nsession: {open: '16:00', close: '09:30'}\n", "session.close"),
        ("name: x\nsession: {open: '25:00'}\n", "session.open"),
        ("name: x\nsession: {date: '2026-11-28'}\n", "session.date"),
        ("name: x\nsession: {date: '2026-13-01'}\n", "session.date"),
        ("name: x\npopulation: {cash_min: '10', cash_max: '5'}\n", "population.cash_max"),
        ("name: x\npopulation: {advisors: 1, clients_per_advisor: 1, sanctioned_clients: 2}\n",
         "population.sanctioned_clients"),
        ("name: x\nsymbols: []\n", "symbols"),
        ("name: x\nvenues: []\n", "venues"),
        ("name: x\nsymbols: [{symbol: AAPL, reference_price: '190.001'}]\n", "symbols[0].reference_price"),
        ("name: x\nsymbols: [{symbol: AAPL, reference_price: '0'}]\n", "symbols[0].reference_price"),
        ("name: x\nsymbols: [{symbol: aapl, reference_price: '1'}]\n", "symbols[0].symbol"),
        ("name: x\nsymbols: [{reference_price: '1'}]\n", "symbols[0].symbol"),
        ("name: 'bad name/'\n", "name"),
        ("name: x\nservices: {matching: {median_ms: 1, p99_ms: 2}}\n", "services.matching"),
    ],
)
def test_out_of_range_and_cross_field(text: str, field: str) -> None:
    err = _error(text)
    assert err.field == field
    assert err.line >= 1


def test_duplicate_venue_name() -> None:
    text = "name: x\nvenues:\n  - name: XNAS\n  - name: BATS\n  - name: XNAS\n"
    err = _error(text)
    assert (err.field, err.line) == ("venues[2].name", 5)
    assert "duplicate" in err.problem and "venues[0]" in err.problem


def test_duplicate_symbol() -> None:
    err = _error("name: x\nsymbols:\n  - {symbol: A, reference_price: 1}\n  - {symbol: A, reference_price: 2}\n")
    assert (err.field, err.line) == ("symbols[1].symbol", 4)


def test_duplicate_key() -> None:
    err = _error("name: x\nseed: 1\nseed: 2\n")
    assert (err.field, err.line) == ("seed", 3)


def test_restricted_must_be_scenario_symbols() -> None:
    err = _error("name: x\nrisk:\n  restricted:\n    - AAPL\n    - TSLA\n")
    assert (err.field, err.line) == ("risk.restricted[1]", 5)
    assert "TSLA" in err.problem
    ok = parse_scenario("name: x\nrisk: {restricted: [SPY]}\n")
    assert ok.risk.restricted == ("SPY",)


def test_missing_name() -> None:
    err = _error("description: no name\n")
    assert err.field == "name" and err.problem == "is required"


def test_yaml_syntax_error_has_line() -> None:
    err = _error("name: x\nsession:\n  open: '09:30\n  close: 16:00\n")
    assert err.line >= 3
    assert err.field == "<document>"
    assert "syntax" in err.problem


def test_empty_file() -> None:
    for text in ("", "   \n# only a comment\n", "~\n"):
        err = _error(text)
        assert err.line == 1 and "empty" in err.problem


def test_not_a_mapping() -> None:
    err = _error("- name: x\n")
    assert err.field == "<document>" and "mapping" in err.problem


def test_load_scenario_reports_path(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nseed: -1\n")
    with pytest.raises(ScenarioError, match=r"bad\.yaml:2: seed: must be >= 0"):
        load_scenario(bad)


def test_error_is_value_error_and_picklable() -> None:
    import pickle

    err = _error("name: x\nseed: nope\n")
    assert isinstance(err, ValueError)
    again = pickle.loads(pickle.dumps(err))
    assert (again.field, again.line, again.problem, str(again)) == (err.field, err.line, err.problem, str(err))


# --------------------------------------------------------------------------- property: mutations


_VALID = yaml.safe_load((SCENARIO_DIR / "trading_day.yaml").read_text())


def _paths(node, prefix=()):
    """Every (container path, key) in a nested dict/list tree."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield prefix, key
            yield from _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield prefix, i
            yield from _paths(value, prefix + (i,))


def _get(tree, path):
    for step in path:
        tree = tree[step]
    return tree


_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(["0.0030", "abc", "09:30", "25:99", "2026-11-24", "-1", "1e5", "AAPL", "XNAS", "0x1F", "1_000"])
)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_mutations_parse_or_fail_cleanly(data) -> None:
    doc = copy.deepcopy(_VALID)
    for _ in range(data.draw(st.integers(min_value=1, max_value=3), label="mutations")):
        targets = list(_paths(doc))
        parent_path, key = data.draw(st.sampled_from(targets), label="target")
        parent = _get(doc, parent_path)
        action = data.draw(st.sampled_from(["replace", "delete", "add"]), label="action")
        if action == "replace":
            parent[key] = data.draw(_values, label="value")
        elif action == "delete":
            del parent[key]
        elif isinstance(parent, dict):
            parent[data.draw(st.text(min_size=1, max_size=10), label="new key")] = data.draw(_values)
        else:
            parent.append(data.draw(_values, label="new item"))
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    try:
        scenario = parse_scenario(text, "mutant.yaml")
    except ScenarioError as err:
        assert err.field
        assert err.line > 0
        assert err.problem
        assert str(err).startswith(f"mutant.yaml:{err.line}: {err.field}: ")
    else:
        assert isinstance(scenario, Scenario)
        assert scenario.session_open_ns < scenario.session_close_ns
