"""reports.tca: the run's orders measured a symbol at a time (``components.tca.orders_tca``) give the rows
that one ``order_tca`` per order gives, in the log's order; the report's TCA figure, drawn from the three
columns it reads, is the same PNG as drawn from the whole table."""

from __future__ import annotations

import json
import random
from decimal import Decimal

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from components import tca
from reports import tca as tca_report
from reports.html import figure_to_data_uri


def _row(kind, order_id, t, symbol, details, side="BUY", qty=100):
    return {"event_type": kind, "order_id": order_id, "timestamp_utc": t, "symbol": symbol, "side": side,
            "quantity": qty, "order_type": "MARKET", "limit_price": None, "time_in_force": "DAY",
            "details": json.dumps(details), "policy_decisions": "[]", "trace_id": "T", "actor": "x"}


def _run(tmp_path, orders=60, seed=3):
    """A run folder: two symbols' NBBO, a tape, and ``orders`` market orders interleaved across the symbols
    and three venues, some partly filled, some not at all."""
    rng = random.Random(seed)
    rows = []
    nbbo = {"symbol": [], "t_ns": [], "bid": [], "bid_size": [], "ask": [], "ask_size": []}
    for symbol, base in (("AAA", 1_000_000), ("BBB", 500_000)):
        for t in range(0, 40_000, 100):
            bid = base + 100 * rng.randint(-5, 5)
            for key, value in zip(nbbo, (symbol, t, bid, rng.randint(1, 9) * 100, bid + 100 * rng.randint(0, 2),
                                         rng.randint(1, 9) * 100)):
                nbbo[key].append(value)
    for k in range(orders):
        symbol, side, qty = rng.choice(("AAA", "BBB")), rng.choice(("BUY", "SELL")), rng.randint(1, 30) * 10
        t = 1_000 + k * 500
        oid = f"O{k}"
        rows.append(_row("OrderReceived", oid, t, symbol, {"submitted_ns": t - rng.randint(0, 900)}, side, qty))
        rows.append(_row("OrderRouted", oid, t + 10, symbol, {"children": [{"child_id": "C", "venue": "XNAS"}]},
                         side, qty))
        left = qty
        for j in range(rng.randint(0, 2)):
            fill = rng.randint(1, left) if left > 1 else left
            left -= fill
            rows.append(_row("OrderFilled" if left == 0 else "OrderPartiallyFilled", oid, t + 20 + j, symbol,
                             {"last_qty": fill, "last_px": (1_000_000 if symbol == "AAA" else 500_000)
                              + 100 * rng.randint(-3, 3), "fee": rng.randint(-5, 5),
                              "venue": rng.choice(("XNAS", "ARCX", "BATS")), "liquidity": "TAKER"}, side, qty))
            if left == 0:
                break
        if left:
            rows.append(_row("OrderCanceled", oid, t + 300, symbol, {}, side, qty))
    meta = {b"twin.session_close_ns": b"40000", b"twin.nbbo_source": b"venue-tops"}
    pq.write_table(pa.table(nbbo).replace_schema_metadata(meta), tmp_path / tca_report.NBBO_FILE)
    prints = pa.table({"symbol": ["AAA", "BBB", "AAA"], "t_ns": [1_200, 3_000, 9_000],
                       "price": [1_000_100, 500_000, 999_900], "qty": [100, 200, 300]})
    pq.write_table(prints.replace_schema_metadata({b"twin.prints_source": b"simulated: test"}),
                   tmp_path / tca_report.PRINTS_FILE)
    return pd.DataFrame(rows)


def _cell(value):
    """A frame cell as comparable text: the frame holds a column with empty cells as floats (NaN)."""
    if value is None or (isinstance(value, float) and value != value):
        return "None"
    if isinstance(value, Decimal):
        return repr(value)  # digits and exponent
    return repr(value) if isinstance(value, (bool, str)) else repr(float(value))


def test_symbol_batches_give_one_order_at_a_time_rows_in_log_order(tmp_path, monkeypatch):
    monkeypatch.setattr(tca_report, "TCA_BATCH", 7)  # several batches per symbol, the last one short
    events = _run(tmp_path)
    frame = tca_report.tca_frame(events, tmp_path)
    timelines, prints, _ = tca_report.load_market(tmp_path)
    inputs, _facts = tca_report.order_inputs(events)
    tapes = tca_report._print_tapes(prints, inputs, True)
    assert {o.symbol for o in inputs} == {"AAA", "BBB"} and len(inputs) == 60
    for row, order in zip(frame.to_dict("records"), inputs):
        want = tca.order_tca(order, timelines[order.symbol], tapes.get(order.symbol)).to_record()
        assert [(k, _cell(row[k])) for k in want] == [(k, _cell(v)) for k, v in want.items()]
    assert frame["order_id"].tolist() == [o.order_id for o in inputs]
    assert frame["filled_qty"].gt(0).any() and frame["filled_qty"].eq(0).any()


def test_the_tca_figure_from_its_three_columns_is_the_figure_from_the_whole_table(tmp_path):
    events = _run(tmp_path)
    tca_report.write_tca(tmp_path, events)
    whole = tca_report.read_tca_orders(tmp_path)
    chosen = tca_report.read_tca_orders(tmp_path, tca_report.PLOT_COLUMNS)
    assert list(chosen.columns) == list(tca_report.PLOT_COLUMNS) and len(chosen) == len(whole) == 60
    assert isinstance(whole["avg_price"].dropna().iloc[0], Decimal)  # what the whole read pays for
    assert figure_to_data_uri(tca_report.plot_tca_by_venue(chosen)) == \
        figure_to_data_uri(tca_report.plot_tca_by_venue(whole))


def test_columns_of_a_run_without_orders_read_as_an_empty_frame(tmp_path):
    _run(tmp_path)
    tca_report.write_tca(tmp_path, _run(tmp_path, orders=0).iloc[0:0])
    assert tca_report.read_tca_orders(tmp_path, tca_report.PLOT_COLUMNS).empty
