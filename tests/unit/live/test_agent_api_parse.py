"""The agent API's proposal parser agrees with the published request schema: a body the schema refuses
is refused, naming a field, and a body the parser accepts is one the schema accepts."""

from __future__ import annotations

import jsonschema
from hypothesis import given, settings
from hypothesis import strategies as st

from components.domain.orders import Side
from live.entrypoints.agent_api import PROPOSAL_REQUEST_SCHEMA, parse_proposal

VALID = {"proposal_id": "P-1", "household_id": "HH-1",
         "trades": [{"account_id": "ACCT-1", "symbol": "AAPL", "side": "SELL", "quantity": 7, "est_price": "190.25"}]}


def parse(body):
    return parse_proposal(body, "ADV-1", {"AAPL"}.__contains__, 99)


def test_a_valid_body_becomes_the_advisors_proposal_with_exact_prices():
    got = parse(VALID)
    assert got.advisor_id == "ADV-1" and got.as_of_ns == 99
    (t,) = got.trades
    assert (t.side, t.quantity, t.est_price) == (Side.SELL, 7, 1_902_500)


def test_each_problem_is_named():
    bad = {"proposal_id": "bad id", "trades": [{"account_id": "A", "symbol": "MSFT", "side": "BUY", "quantity": 1,
                                                "est_price": None, "colour": "red"}]}
    fields = {f for f, _ in parse(bad)}
    assert fields == {"proposal_id", "trades[0].symbol", "trades[0].est_price", "trades[0].colour"}
    assert parse([]) == [("body", "must be a JSON object")]


scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 2_000_000), st.text(max_size=8),
                    st.sampled_from(["AAPL", "BUY", "SELL", "190.25", "190.001", "drift", "P-1", "ACCT-1", 153.0, 0.5]),
                    st.lists(st.integers(), max_size=1), st.dictionaries(st.text(max_size=2), st.integers(), max_size=1))
trade = st.dictionaries(st.sampled_from(["account_id", "symbol", "side", "quantity", "reason", "est_price", "x"]),
                        scalars, max_size=7)
body = st.fixed_dictionaries({}, optional={"proposal_id": scalars, "household_id": scalars, "summary": scalars,
                                           "trades": st.lists(trade, max_size=3), "extra": scalars})


@settings(max_examples=300, deadline=None)
@given(body)
def test_the_parser_refuses_whatever_the_schema_refuses(candidate):
    got = parse(candidate)
    valid = jsonschema.Draft202012Validator(PROPOSAL_REQUEST_SCHEMA).is_valid(candidate)
    if isinstance(got, list):
        assert got and all(isinstance(f, str) and f and p for f, p in got)
    else:
        assert valid, f"accepted a body the published schema refuses: {candidate!r}"
    if not valid:
        assert isinstance(got, list)
    elif all(t.get("symbol") == "AAPL" for t in candidate["trades"]):  # the one configured symbol
        assert not isinstance(got, list), f"refused a body the published schema accepts: {got}"


def test_a_whole_number_written_as_a_float_is_that_integer():
    (t,) = parse({"proposal_id": "P", "trades": [{"account_id": "A", "symbol": "AAPL", "side": "BUY",
                                                  "quantity": 153.0}]}).trades
    assert t.quantity == 153 and type(t.quantity) is int
