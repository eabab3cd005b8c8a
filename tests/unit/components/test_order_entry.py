"""Order entry: each bad field named, valid requests parsed exactly, idempotency kept."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.domain.money import CENT, PRICE_SCALE
from components.domain.orders import OrderSpec, OrderStatus, OrderType, Side, TimeInForce
from components.memory import InMemoryEventLog, ManualClock, SequentialIds
from components.oms import Oms
from components.order_entry import (
    MAX_QUANTITY,
    PRICE_PATTERN,
    REQUEST_FIELDS,
    IdempotencyConflict,
    NotEntitled,
    OrderEntry,
    OrderRequestError,
    parse_order_request,
    parse_price,
)

D = PRICE_SCALE
SYMBOLS = {"AAPL", "MSFT"}
ENTITLED = {("ADV1", "A1"), ("ADV1", "A2"), ("ADV2", "A3")}
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")


def parse(body: Any) -> OrderSpec:
    return parse_order_request(body, SYMBOLS.__contains__)


def bad_fields(body: Any) -> tuple[str, ...]:
    with pytest.raises(OrderRequestError) as info:
        parse(body)
    assert info.value.fields, "an OrderRequestError must name at least one field"
    return info.value.fields


def make_entry() -> tuple[OrderEntry, Oms]:
    oms = Oms(ManualClock(1_000), SequentialIds(), InMemoryEventLog())
    entry = OrderEntry(SYMBOLS.__contains__, lambda adv, acct: (adv, acct) in ENTITLED, oms.create)
    return entry, oms


# -- one bad field at a time ---------------------------------------------------

@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"quantity": "100"}, "quantity"),
        ({"quantity": 1.5}, "quantity"),
        ({"quantity": 100.5}, "quantity"),
        ({"quantity": 1e7}, "quantity"),
        ({"quantity": True}, "quantity"),
        ({"quantity": None}, "quantity"),
        ({"quantity": 0}, "quantity"),
        ({"quantity": -5}, "quantity"),
        ({"quantity": MAX_QUANTITY + 1}, "quantity"),
        ({"side": 3}, "side"),
        ({"side": "buy"}, "side"),
        ({"side": "HOLD"}, "side"),
        ({"order_type": "STOP"}, "order_type"),
        ({"time_in_force": "GTC"}, "time_in_force"),
        ({"symbol": "ZZZZ"}, "symbol"),
        ({"symbol": 42}, "symbol"),
        ({"account_id": 7}, "account_id"),
        ({"account_id": ""}, "account_id"),
        ({"advisor_id": "ADV 1"}, "advisor_id"),
        ({"client_order_id": "x" * 65}, "client_order_id"),
        ({"client_order_id": "-C1"}, "client_order_id"),
        ({"client_order_id": "C1\n"}, "client_order_id"),  # a trailing newline is not an id character
        ({"limit_price": None}, "limit_price"),  # LIMIT needs a price
        ({"limit_price": "190.001"}, "limit_price"),  # sub-penny
        ({"limit_price": "190.0050"}, "limit_price"),
        ({"limit_price": "-190.25"}, "limit_price"),
        ({"limit_price": "0"}, "limit_price"),
        ({"limit_price": "0.00"}, "limit_price"),
        ({"limit_price": "abc"}, "limit_price"),
        ({"limit_price": "NaN"}, "limit_price"),
        ({"limit_price": "Infinity"}, "limit_price"),
        ({"limit_price": True}, "limit_price"),
        ({"limit_price": [190]}, "limit_price"),
        ({"limit_price": "1000000.01"}, "limit_price"),
        ({"limit_price": 190.001}, "limit_price"),
        ({"order_type": "MARKET"}, "limit_price"),  # a MARKET order must not carry a price
    ],
)
def test_a_bad_field_is_named_alone(body, overrides, field):
    assert bad_fields(body(**overrides)) == (field,)


@pytest.mark.parametrize(
    "price",
    [
        "1e-999999999",  # used to underflow to a zero price and be accepted
        "1e999999999",  # used to escape as decimal.Overflow
        "190.00000000000000000000000001",  # used to round silently to 190.00
        "0.001",
        "1E+7",
    ],
)
def test_extreme_decimal_prices_are_field_errors(body, price):
    assert bad_fields(body(limit_price=price)) == ("limit_price",)


def test_unknown_fields_are_each_named(body):
    b = body(colour="red", Quantity=5)
    assert bad_fields(b) == ("Quantity", "colour")


@pytest.mark.parametrize("missing", [f for f in REQUEST_FIELDS if f != "limit_price"])
def test_a_missing_required_field_is_named(body, missing):
    b = body()
    del b[missing]
    fields = bad_fields(b)
    if missing == "order_type":
        assert fields == ("order_type",)  # the price cannot be judged without a type
    else:
        assert fields == (missing,)


def test_every_bad_field_is_reported_at_once(body):
    fields = bad_fields(body(quantity=-1, side="UP", symbol="NOPE", extra=1))
    assert sorted(fields) == ["extra", "quantity", "side", "symbol"]


@pytest.mark.parametrize("not_a_dict", [None, [], "order", 42, [("account_id", "A1")]])
def test_a_body_that_is_not_an_object_is_refused(not_a_dict):
    assert bad_fields(not_a_dict) == ("body",)


# -- valid requests --------------------------------------------------------------

def test_a_valid_limit_request_becomes_the_exact_spec(body):
    assert parse(body()) == OrderSpec(
        account_id="A1",
        symbol="AAPL",
        side=Side.BUY,
        quantity=100,
        order_type=OrderType.LIMIT,
        limit_price=1_902_500,
        time_in_force=TimeInForce.DAY,
        advisor_id="ADV1",
        client_order_id="C-1",
    )


@pytest.mark.parametrize(
    ("given_price", "units"),
    [("190.25", 1_902_500), ("190.2500", 1_902_500), ("190.250", 1_902_500), ("190", 1_900_000),
     ("0.01", CENT), ("0.1", 10 * CENT), ("999999.99", 1_000_000 * D - CENT)],
)
def test_prices_become_exact_units(body, given_price, units):
    assert parse(body(limit_price=given_price)).limit_price == units


@pytest.mark.parametrize("price, problem", [
    ("1e2", "decimal string"), ("1E+2", "decimal string"), (190.25, "decimal string"), (190, "decimal string"),
    ("+190.25", "decimal string"), ("190.", "decimal string"), (".5", "decimal string"), (" 190", "decimal string"),
    ("190.25001", "at most 4 decimal places"), ("190.005", "one-cent tick"), ("0.0000", "positive"),
    ("1000000", "below $1,000,000"), ("0190.25", "leading zeros"),
])
def test_a_price_is_a_plain_decimal_string_and_the_error_says_which_rule(body, price, problem):
    with pytest.raises(OrderRequestError) as refused:
        parse(body(limit_price=price))
    assert refused.value.fields == ("limit_price",) and problem in refused.value.errors[0].problem


@settings(max_examples=500)
@given(st.text(alphabet="0123456789.e-+ ", max_size=12) | st.from_regex(PRICE_PATTERN, fullmatch=True))
def test_a_price_is_accepted_exactly_when_the_published_pattern_matches(price):
    """``PRICE_PATTERN`` is what the OpenAPI document publishes: the server accepts nothing else."""
    try:
        units = parse_price(price)
    except ValueError:
        assert not re.fullmatch(PRICE_PATTERN, price), price
    else:
        assert re.fullmatch(PRICE_PATTERN, price), price
        assert 0 < units < 1_000_000 * D and units % CENT == 0


def test_a_whole_json_number_is_a_quantity_as_json_schema_integer_says(body):
    assert parse(body(quantity=100.0)).quantity == 100 and type(parse(body(quantity=100.0)).quantity) is int


def test_a_market_request_has_no_price(body):
    b = body(order_type="MARKET", side="SELL", time_in_force="IOC")
    del b["limit_price"]
    spec = parse(b)
    assert (spec.order_type, spec.limit_price, spec.side, spec.time_in_force) == (
        OrderType.MARKET, None, Side.SELL, TimeInForce.IOC)


# -- OrderEntry: entitlement and idempotency ---------------------------------

def test_submit_opens_one_order(body):
    entry, oms = make_entry()
    accepted = entry.submit(body(), 1_000)
    assert not accepted.replayed
    assert accepted.order.status is OrderStatus.NEW
    assert list(oms.orders) == [accepted.order.order_id]
    assert entry.lookup("A1", "C-1") is accepted.order


def test_the_same_request_again_is_a_replay_of_the_same_order(body):
    entry, oms = make_entry()
    first = entry.submit(body(), 1_000)
    again = entry.submit(body(limit_price="190.2500"), 2_000)  # same order, price written with 4 places
    assert again.replayed
    assert again.order is first.order
    assert len(oms.orders) == 1


def test_the_same_client_order_id_on_another_account_is_another_order(body):
    entry, oms = make_entry()
    a = entry.submit(body(), 1_000)
    b = entry.submit(body(account_id="A2"), 1_000)
    assert not b.replayed and b.order is not a.order
    assert len(oms.orders) == 2


def test_a_reused_client_order_id_with_a_different_body_is_a_conflict(body):
    entry, oms = make_entry()
    first = entry.submit(body(), 1_000)
    with pytest.raises(IdempotencyConflict):
        entry.submit(body(quantity=101), 2_000)
    assert list(oms.orders) == [first.order.order_id]
    assert entry.lookup("A1", "C-1") is first.order


def test_an_advisor_not_entitled_to_the_account_is_refused(body):
    entry, oms = make_entry()
    with pytest.raises(NotEntitled):
        entry.submit(body(advisor_id="ADV2"), 1_000)
    assert oms.orders == {}
    assert entry.lookup("A1", "C-1") is None


def test_an_invalid_request_opens_nothing(body):
    entry, oms = make_entry()
    with pytest.raises(OrderRequestError):
        entry.submit(body(quantity=0), 1_000)
    assert oms.orders == {}


# -- properties --------------------------------------------------------------------

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.builds(lambda m, e: f"{m}e{e}", st.integers(1, 999), st.integers(-(10**9), 10**9)),
    st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._:-]{0,4}\n?\Z"),
    st.sampled_from(["BUY", "SELL", "MARKET", "LIMIT", "DAY", "IOC", "AAPL", "MSFT", "190.25", "0.01"]),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
keys = st.one_of(st.sampled_from(REQUEST_FIELDS), st.text(max_size=8))


@st.composite
def mutated_bodies(draw):
    body = {
        "account_id": "A1", "symbol": "AAPL", "side": "BUY", "quantity": 100, "order_type": "LIMIT",
        "limit_price": "190.25", "time_in_force": "DAY", "advisor_id": "ADV1", "client_order_id": "C-1",
    }
    for name in draw(st.lists(st.sampled_from(REQUEST_FIELDS), max_size=4, unique=True)):
        action = draw(st.sampled_from(["replace", "delete"]))
        if action == "delete":
            del body[name]
        else:
            body[name] = draw(json_values)
    body.update(draw(st.dictionaries(keys, json_values, max_size=2)))
    return body


any_bodies = st.one_of(mutated_bodies(), st.dictionaries(keys, json_values, max_size=10), json_values)


def assert_well_formed(spec: OrderSpec) -> None:
    """What any accepted request must look like, however it was written."""
    for name in ("account_id", "advisor_id", "client_order_id"):
        assert _ID.fullmatch(getattr(spec, name)), name
    assert spec.symbol in SYMBOLS
    assert isinstance(spec.side, Side) and isinstance(spec.order_type, OrderType)
    assert isinstance(spec.time_in_force, TimeInForce)
    assert type(spec.quantity) is int and 0 < spec.quantity <= MAX_QUANTITY
    if spec.order_type is OrderType.MARKET:
        assert spec.limit_price is None
    else:
        assert type(spec.limit_price) is int
        assert 0 < spec.limit_price <= 1_000_000 * D and spec.limit_price % CENT == 0


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(any_bodies)
def test_any_body_parses_well_formed_or_names_its_bad_fields(b):
    try:
        spec = parse(b)
    except OrderRequestError as exc:
        assert exc.fields
        allowed = set(REQUEST_FIELDS) | {"body"} | ({str(k) for k in b} if isinstance(b, dict) else set())
        assert set(exc.fields) <= allowed
    else:
        assert_well_formed(spec)


submission = st.one_of(
    # valid bodies from a small pool of keys, so replays and conflicts happen
    st.builds(
        lambda account, coid, qty, advisor: {
            "account_id": account, "symbol": "AAPL", "side": "BUY", "quantity": qty, "order_type": "LIMIT",
            "limit_price": "190.25", "time_in_force": "DAY", "advisor_id": advisor, "client_order_id": coid,
        },
        st.sampled_from(["A1", "A2", "A3"]),
        st.sampled_from(["C-1", "C-2", "C-3", "C-4"]),
        st.sampled_from([100, 200]),
        st.sampled_from(["ADV1", "ADV1", "ADV2"]),
    ),
    mutated_bodies(),
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(submission, max_size=25))
def test_no_accepted_order_is_lost_and_none_is_opened_twice(submissions):
    entry, oms = make_entry()
    first_spec: dict[tuple[str, str], OrderSpec] = {}
    accepted: dict[tuple[str, str], Any] = {}
    for i, b in enumerate(submissions):
        try:
            expected_spec = parse(b)
        except OrderRequestError:
            expected_spec = None
        try:
            result = entry.submit(b, 1_000 + i)
        except OrderRequestError:
            assert expected_spec is None
            continue
        except NotEntitled:
            assert expected_spec is not None
            assert (expected_spec.advisor_id, expected_spec.account_id) not in ENTITLED
            continue
        except IdempotencyConflict:
            key = (expected_spec.account_id, expected_spec.client_order_id)
            assert key in first_spec and first_spec[key] != expected_spec
            continue
        key = (result.order.spec.account_id, result.order.spec.client_order_id)
        assert result.order.spec == expected_spec
        assert result.replayed == (key in accepted)
        if result.replayed:
            assert result.order is accepted[key]
        else:
            first_spec[key] = expected_spec
            accepted[key] = result.order
    assert len(oms.orders) == len(accepted)
    for (account, coid), order in accepted.items():
        assert entry.lookup(account, coid) is order
        assert oms.get(order.order_id) is order


price_like = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-10, max_value=2_000_000).map(str),
    st.builds(lambda m, e: f"{m}e{e}", st.integers(1, 999),
              st.one_of(st.integers(-40, 40), st.integers(-(10**9), 10**9))),
    st.builds(lambda whole, zeros, tail: f"{whole}.{'0' * zeros}{tail}",
              st.integers(0, 999_999), st.integers(0, 40), st.integers(0, 9)),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**30), max_value=10**30),
)


@settings(max_examples=500)
@given(price_like)
def test_any_limit_price_is_exact_cent_units_or_a_limit_price_error(price):
    try:
        spec = parse(valid_body_for_price(price))
    except OrderRequestError as exc:
        assert exc.fields == ("limit_price",)
    else:
        assert_well_formed(spec)
        # the units are exactly the dollars written
        from decimal import Decimal
        written = Decimal(repr(price)) if isinstance(price, float) else Decimal(price)
        assert spec.limit_price == written * PRICE_SCALE


def valid_body_for_price(price: Any) -> dict[str, Any]:
    return {
        "account_id": "A1", "symbol": "AAPL", "side": "BUY", "quantity": 100, "order_type": "LIMIT",
        "limit_price": price, "time_in_force": "DAY", "advisor_id": "ADV1", "client_order_id": "C-1",
    }


@settings(max_examples=300)
@given(st.sampled_from(["account_id", "advisor_id", "client_order_id"]),
       st.one_of(st.text(max_size=70), st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._:-]{0,64}\s?\Z")))
def test_an_id_is_kept_verbatim_only_if_it_is_all_id_characters(name, value):
    b = valid_body_for_price("190.25")
    b[name] = value
    try:
        spec = parse(b)
    except OrderRequestError as exc:
        assert exc.fields == (name,)
        assert not _ID.fullmatch(value)
    else:
        assert getattr(spec, name) == value
        assert _ID.fullmatch(value)
