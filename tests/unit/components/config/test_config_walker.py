"""One config walker for YAML and TOML: the same section gives the same field, problem and right line in both.

``components.config.walker.build`` walks the nodes a reader made
(``yaml_reader.read_yaml``, ``toml_reader.read_toml``); these tests write the
same config in both formats and compare, check that the TOML reader finds the
line of every kind of TOML key, and fuzz both readers with arbitrary documents.
"""

from __future__ import annotations

import json
import math
import pickle
import re
from datetime import date, time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.config.live import LiveConfig, parse_live_config
from components.config.schema import ConfigError, LiveConfigError, ScenarioError
from components.config.session import Session
from components.config.toml_reader import key_lines, read_toml
from components.config.walker import build
from components.config.yaml_reader import read_yaml
from scenarios.config import Scenario, load_scenario, parse_scenario

ROOT = Path(__file__).resolve().parents[4]


def yaml_error(text: str, cls: type = LiveConfig) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        build(cls, read_yaml(text, "c.yaml"))
    return caught.value


def toml_error(text: str, cls: type = LiveConfig) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        build(cls, read_toml(text, "c.toml"))
    return caught.value


# --------------------------------------------------------------------------- the same section, two formats

RISK_FIELDS = ("max_order_notional, max_daily_notional_per_account, collar_bps, concentration_max_bps, "
               "restricted, duplicate_window_s")

# (YAML text, TOML text, field, problem, YAML line, TOML line)
SAME_SECTION = [
    pytest.param("risk:\n  collar_bps: 20000\n", "[risk]\ncollar_bps = 20000\n",
                 "risk.collar_bps", "must be <= 10000, got 20000", 2, 2, id="out-of-range"),
    pytest.param("risk:\n  collar_bps: wide\n", "[risk]\ncollar_bps = 'wide'\n",
                 "risk.collar_bps", "must be a whole number, got 'wide'", 2, 2, id="wrong-type"),
    pytest.param("\nrisk:\n  max_order_notional: '1.00001'\n", "\n[risk]\nmax_order_notional = '1.00001'\n",
                 "risk.max_order_notional",
                 """must be a decimal amount like "0.0030" (at most 4 decimal places), got '1.00001'""", 3, 3,
                 id="money-too-precise"),
    pytest.param("risk:\n  max_order_notional: '-1'\n", "[risk]\nmax_order_notional = -1\n",
                 "risk.max_order_notional", 'must be >= "0", got "-1"', 2, 2, id="money-range"),
    pytest.param("risk:\n  colar_bps: 1\n", "[risk]\ncolar_bps = 1\n",
                 "risk.colar_bps", f"unknown key; did you mean 'collar_bps'? (allowed: {RISK_FIELDS})", 2, 2,
                 id="unknown-key"),
    pytest.param("symbols:\n  - symbol: AAPL\n    reference_price: '190.00'\n"
                 "  - symbol: AAPL\n    reference_price: '191.00'\n",
                 "[[symbols]]\nsymbol = 'AAPL'\nreference_price = '190.00'\n\n"
                 "[[symbols]]\nsymbol = 'AAPL'\nreference_price = '191.00'\n",
                 "symbols[1].symbol", "duplicate symbol 'AAPL' (first at symbols[0])", 4, 6, id="unique"),
    pytest.param("symbols:\n  - symbol: AAPL\n", "[[symbols]]\nsymbol = 'AAPL'\n",
                 "symbols[0].reference_price", "is required", 2, 1, id="required"),
    pytest.param("symbols: []\n", "symbols = []\n", "symbols", "must list at least one symbol", 1, 1,
                 id="non-empty"),
    pytest.param("population:\n  cash_min: '10'\n  cash_max: '5'\n",
                 "[population]\ncash_min = '10'\ncash_max = '5'\n",
                 "population.cash_max", "must be >= cash_min", 3, 3, id="section-cross-field"),
    pytest.param("risk:\n  restricted:\n    - AAPL\n    - TSLA\n",
                 "[risk]\nrestricted = [\n  'AAPL',\n  'TSLA',\n]\n",
                 "risk.restricted[1]", "unknown symbol 'TSLA' (symbols: AAPL, MSFT, NVDA, SPY, XOM)", 4, 4,
                 id="document-cross-field"),
    pytest.param("symbols:\n  - {symbol: A, reference_price: '1.00'}\n  - {symbol: B, reference_price: '1.001'}\n",
                 "symbols = [\n  {symbol = 'A', reference_price = '1.00'},\n"
                 "  {symbol = 'B', reference_price = '1.001'},\n]\n",
                 "symbols[1].reference_price",
                 'must be a whole number of cents (the NMS tick), e.g. "190.00"', 3, 3, id="inline-items"),
    pytest.param("venues:\n  - name: XNAS\n    latency_ms: .inf\n",
                 "[[venues]]\nname = 'XNAS'\nlatency_ms = inf\n",
                 "venues[0].latency_ms", "must be a finite number, got '.inf'", 3, 3, id="not-finite"),
]


@pytest.mark.parametrize(("yaml_text", "toml_text", "field", "problem", "yaml_line", "toml_line"), SAME_SECTION)
def test_the_same_section_fails_the_same_way_in_yaml_and_toml(yaml_text, toml_text, field, problem,
                                                              yaml_line, toml_line):
    from_yaml, from_toml = yaml_error(yaml_text), toml_error(toml_text)
    assert (from_yaml.field, from_yaml.line) == (field, yaml_line), from_yaml
    assert (from_toml.field, from_toml.line) == (field, toml_line), from_toml
    if field.endswith("latency_ms"):  # each format shows the value as it was written
        assert from_toml.problem == "must be a finite number, got inf"
    else:
        assert from_yaml.problem == from_toml.problem == problem
    assert str(from_toml) == f"c.toml:{toml_line}: {field}: {from_toml.problem}"


def test_a_scenario_and_live_toml_share_the_risk_section_and_its_errors():
    with pytest.raises(ScenarioError) as scenario:
        parse_scenario("name: x\nrisk:\n  concentration_max_bps: -5\n", "s.yaml")
    with pytest.raises(LiveConfigError) as live:
        parse_live_config("# live\n[risk]\nconcentration_max_bps = -5\n", "live.toml")
    assert (scenario.value.field, scenario.value.problem) == (live.value.field, live.value.problem)
    assert (scenario.value.line, live.value.line) == (3, 3)
    assert str(live.value) == "live.toml:3: risk.concentration_max_bps: must be >= 0, got -5"


def test_the_same_document_builds_the_same_config_from_either_format():
    yaml_text = ("risk: {collar_bps: 100, restricted: [SPY]}\n"
                 "symbols:\n  - {symbol: SPY, reference_price: '560.00'}\n"
                 "venues:\n  - {name: XNAS, taker_fee: 0.003}\n"
                 "rate_limit: {burst: 7}\n")
    toml_text = ("risk = { collar_bps = 100, restricted = ['SPY'] }\n"
                 "[[symbols]]\nsymbol = 'SPY'\nreference_price = '560.00'\n"
                 "[[venues]]\nname = 'XNAS'\ntaker_fee = 0.003\n"  # a TOML float is read through its repr
                 "[rate_limit]\nburst = 7\n")
    from_yaml = build(LiveConfig, read_yaml(yaml_text, "c.yaml"))
    from_toml = build(LiveConfig, read_toml(toml_text, "c.toml"))
    assert from_yaml == from_toml
    assert from_toml.venues[0].taker_fee == 30 and from_toml.risk.max_order_notional == LiveConfig().risk.max_order_notional


# --------------------------------------------------------------------------- scalar typing per format


def test_yaml_keeps_its_tag_rules_and_toml_its_native_types():
    assert build(Session, read_yaml("open: 9:45\nclose: '15:30'\n", "s.yaml")).open == time(9, 45)
    on = build(LiveConfig, read_yaml("symbols: [{symbol: ON, reference_price: 1}]\nrun_dir: 2026\n", "c.yaml"))
    assert (on.symbols[0].symbol, on.run_dir) == ("ON", "2026")  # a YAML str field takes the source text
    assert yaml_error("rate_limit: {burst: '5'}\n").problem == "must be a whole number, got '5'"  # by tag
    assert toml_error("run_dir = 2026\n").problem == "must be text, got 2026"  # a TOML number is not
    assert yaml_error("session:\n  enabled: 'yes'\n").problem == "must be true or false, got 'yes'"
    assert toml_error("[session]\nenabled = 1\n").problem == "must be true or false, got 1"


def test_toml_dates_and_times_are_native_or_text():
    native = build(Session, read_toml("date = 2026-11-25\nopen = 09:45:00\nclose = '15:30'\n", "s.toml"))
    assert (native.date, native.open, native.close) == (date(2026, 11, 25), time(9, 45), time(15, 30))
    assert build(Session, read_toml("date = '2026-11-25'\n", "s.toml")).date == date(2026, 11, 25)
    err = toml_error("\ndate = 2026-11-25T09:30:00\n", Session)
    assert (err.field, err.line) == ("date", 2) and err.problem.startswith("must be a date")
    assert toml_error("open = 930\n", Session).problem == 'must be a time like "09:30", got 930'


def test_containers_are_named_in_the_words_of_the_format():
    assert yaml_error("risk: [1]\n").problem == "must be a mapping, got a list"
    assert toml_error("risk = [1]\n").problem == "must be a table, got an array"
    assert toml_error("symbols = 'AAPL'\n").problem == "must be an array, got 'AAPL'"


def test_an_empty_document_is_the_defaults_in_both_formats():
    assert build(LiveConfig, read_yaml("# nothing\n", "c.yaml")) == LiveConfig() == parse_live_config("")
    with pytest.raises(ScenarioError, match=r"^s\.yaml:1: <document>: file is empty"):
        parse_scenario("", "s.yaml")


def test_syntax_errors_name_their_line():
    err = toml_error("[risk]\ncollar_bps = 1\ncollar_bps = 2\n")
    assert (err.field, err.line) == ("<document>", 3) and err.problem.startswith("TOML syntax error")
    err = yaml_error("risk:\n  collar_bps: [1\n")
    assert err.field == "<document>" and err.line >= 2 and err.problem.startswith("YAML syntax error")


# --------------------------------------------------------------------------- where TOML keys are

LOCATED = [
    pytest.param("# a comment\nrisk.collar_bps = 20000\n", "risk.collar_bps", 2, id="dotted-key"),
    pytest.param("\n\nrisk = { concentration_max_bps = 1, collar_bps = 20000 }\n", "risk.collar_bps", 3,
                 id="inline-table"),
    pytest.param('[ "risk" ]\n"collar_bps" = 20000\n', "risk.collar_bps", 2, id="quoted-keys"),
    pytest.param("# [risk]\n[risk] # [population]\ncollar_bps = 20000 # = 1\n", "risk.collar_bps", 3,
                 id="brackets-in-comments"),
    pytest.param('run_dir = """\n[risk]\ncollar_bps = 1\n"""\n[risk]\ncollar_bps = 20000\n', "risk.collar_bps", 6,
                 id="multi-line-string"),
    pytest.param("run_dir = '''\nx = [\n'''\n\n[risk]\ncollar_bps = 20000\n", "risk.collar_bps", 6,
                 id="multi-line-literal-string"),
    pytest.param('run_dir = "a \\" [risk] b"\n[risk]\ncollar_bps = 20000\n', "risk.collar_bps", 3,
                 id="escaped-quote"),
    pytest.param("[rate_limit]\nburst = 5\n[risk]\ncollar_bps = 200\n[rate_limit2]\n", "rate_limit2", 5,
                 id="unknown-table"),
    pytest.param("[[accounts]]\naccount_id = 'A1'\nclient_id = 'C1'\nadvisor_id = 'V1'\n"
                 "[[accounts]]\naccount_id = 'A2'\nclient_id = 'C2'\nadvisor_id = 'V2'\n"
                 "[[accounts.positions]]\nsymbol = 'AAPL'\nquantity = 1\n"
                 "[[accounts.positions]]\nsymbol = 'TSLA'\nquantity = 1\n",
                 "accounts[1].positions[1].symbol", 13, id="nested-array-of-tables"),
    pytest.param("[venue_link]\nmode = 'fix'\n[[venue_link.sessions]]\nvenue = 'XNAS'\nport = 1\n"
                 "[[venue_link.sessions]]\nvenue = 'XNYS'\nport = 2\n", "venue_link.sessions[1].venue", 7,
                 id="array-of-tables-in-a-table"),
    pytest.param("[[tokens]]\nadvisor_id = 'V'\n\n[[tokens]]\nadvisor_id = 'W'\n", "tokens[0].token", 1,
                 id="not-given-falls-back-to-its-table"),
    pytest.param("[risk]\nrestricted = ['AAPL', 'MSFT',\n  # 'XOM',\n  'TSLA']\n", "risk.restricted[2]", 4,
                 id="multi-line-array"),
]


@pytest.mark.parametrize(("text", "field", "line"), LOCATED)
def test_toml_errors_point_at_the_line_of_the_key(text, field, line):
    err = toml_error(text)
    assert (err.field, err.line) == (field, line), err


def test_the_toml_locator_never_fails_and_falls_back_to_a_parent():
    assert key_lines("[[[") == {}  # not TOML: nothing found, nothing raised
    lines = key_lines("[a]\nb = 1\nc = { d = [1,\n 2] }\n")
    assert lines[("a",)] == 1 and lines[("a", "b")] == 2 and lines[("a", "c", "d")] == 3
    assert lines[("a", "c", "d", 1)] == 4
    assert read_toml("[a]\nb = 1\n", "t").root.value[0][1].value[0][1].line == 2


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("cls", [ConfigError, ScenarioError, LiveConfigError])
def test_errors_are_one_family_of_picklable_value_errors(cls):
    err = cls("f.toml", 3, "risk.collar_bps", "must be <= 10000, got 20000")
    assert isinstance(err, ConfigError) and isinstance(err, ValueError)
    assert str(err) == "f.toml:3: risk.collar_bps: must be <= 10000, got 20000"
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is cls
    assert (again.source, again.line, again.field, again.problem, str(again)) == (
        err.source, err.line, err.field, err.problem, str(err))


def test_each_reader_raises_the_error_class_it_is_given():
    with pytest.raises(LiveConfigError):
        parse_live_config("colour = 1\n")
    with pytest.raises(ScenarioError):
        parse_scenario("name: x\ncolour: 1\n")
    with pytest.raises(LiveConfigError):
        read_toml("x = ", "t", LiveConfigError)
    with pytest.raises(ScenarioError):
        read_yaml("a: [", "t", ScenarioError)


# --------------------------------------------------------------------------- the default market


def test_the_default_scenario_market_is_live_configs_default():
    """Live starts from the default scenario's market; both are written down, so keep them equal."""
    scenario = load_scenario(ROOT / "scenarios" / "trading_day.yaml")
    live = LiveConfig()
    for section in ("symbols", "venues", "risk", "liquidity", "routing"):
        assert getattr(scenario, section) == getattr(live, section), section


# --------------------------------------------------------------------------- any document: parse or ConfigError

_LIVE_KEYS = ["symbols", "venues", "risk", "rate_limit", "accounts", "tokens", "session", "venue_link", "symbol",
              "reference_price", "name", "collar_bps", "restricted", "burst", "cash", "account_id", "advisor_id"]
_SCENARIO_KEYS = ["name", "session", "symbols", "venues", "order_flow", "risk", "services", "agents", "sip",
                  "replay", "crashes", "open", "date", "orders", "gateway", "median_ms", "symbol"]
_TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=0x2FFF, blacklist_categories=("Cs",)), max_size=10)
_COMMON = (st.booleans() | st.integers(-(10**20), 10**20) | st.floats() | _TEXT | st.dates()
           | st.sampled_from(["0.0030", "190.00", "09:30", "2026-11-24", "AAPL", "XNAS", "1_000", "-1", "abc"]))


def _documents(keys: list[str], scalars: st.SearchStrategy) -> st.SearchStrategy:
    key = st.sampled_from(keys) | _TEXT
    return st.dictionaries(key, st.recursive(
        scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(key, inner, max_size=4),
        max_leaves=12), max_size=5)


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _toml_value(key)


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else repr(value)
    if isinstance(value, (int, date, time)):
        return value.isoformat() if isinstance(value, (date, time)) else str(value)
    if isinstance(value, str):
        return json.dumps(value).replace("\x7f", "\\u007f")  # TOML wants DEL escaped; JSON leaves it
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"


def dump_toml(document: dict) -> tuple[str, dict[tuple, int]]:
    """TOML text for ``document`` (tables as ``[a.b]``, lists of tables as ``[[a]]``, the rest inline)
    and the 1-based line each key (and each ``[[a]]`` table) was written on."""
    out: list[str] = []
    where: dict[tuple, int] = {}

    def table(doc: dict, prefix: tuple) -> None:
        nested = []
        for key, value in doc.items():
            if (isinstance(value, dict) and value) or (
                    isinstance(value, list) and value and all(isinstance(v, dict) for v in value)):
                nested.append((key, value))  # after the plain keys, which belong to this table's header
            else:
                out.append(f"{_toml_key(key)} = {_toml_value(value)}")
                where[prefix + (key,)] = len(out)
        for key, value in nested:
            header = ".".join(_toml_key(k) for k in prefix + (key,))
            if isinstance(value, dict):
                out.append(f"[{header}]")
                where[prefix + (key,)] = len(out)
                table(value, prefix + (key,))
                continue
            for i, item in enumerate(value):
                out.append(f"[[{header}]]")
                where[prefix + (key, i)] = len(out)
                for k, v in item.items():
                    out.append(f"{_toml_key(k)} = {_toml_value(v)}")
                    where[prefix + (key, i, k)] = len(out)

    table(document, ())
    return "\n".join(out) + "\n", where


_SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(document=_documents(_LIVE_KEYS, _COMMON | st.times()))
def test_any_toml_document_parses_or_raises_a_live_config_error_with_a_line(document):
    text, where = dump_toml(document)
    try:
        parse_live_config(text, "any.toml")
    except ConfigError as err:
        assert type(err) is LiveConfigError
        assert err.line >= 1 and err.field and err.problem
        assert str(err).startswith(f"any.toml:{err.line}: {err.field}: ")
        if err.problem.startswith("TOML syntax error"):
            return
    found = key_lines(text)
    for path, line in where.items():  # the locator finds every key where the writer put it
        assert found.get(path) == line, (path, text)


@_SETTINGS
@given(document=_documents(_SCENARIO_KEYS, _COMMON | st.none()))
def test_any_yaml_document_parses_or_raises_a_scenario_error_with_a_line(document):
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    try:
        parse_scenario(text, "any.yaml")
    except ConfigError as err:
        assert type(err) is ScenarioError
        assert err.line >= 1 and err.field and err.problem
        assert str(err).startswith(f"any.yaml:{err.line}: {err.field}: ")
    else:
        assert isinstance(parse_scenario(text), Scenario)


@_SETTINGS
@given(document=_documents(_LIVE_KEYS, _COMMON | st.none()))
def test_any_yaml_document_walks_against_the_live_config_too(document):
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    try:
        build(LiveConfig, read_yaml(text, "any.yaml", LiveConfigError))
    except ConfigError as err:
        assert type(err) is LiveConfigError and err.line >= 1
