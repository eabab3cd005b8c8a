"""DBN import: files written with the databento-dbn package's own encoder, read back with numpy."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import databento_dbn as dbn
import numpy as np
import pyarrow.parquet as pq
import pytest

from twin.cli import main
from venues_sim.importers import Options, import_day
from venues_sim.importers.dbn import MBP1, TRADE
from venues_sim.replay_format import ReplayFormatError

T0 = 1_795_530_600_000_000_000
PX = 10**9  # DBN prices are 1e-9 dollars


def metadata(schema, mapped: bool = True) -> bytes:
    mapping = SimpleNamespace(raw_symbol="AAPL", intervals=[SimpleNamespace(
        start_date=datetime.date(2026, 11, 24), end_date=datetime.date(2026, 11, 25), symbol="7")])
    return dbn.Metadata(dataset="XNAS.ITCH", start=T0, stype_in=dbn.SType.RAW_SYMBOL,
                        stype_out=dbn.SType.INSTRUMENT_ID, schema=schema, symbols=["AAPL"], partial=[],
                        not_found=[], mappings=[mapping] if mapped else [], end=T0 + 10**12).encode()


def mbp1(t: int, bid: float, ask: float, action=dbn.Action.ADD, price: int = 0, size: int = 100,
         publisher: int = 2) -> bytes:
    level = dbn.BidAskPair(bid_px=round(bid * PX), ask_px=round(ask * PX), bid_sz=200, ask_sz=300, bid_ct=1,
                           ask_ct=1)
    return bytes(dbn.MBP1Msg(publisher_id=publisher, instrument_id=7, ts_event=t - 1, price=price or round(bid * PX),
                             size=size, action=action, side=dbn.Side.BID, depth=0, ts_recv=t, levels=level))


def trade(t: int, price: float, size: int = 100) -> bytes:
    return bytes(dbn.TradeMsg(publisher_id=2, instrument_id=7, ts_event=t - 1, price=round(price * PX), size=size,
                              action=dbn.Action.TRADE, side=dbn.Side.ASK, depth=0, ts_recv=t))


def test_the_record_layouts_match_the_packages_decoder():
    data = metadata(dbn.Schema.MBP_1) + mbp1(T0, 190.00, 190.02) + mbp1(T0 + 5, 190.01, 190.02)
    decoder = dbn.DBNDecoder()
    decoder.write(data)
    decoded = decoder.decode()[1:]
    records = np.frombuffer(data[-2 * MBP1.itemsize:], dtype=MBP1)
    for ours, theirs in zip(records, decoded):
        assert (int(ours["ts_recv"]), int(ours["bid_px"]), int(ours["ask_px"]), int(ours["bid_sz"]),
                int(ours["ask_sz"]), int(ours["instrument_id"]), int(ours["publisher_id"])) == (
            theirs.ts_recv, theirs.bid_px_00, theirs.ask_px_00, theirs.bid_sz_00, theirs.ask_sz_00,
            theirs.instrument_id, theirs.publisher_id)
    assert TRADE.itemsize == len(trade(T0, 190.0)) and MBP1.itemsize == len(mbp1(T0, 1, 2))


def test_an_mbp1_file_gives_quotes_and_its_trades(tmp_path):
    path = tmp_path / "day.dbn"
    path.write_bytes(metadata(dbn.Schema.MBP_1) + mbp1(T0, 190.00, 190.02) + mbp1(T0 + 5, 190.00, 190.02)
                     + mbp1(T0 + 9, 190.01, 190.02, action=dbn.Action.TRADE, price=190_020_000_000, size=50)
                     + mbp1(T0 + 12, 190.03, 190.02))  # crossed: the bid changed, the ask is older
    meta = import_day("dbn", [path], tmp_path / "day")
    quotes = pq.read_table(tmp_path / "day" / "quotes.parquet").to_pylist()
    assert [(q["venue"], q["symbol"], q["bid"], q["ask"]) for q in quotes] == [
        ("XNAS", "AAPL", 1900000, 1900200), ("XNAS", "AAPL", 1900100, 1900200), ("XNAS", "AAPL", 1900300, 0)]
    trades = pq.read_table(tmp_path / "day" / "trades.parquet").to_pylist()
    assert [(t["timestamp_ns"], t["price"], t["size"]) for t in trades] == [(T0 + 9, 1900200, 50)]
    assert meta["cleaned"]["records_without_top_of_book_change"] == 1 and meta["cleaned"]["crossed_rows"] == 1


def test_a_trades_file_and_the_venue_override(tmp_path):
    path = tmp_path / "t.dbn"
    path.write_bytes(metadata(dbn.Schema.TRADES) + trade(T0, 190.00) + trade(T0 + 3, 190.01, 200))
    meta = import_day("dbn", [path], tmp_path / "day",
                      options=Options(venue="XNGS"))
    assert meta["summary"]["trades"] == 2 and meta["summary"]["quotes"] == 0
    assert meta["summary"]["venues"] == ["XNGS"]


@pytest.mark.parametrize("content, expected", [
    (b"", "empty file"),
    (b"PAR1 not dbn at all", "not a DBN file"),
    (metadata(dbn.Schema.MBP_1) + mbp1(T0, 190, 190.02)[:-8], ":1: truncated"),
    (metadata(dbn.Schema.MBO), ": schema: must be mbp-1, tbbo or trades, got mbo"),
    (metadata(dbn.Schema.MBP_1) + mbp1(T0 + 5, 190, 190.02) + mbp1(T0, 190, 190.02),
     ":2: ts_recv: time goes backwards"),
    (metadata(dbn.Schema.MBP_1) + mbp1(T0, 190.00001, 190.02), ":1: bid_px: is finer than $0.0001"),
    (metadata(dbn.Schema.MBP_1, mapped=False) + mbp1(T0, 190, 190.02), ":1: instrument_id: instrument 7 has no"),
    (metadata(dbn.Schema.MBP_1) + trade(T0, 190) * 5, ":1: rtype: expected only mbp-1 records"),
    (metadata(dbn.Schema.TRADES) + trade(T0, 190, size=0), ":1: size: a trade needs price and size > 0"),
])
def test_a_bad_dbn_file_is_one_line(tmp_path, capsys, content, expected):
    path = tmp_path / "bad.dbn"
    path.write_bytes(content)
    status = main(["market", "import", "dbn", str(path), "--out", str(tmp_path / "day")])
    err = capsys.readouterr().err
    assert status == 2 and err.startswith(f"invalid: {path}") and expected in err, err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_a_zstd_file_is_refused_with_the_way_out(tmp_path):
    path = tmp_path / "day.dbn.zst"
    path.write_bytes(b"\x28\xb5\x2f\xfd" + b"\0" * 20)
    with pytest.raises(ReplayFormatError, match="zstd -d"):
        import_day("dbn", [path], tmp_path / "day")
