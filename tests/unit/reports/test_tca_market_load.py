"""reports.tca.load_market reads the run's NBBO and prints per symbol as Arrow columns (no pandas frame):
symbols sorted, each symbol's rows in file order, the session close from the schema metadata."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq

from reports.tca import load_market


def _write(folder, nbbo: dict, prints: dict) -> None:
    meta = {b"twin.session_close_ns": b"500", b"twin.nbbo_source": b"recorded",
            b"twin.prints_source": b"recorded: the replayed day's prints"}
    pq.write_table(pa.table(nbbo).replace_schema_metadata(meta), folder / "market_nbbo.parquet")
    pq.write_table(pa.table(prints).replace_schema_metadata(meta), folder / "market_prints.parquet")


def test_two_symbols_interleaved_are_split_in_file_order(tmp_path):
    _write(tmp_path,
           {"symbol": ["BBB", "AAA", "BBB", "AAA"], "t_ns": [1, 2, 3, 4], "bid": [10, 20, 11, 21],
            "bid_size": [1, 2, 3, 4], "ask": [12, 22, 13, 23], "ask_size": [5, 6, 7, 8]},
           {"symbol": ["AAA", "BBB", "AAA"], "t_ns": [5, 6, 7], "price": [20, 11, 21], "qty": [100, 200, 300]})
    timelines, tape, sources = load_market(tmp_path)
    assert list(timelines) == ["AAA", "BBB"]
    assert timelines["AAA"].t_ns.tolist() == [2, 4] and timelines["BBB"].bid.tolist() == [10, 11]
    assert timelines["BBB"].ask_size.tolist() == [5, 7] and timelines["AAA"].end_ns == 500
    assert {s: {k: v.tolist() for k, v in rows.items()} for s, rows in tape.items()} == {
        "AAA": {"t_ns": [5, 7], "price": [20, 21], "qty": [100, 300]},
        "BBB": {"t_ns": [6], "price": [11], "qty": [200]}}  # int64 numpy columns
    assert sources == {"nbbo_source": "recorded", "prints_source": "recorded: the replayed day's prints"}


def test_one_symbol_and_no_prints(tmp_path):
    _write(tmp_path,
           {"symbol": ["AAA"] * 3, "t_ns": [1, 2, 3], "bid": [10, 11, 12], "bid_size": [1, 1, 1],
            "ask": [11, 12, 13], "ask_size": [2, 2, 2]},
           {"symbol": pa.array([], pa.string()), "t_ns": pa.array([], pa.int64()),
            "price": pa.array([], pa.int64()), "qty": pa.array([], pa.int64())})
    timelines, tape, _ = load_market(tmp_path)
    assert timelines["AAA"].bid.tolist() == [10, 11, 12] and timelines["AAA"].at(2).ask == 12
    assert tape == {}
