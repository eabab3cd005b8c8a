"""The orders file of `twin replay` and its strategy hook: exact parsing, one-line errors (also hypothesis)."""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.domain.orders import OrderType, Side, TimeInForce
from components.domain.venues import Quote
from twin.replay_orders import (
    ORDER_COLUMNS,
    EveryNthQuote,
    OrdersFileError,
    StrategyOrder,
    load_strategy,
    quote_listener,
    read_orders,
)

HEADER = ",".join(ORDER_COLUMNS)


def write(tmp_path, *rows: str, header: str = HEADER):
    path = tmp_path / "orders.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def test_csv_rows_parse_exactly_and_sort_stably_by_time(tmp_path):
    path = write(tmp_path,
                 "2026-11-24T14:30:05.25Z,AC-00001,AAPL,buy,300,LIMIT,190.0125,IOC",
                 "1795530600000000000,AC-00002,MSFT,SELL,100,MARKET,,DAY",
                 "2026-11-24T09:30:00-05:00,AC-00003,AAPL,SELL,5,MARKET,,DAY")
    orders = read_orders(path)
    assert [o.row for o in orders] == [3, 4, 2]  # equal times keep file order
    assert orders[0].timestamp_ns == orders[1].timestamp_ns == 1_795_530_600_000_000_000
    assert orders[2].timestamp_ns == 1_795_530_605_250_000_000  # no float rounding of the fraction
    assert orders[2].order == StrategyOrder("AC-00001", "AAPL", Side.BUY, 300, OrderType.LIMIT, 1_900_125,
                                            TimeInForce.IOC)


def test_parquet_orders_take_limits_in_units(tmp_path):
    table = pa.table({"timestamp": pa.array([5, 3], pa.int64()), "account": ["A", "B"], "symbol": ["X", "Y"],
                      "side": ["BUY", "SELL"], "quantity": pa.array([1, 2], pa.int64()),
                      "type": ["LIMIT", "MARKET"], "limit": pa.array([1_900_100, None], pa.int64()),
                      "tif": ["DAY", "DAY"]})
    pq.write_table(table, tmp_path / "o.parquet")
    orders = read_orders(tmp_path / "o.parquet")
    assert [(o.row, o.order.limit_price) for o in orders] == [(2, None), (1, 1_900_100)]


@pytest.mark.parametrize("row, where, problem", [
    ("x,AC-1,AAPL,BUY,1,MARKET,,DAY", "2: timestamp", "must be ns since the epoch or ISO 8601"),
    ("2026-11-24T09:30:00,AC-1,AAPL,BUY,1,MARKET,,DAY", "2: timestamp", "needs a UTC offset"),
    ("1,,AAPL,BUY,1,MARKET,,DAY", "2: account", "is missing"),
    ("1,AC-1,AAPL,HOLD,1,MARKET,,DAY", "2: side", "must be BUY or SELL, got 'HOLD'"),
    ("1,AC-1,AAPL,BUY,1.5,MARKET,,DAY", "2: quantity", "must be a whole number of shares"),
    ("1,AC-1,AAPL,BUY,0,MARKET,,DAY", "2: quantity", "must be > 0"),
    ("1,AC-1,AAPL,BUY,1,STOP,,DAY", "2: type", "must be MARKET or LIMIT"),
    ("1,AC-1,AAPL,BUY,1,LIMIT,,DAY", "2: limit", "a LIMIT order needs a limit price"),
    ("1,AC-1,AAPL,BUY,1,LIMIT,1.00001,DAY", "2: limit", "at most 4 places"),
    ("1,AC-1,AAPL,BUY,1,MARKET,1.00,DAY", "2: limit", "must be empty for a MARKET order"),
    ("1,AC-1,AAPL,BUY,1,MARKET,,GTC", "2: tif", "must be DAY or IOC"),
])
def test_each_bad_field_is_one_line_naming_file_row_and_column(tmp_path, row, where, problem):
    with pytest.raises(OrdersFileError) as caught:
        read_orders(write(tmp_path, row))
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'orders.csv'}:{where}: ") and problem in message, message
    assert "\n" not in message


def test_a_header_that_is_not_the_columns_is_refused(tmp_path):
    with pytest.raises(OrdersFileError, match=r"orders\.csv:1: columns must be .*missing tif; unexpected tiff"):
        read_orders(write(tmp_path, header=HEADER.replace("tif", "tiff")))


_FIELD = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n,\"\x00"),
                 max_size=12)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=st.lists(_FIELD, min_size=len(ORDER_COLUMNS), max_size=len(ORDER_COLUMNS)))
def test_any_row_either_parses_or_is_one_line_naming_row_and_a_column(tmp_path, fields):
    path = write(tmp_path, ",".join(fields))
    try:
        orders = read_orders(path)
    except OrdersFileError as exc:
        message = str(exc)
        assert "\n" not in message
        assert re.match(re.escape(str(path)) + r":2: (" + "|".join(ORDER_COLUMNS) + r"): \S", message), message
    else:
        assert len(orders) == 1 and orders[0].order.quantity > 0


def test_the_example_strategy_orders_every_hundredth_quote_alternating_sides():
    strategy = load_strategy("twin.replay_orders:EveryNthQuote")
    assert isinstance(strategy, EveryNthQuote)
    sent = [o for i in range(1, 401) for o in strategy(Quote("XNAS", "AAPL", 1, 100, 2, 100, i))]
    assert [o.side for o in sent] == [Side.BUY, Side.SELL, Side.BUY, Side.SELL]
    assert {(o.quantity, o.order_type, o.symbol) for o in sent} == {(100, OrderType.MARKET, "AAPL")}


@given(st.integers(1, 9), st.lists(st.integers(0, 12), max_size=40))
def test_every_nth_quote_in_bulk_sends_the_same_orders_on_the_same_quotes(every, asks):
    """Quotes fed as a venue feeds a bulk listener (runs as long as ``bulk_stop`` allows, capped by ``asks``, the
    rest one at a time) give the orders of quotes fed one at a time, on the same quotes."""
    quotes = [Quote("XNAS", "AAPL", 1, 100, 2, 100, i) for i in range(sum(asks) + 30)]
    plain = EveryNthQuote(every)
    expected = [(q.timestamp_ns, o) for q in quotes for o in plain(q)]
    bulk, sent, i = EveryNthQuote(every), [], 0
    for ask in asks + [len(quotes)] * len(quotes):
        if i == len(quotes):
            break
        end = bulk.bulk_stop(None, i, min(len(quotes), i + ask))
        assert i <= end <= min(len(quotes), i + ask)
        if end > i:
            bulk.on_quotes(None, i, end)
            i = end
        else:
            sent += [(quotes[i].timestamp_ns, o) for o in bulk(quotes[i])]
            i += 1
    assert sent == expected and bulk.seen == plain.seen


def test_quote_listener_gives_a_strategy_with_the_bulk_form_that_form_and_feeds_each_quote_as_given():
    seen = []
    strategy = EveryNthQuote(3)
    listener = quote_listener(seen.append, strategy)
    assert listener.bulk_stop(None, 10, 20) == 12 and listener.on_quotes.__self__ is strategy
    listener.on_quotes(None, 10, 12)
    assert strategy.seen == 2 and listener.bulk_stop(None, 12, 20) == 12  # the next quote sends an order
    q = Quote("XNAS", "AAPL", 1, 100, 2, 100, 5)
    listener(q)
    assert seen == [q]
    plain = quote_listener(seen.append, lambda quote: ())  # no bulk form: the callback itself
    assert plain == seen.append


@pytest.mark.parametrize("spec, problem", [
    ("nocolon", "want 'package.module:name'"),
    ("no_such_module_xyz:f", "cannot import 'no_such_module_xyz'"),
    ("twin.replay_orders:missing", "has no 'missing'"),
    ("twin.replay_orders:ORDER_COLUMNS", "is not callable"),
])
def test_a_bad_strategy_name_is_one_line(spec, problem):
    with pytest.raises(ValueError, match=re.escape(problem)):
        load_strategy(spec)


def test_a_subclass_with_its_own_call_sees_every_quote_one_by_one():
    from twin.replay_orders import EveryNthQuote

    class EveryQuote(EveryNthQuote):
        def __call__(self, quote):
            return ()

    assert EveryQuote(every=100).bulk_stop(None, 10, 500) == 10  # no run: each quote as a Quote
    assert EveryNthQuote(every=100).bulk_stop(None, 10, 500) == 10 + 99
