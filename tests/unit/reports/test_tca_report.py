"""reports.tca: a hand-made run folder (event log rows, NBBO timeline, prints) to per-order TCA and
aggregates; what is analysed, venue attribution, the print tape rule, bad folders."""

from __future__ import annotations

import json
from decimal import Decimal

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from reports import tca as tca_report

D = Decimal


def _event(kind, order_id, t, details=None, side="BUY", qty=300, order_type="MARKET", limit=None, symbol="XYZ"):
    return {"event_type": kind, "order_id": order_id, "timestamp_utc": t, "symbol": symbol, "side": side,
            "quantity": qty, "order_type": order_type, "limit_price": limit, "time_in_force": "DAY",
            "details": json.dumps(details or {}), "policy_decisions": "[]", "trace_id": "T", "actor": "x"}


def _fill(order_id, t, qty, px, fee, venue, liquidity="TAKER", last=False, **kw):
    kind = "OrderFilled" if last else "OrderPartiallyFilled"
    return _event(kind, order_id, t, {"last_qty": qty, "last_px": px, "fee": fee, "venue": venue,
                                      "liquidity": liquidity, "child_id": "C"}, **kw)


def _events():
    return pd.DataFrame([
        # B1: the components.tca worked example (buy 300, 200 filled at two venues, canceled)
        _event("OrderReceived", "B1", 1_000, {"submitted_ns": 500}),
        _event("OrderRouted", "B1", 1_100, {"children": [{"child_id": "C1", "venue": "BATS", "quantity": 150},
                                                         {"child_id": "C2", "venue": "XNAS", "quantity": 150}]}),
        _fill("B1", 2_000, 100, 1_000_200, 30, "XNAS"),
        _fill("B1", 3_000, 100, 1_000_300, 30, "BATS", liquidity="MAKER"),
        _event("OrderCanceled", "B1", 6_000, {"leaves_qty": 100}),
        # S1: a sell limit resting (non-marketable: limit above the bid), never filled
        _event("OrderReceived", "S1", 1_500, {"submitted_ns": 1_400}, side="SELL", qty=50, order_type="LIMIT",
               limit=1_000_500),
        _event("OrderRouted", "S1", 1_600, {"children": [{"child_id": "C3", "venue": "BATS", "quantity": 50}]},
               side="SELL", qty=50, order_type="LIMIT", limit=1_000_500),
        _event("OrderExpired", "S1", 9_000, {"leaves_qty": 50}, side="SELL", qty=50, order_type="LIMIT",
               limit=1_000_500),
        # K1: blocked by risk: never met the market, not analysed
        _event("OrderReceived", "K1", 1_700, {}),
        _event("OrderBlocked", "K1", 1_800, {}),
    ])


def _market(run_dir, prints_source="simulated: test tape"):
    nbbo = pa.table({"symbol": ["XYZ"] * 4, "t_ns": [0, 1_000, 2_500, 5_000],
                     "bid": [999_900, 1_000_000, 1_000_200, 1_000_400], "bid_size": [100, 300, 100, 100],
                     "ask": [1_000_100, 1_000_200, 1_000_400, 1_000_600], "ask_size": [200, 100, 100, 100]})
    meta = {b"twin.session_close_ns": b"10000", b"twin.nbbo_source": b"venue-tops"}
    pq.write_table(nbbo.replace_schema_metadata(meta), run_dir / tca_report.NBBO_FILE)
    prints = pa.table({"symbol": ["XYZ"], "t_ns": [1_500], "price": [1_000_100], "qty": [100]})
    pq.write_table(prints.replace_schema_metadata({b"twin.prints_source": prints_source.encode()}),
                   run_dir / tca_report.PRINTS_FILE)


def test_routed_orders_get_the_hand_computed_metrics(tmp_path):
    _market(tmp_path)
    frame = tca_report.tca_frame(_events(), tmp_path).set_index("order_id")
    assert sorted(frame.index) == ["B1", "S1"]  # the blocked order never met the market
    b1 = frame.loc["B1"]
    assert b1.avg_price == D(1_000_250) and b1.arrival_mid == D(1_000_100) and b1.decision_price == D(1_000_000)
    assert b1.arrival_slippage == D(150) and b1.effective_spread == D(300)
    assert b1.is_total == D(100_060) and b1.is_opportunity == D(50_000) and b1.end_price == D(1_000_500)
    assert b1.done_ns == 6_000 and b1.final_event == "OrderCanceled"
    # Venue: where most shares filled; a tie goes to the first name. Both venues listed.
    assert b1.venue == "BATS" and b1.venues == "BATS,XNAS" and b1.routed_venues == "BATS,XNAS"
    assert b1.size_bucket == "100-499" and b1.order_class == "MARKET"
    # Simulated market: our taker fill (100 @ 1,000,200 at 2,000) joins the tape; the maker fill does not.
    # Window [1000, 6000]: (100 x 1,000,100 + 100 x 1,000,200) / 200 = 1,000,150
    assert b1.market_vwap == D(1_000_150)
    s1 = frame.loc["S1"]
    assert s1.venue == "BATS" and s1.filled_qty == 0 and s1.order_class == "NON_MARKETABLE_LIMIT"
    assert s1.fill_rate == 0.0 and pd.isna(s1.effective_spread_bps)


def test_a_recorded_market_keeps_its_own_prints_only(tmp_path):
    _market(tmp_path, prints_source="recorded: the replayed day's prints")
    frame = tca_report.tca_frame(_events(), tmp_path).set_index("order_id")
    assert frame.loc["B1"].market_vwap == D(1_000_100)


def test_write_tca_writes_exact_money_units_and_aggregates(tmp_path):
    _market(tmp_path)
    section = tca_report.write_tca(tmp_path, _events())
    table = pq.read_table(tmp_path / tca_report.ORDERS_FILE)
    assert table.schema.field("avg_price").type == pa.decimal128(38, 6)
    assert table.schema.field("arrival_ns").type == pa.int64()
    meta = table.schema.metadata
    assert b"positive is a cost" in meta[b"twin.signs"] and meta[b"twin.nbbo_source"] == b"venue-tops"
    assert all(not c.endswith(("_utc", "_at")) for c in table.column_names)  # one naming rule for times: *_ns
    summary = pd.read_parquet(tmp_path / tca_report.SUMMARY_FILE)
    bats = summary[(summary.dimension == "venue") & (summary.group == "BATS")].iloc[0]
    assert bats.orders == 2 and bats.filled_shares == 200 and bats.fill_rate == pytest.approx(200 / 350)
    assert section["orders"] == 2 and section["by_venue"][0]["group"] == "BATS"


def test_size_buckets():
    assert [tca_report.size_bucket(q) for q in (1, 99, 100, 499, 500, 9_999, 10_000)] == [
        "1-99", "1-99", "100-499", "100-499", "500-1999", "5000-9999", "10000+"]
    with pytest.raises(ValueError, match="positive number of shares"):
        tca_report.size_bucket(0)


def test_a_folder_without_the_market_timeline_is_named(tmp_path):
    with pytest.raises(tca_report.TcaInputError, match=r"market_nbbo\.parquet: missing"):
        tca_report.tca_frame(_events(), tmp_path)
    _market(tmp_path)
    pq.write_table(pa.table({"symbol": ["XYZ"], "t_ns": [1]}), tmp_path / tca_report.NBBO_FILE)
    with pytest.raises(tca_report.TcaInputError, match="missing column.*bid"):
        tca_report.tca_frame(_events(), tmp_path)
    (tmp_path / tca_report.NBBO_FILE).write_text("not parquet")
    with pytest.raises(tca_report.TcaInputError, match="not a readable parquet file"):
        tca_report.tca_frame(_events(), tmp_path)


def test_a_timeline_going_back_in_time_names_file_symbol_and_row(tmp_path):
    _market(tmp_path)
    nbbo = pa.table({"symbol": ["XYZ"] * 2, "t_ns": [5, 1], "bid": [1, 1], "bid_size": [1, 1], "ask": [2, 2],
                     "ask_size": [1, 1]})
    pq.write_table(nbbo, tmp_path / tca_report.NBBO_FILE)
    with pytest.raises(tca_report.TcaInputError, match=r"market_nbbo\.parquet: symbol XYZ: .*row 1"):
        tca_report.tca_frame(_events(), tmp_path)


def test_a_run_with_no_routed_order_writes_empty_tables_and_an_empty_review(tmp_path):
    from reports import best_ex_review

    _market(tmp_path)
    blocked = _events().query("order_id == 'K1'")
    section = tca_report.write_tca(tmp_path, blocked)
    assert section["orders"] == 0 and section["by_venue"] == []
    assert tca_report.read_tca_orders(tmp_path).empty
    assert tca_report.plot_tca_by_venue(tca_report.read_tca_orders(tmp_path)) is not None
    path, tests = best_ex_review.write_review(tmp_path)
    assert tests.empty and "0 of 0 comparison(s)" in path.read_text()
    assert "nothing to compare (fewer than two venues in every order class)" in path.read_text()
