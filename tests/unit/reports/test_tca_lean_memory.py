"""reports.tca's memory-lean steps (issue 19) give what the former ones gave:

* ``_by_symbol`` slices each symbol's block out of the table (no copy) where the rows come in blocks, and
  filters where they do not: the same rows per symbol, in file order, as filtering every symbol (the
  former way), on symbol columns of every shape (blocks, interleaved, nulls, several chunks);
* ``_print_tapes`` on numpy columns gives the tapes the former Python-list merge gave (kept below);
* ``_Rows`` (records as tuples) gives the frame ``pd.DataFrame(list of dicts)`` gave, dtypes included."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from components import tca
from reports import tca as tca_report

symbols_st = st.lists(st.sampled_from(["AAA", "BBB", "CCC", None]), max_size=30)


def _table(symbols: list, split: int) -> pa.Table:
    n = len(symbols)
    chunks = [symbols[:split], symbols[split:]] if 0 < split < n else [symbols]
    return pa.table({"symbol": pa.chunked_array([pa.array(c, pa.string()) for c in chunks], pa.string()),
                     "t_ns": pa.array(np.arange(n, dtype=np.int64))})


@settings(max_examples=200, deadline=None)
@given(symbols_st, st.booleans(), st.integers(0, 30))
def test_by_symbol_gives_each_symbols_rows_in_file_order(symbols, blocks, split):
    if blocks:  # the written layout: each symbol's rows together
        symbols = sorted(symbols, key=lambda s: (s is None, s or ""))
    table = _table(symbols, split)
    got = list(tca_report._by_symbol(table))
    expected = sorted({s for s in symbols if s is not None})
    assert [s for s, _ in got] == expected
    for symbol, rows in got:
        assert rows.equals(table.filter(pc.equal(table.column("symbol"), symbol)))


def test_by_symbol_reads_a_block_in_place():
    table = _table(["AAA"] * 3 + ["BBB"] * 2, 3)
    (_, aaa), (_, bbb) = tca_report._by_symbol(table)
    times = table.column("t_ns").chunk(0)
    assert tca_report._ints(bbb, "t_ns").tolist() == [3, 4]
    assert tca_report._ints(bbb, "t_ns").ctypes.data == times.buffers()[1].address + 3 * 8  # no copy


def reference_print_tapes(prints: dict, inputs: list, with_own_taker_fills: bool) -> dict:
    """The former ``_print_tapes`` (Python lists, then one stable sort by time)."""
    columns = {s: {k: list(v) for k, v in rows.items()} for s, rows in prints.items()}
    if with_own_taker_fills:
        for order in inputs:
            rows = columns.setdefault(order.symbol, {"t_ns": [], "price": [], "qty": []})
            for f in order.fills:
                if f.liquidity.upper() == "TAKER":
                    rows["t_ns"].append(f.t_ns)
                    rows["price"].append(f.price)
                    rows["qty"].append(f.qty)
    tapes = {}
    for symbol, rows in columns.items():
        order = np.argsort(np.asarray(rows["t_ns"], dtype=np.int64), kind="stable")
        tapes[symbol] = tca.PrintTape(*(np.asarray(rows[k], dtype=np.int64)[order] for k in ("t_ns", "price", "qty")))
    return tapes


print_rows_st = st.lists(st.tuples(st.integers(0, 50), st.integers(1, 10**6), st.integers(1, 500)), max_size=10)
fill_st = st.builds(tca.Fill, st.integers(0, 50), st.integers(1, 100), st.integers(1, 10**6), st.just(0),
                    st.just("X"), st.sampled_from(["TAKER", "MAKER", "taker", ""]))


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(["AAA", "BBB"]), print_rows_st, max_size=2),
       st.lists(st.tuples(st.sampled_from(["AAA", "BBB", "CCC"]), st.lists(fill_st, max_size=3)), max_size=5),
       st.booleans())
def test_print_tapes_are_the_former_merge(prints, orders, with_own):
    inputs = [tca.OrderInput(f"O{k}", symbol, "BUY", 10_000, 0, tuple(fills)) for k, (symbol, fills) in enumerate(orders)]
    as_arrays = {s: {k: np.array([r[j] for r in rows], dtype=np.int64) for j, k in enumerate(("t_ns", "price", "qty"))}
                 for s, rows in prints.items()}
    as_lists = {s: {k: v.tolist() for k, v in rows.items()} for s, rows in as_arrays.items()}
    got, expected = tca_report._print_tapes(as_arrays, inputs, with_own), reference_print_tapes(as_lists, inputs, with_own)
    assert list(got) == list(expected)
    for symbol, tape in expected.items():
        for column in ("t_ns", "price", "qty"):
            assert getattr(got[symbol], column).tolist() == getattr(tape, column).tolist()
            assert getattr(got[symbol], column).dtype == np.int64


value_st = st.one_of(st.none(), st.integers(-10**12, 10**12), st.decimals(allow_nan=False, allow_infinity=False,
                                                                          places=3, min_value=-10**6, max_value=10**6),
                     st.floats(allow_nan=True, allow_infinity=False), st.text(max_size=3), st.booleans())
KEYS = ("order_id", "a", "b", "c", "d")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(KEYS[1:]), value_st), min_size=0, max_size=4),
       st.integers(0, 6), st.booleans(), st.data())
def test_rows_as_tuples_make_the_frame_of_the_dicts(kinds, n, odd_one, data):
    """Each column gets one kind of value (with Nones sometimes), as a TCA column does."""
    records = []
    for k in range(n):
        record = {"order_id": f"O{k}"}
        for key, example in dict(kinds).items():
            record[key] = data.draw(st.sampled_from([example, None]))
        records.append(record)
    if odd_one and records:  # a record with other keys: the dict path
        records[-1] = {**records[-1], "extra": 1}
    rows = tca_report._Rows(len(records))
    for k in reversed(range(len(records))):  # filled out of order, as per symbol
        rows.put(k, records[k])
    pd.testing.assert_frame_equal(rows.frame(), pd.DataFrame(records))


def test_rows_on_tca_records_with_decimal_and_nullable_columns():
    records = [{"order_id": "A", "avg_price": Decimal("1.5"), "decision_ns": None, "fill_rate": 0.5},
               {"order_id": "B", "avg_price": None, "decision_ns": 1_795_530_600_000_000_001, "fill_rate": 1.0}]
    rows = tca_report._Rows(2)
    rows.put(1, records[1])
    rows.put(0, records[0])
    frame = rows.frame()
    # As pd.DataFrame(records), except the time column with a gap: exact ints, not float64's rounding.
    pd.testing.assert_frame_equal(frame.drop(columns="decision_ns"), pd.DataFrame(records).drop(columns="decision_ns"))
    assert frame["decision_ns"].tolist() == [None, 1_795_530_600_000_000_001]
    assert frame["avg_price"].tolist()[0] == Decimal("1.5") and frame.columns.tolist() == list(records[0])
