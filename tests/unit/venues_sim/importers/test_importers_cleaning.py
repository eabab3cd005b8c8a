"""The shared cleaning policy, checked by hand on tiny feeds: carry forward, crossed, locked, stale, NBBO venues."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from venues_sim.importers import Action, Options, Policy, import_day

HEADER = "timestamp_ns,venue,symbol,side,price,size\n"
T0 = 1_795_530_600_000_000_000


def feed(tmp_path, rows: list[str], name: str = "q.csv"):
    path = tmp_path / name
    path.write_text(HEADER + "".join(f"{T0 + i},{row}\n" for i, row in enumerate(rows)))
    return path


def quotes(day) -> list[tuple]:
    table = pq.read_table(day / "quotes.parquet")
    return [(r["venue"], r["bid"], r["bid_size"], r["ask"], r["ask_size"]) for r in table.to_pylist()]


ROWS = ["XNAS,AAPL,B,190.00,100", "XNAS,AAPL,A,190.02,200", "XNAS,AAPL,B,190.03,100",  # crossed: ask older
        "XNAS,AAPL,A,190.05,300", "XNAS,AAPL,B,190.05,100"]  # locked: ask older


def test_the_other_side_is_carried_and_a_crossed_or_locked_venue_loses_its_older_side(tmp_path):
    meta = import_day("one-sided", [feed(tmp_path, ROWS)], tmp_path / "day")
    assert quotes(tmp_path / "day") == [
        ("XNAS", 1900000, 100, 0, 0), ("XNAS", 1900000, 100, 1900200, 200),
        ("XNAS", 1900300, 100, 0, 0),  # 190.03 bid crosses the older 190.02 ask: the ask is unknown
        ("XNAS", 1900300, 100, 1900500, 300), ("XNAS", 1900500, 100, 0, 0)]
    assert meta["cleaned"]["crossed_rows"] == 1 and meta["cleaned"]["locked_rows"] == 1
    assert meta["cleaned"]["sides_cleared"] == 2 and meta["summary"]["crossed_share"] == 0.0


def test_drop_leaves_the_rows_out_and_keep_keeps_them_counted(tmp_path):
    dropped = import_day("one-sided", [feed(tmp_path, ROWS)], tmp_path / "d",
                         policy=Policy(Action.DROP, Action.DROP))
    assert len(quotes(tmp_path / "d")) == 3 and dropped["cleaned"]["rows_dropped"] == 2
    kept = import_day("one-sided", [feed(tmp_path, ROWS)], tmp_path / "k", policy=Policy(Action.KEEP, Action.KEEP))
    assert kept["cleaned"]["crossed_kept"] == 1 and kept["cleaned"]["locked_kept"] == 1
    assert kept["summary"]["crossed_share"] == pytest.approx(1 / 5)
    assert kept["summary"]["locked_share"] == pytest.approx(1 / 5)


def test_a_cleared_side_stays_unknown_until_its_next_update(tmp_path):
    rows = ["XNAS,AAPL,A,190.02,200", "XNAS,AAPL,B,190.03,100", "XNAS,AAPL,B,190.01,100", "XNAS,AAPL,A,190.04,100"]
    import_day("one-sided", [feed(tmp_path, rows)], tmp_path / "day")
    assert [q[3] for q in quotes(tmp_path / "day")] == [1900200, 0, 0, 1900400]


def test_a_side_older_than_stale_after_becomes_unknown(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text(HEADER + f"{T0},XNAS,AAPL,B,190.00,100\n{T0 + 5 * 10**9},XNAS,AAPL,A,190.02,100\n")
    meta = import_day("one-sided", [path], tmp_path / "day", policy=Policy(stale_after_ns=2 * 10**9))
    assert quotes(tmp_path / "day")[1] == ("XNAS", 0, 0, 1900200, 100)
    assert meta["cleaned"]["stale_sides"] == 1


def test_venues_are_separate_and_a_withdrawn_side_is_empty(tmp_path):
    rows = ["XNAS,AAPL,B,190.00,100", "ARCX,AAPL,A,189.99,100", "XNAS,AAPL,B,0,0"]
    import_day("one-sided", [feed(tmp_path, rows)], tmp_path / "day")  # ARCX's ask never meets XNAS's bid
    assert quotes(tmp_path / "day") == [("XNAS", 1900000, 100, 0, 0), ("ARCX", 0, 0, 1899900, 100),
                                        ("XNAS", 0, 0, 0, 0)]


def test_a_consolidated_feed_models_venues_only_while_they_hold_a_side(tmp_path):
    rows = ["XNAS,AAPL,B,190.00,100", "ARCX,AAPL,A,190.02,200", "BATS,AAPL,B,190.01,300"]
    meta = import_day("nbbo", [feed(tmp_path, rows)], tmp_path / "day")
    assert quotes(tmp_path / "day") == [
        ("XNAS", 1900000, 100, 0, 0), ("ARCX", 0, 0, 1900200, 200),
        ("BATS", 1900100, 300, 0, 0), ("XNAS", 0, 0, 0, 0)]  # XNAS lost the bid: unknown, not a stale 190.00
    assert meta["source"]["per_venue_quotes"] is False and "unknown" in meta["source"]["notes"][0]


def test_symbol_and_date_filters_are_counted(tmp_path):
    rows = ["XNAS,AAPL,B,190.00,100", "XNAS,MSFT,B,400.00,100"]
    meta = import_day("one-sided", [feed(tmp_path, rows)], tmp_path / "day", Options(symbols=("AAPL",)))
    assert meta["summary"]["symbols"] == ["AAPL"] and meta["cleaned"]["rows_other_symbols"] == 1
    from datetime import date

    meta = import_day("one-sided", [feed(tmp_path, rows)], tmp_path / "d2", Options(date=date(2026, 11, 25)))
    assert meta["cleaned"]["rows_outside_date"] == 2 and meta["summary"]["quotes"] == 0


def test_a_two_sided_csv_clears_the_side_that_did_not_change(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text("timestamp,venue,symbol,bid,bid_size,ask,ask_size\n"
                    "2026-11-24T09:30:00-05:00,XNAS,AAPL,190.00,100,190.02,100\n"
                    "2026-11-24T09:30:01-05:00,XNAS,AAPL,190.03,100,190.02,100\n"
                    "2026-11-24T09:30:02-05:00,XNAS,AAPL,190.04,100,190.03,100\n")
    meta = import_day("csv", [path], tmp_path / "day")
    assert quotes(tmp_path / "day") == [("XNAS", 1900000, 100, 1900200, 100), ("XNAS", 1900300, 100, 0, 0),
                                        ("XNAS", 0, 0, 0, 0)]  # both changed and crossed: both unknown
    assert pq.read_table(tmp_path / "day" / "quotes.parquet").column("timestamp_ns")[0].as_py() == T0
    assert meta["cleaned"]["crossed_rows"] == 2


def test_a_two_sided_consolidated_feed_names_each_sides_holder(tmp_path):
    path = tmp_path / "nbbo.csv"
    path.write_text("timestamp_ns,symbol,bid,bid_size,bid_venue,ask,ask_size,ask_venue\n"
                    f"{T0},AAPL,190.00,100,XNAS,190.02,200,ARCX\n"
                    f"{T0 + 1},AAPL,190.01,300,BATS,190.02,200,ARCX\n"
                    f"{T0 + 2},AAPL,190.01,300,BATS,0,0,\n")  # the offer is gone: nobody holds it
    meta = import_day("nbbo", [path], tmp_path / "day")
    assert quotes(tmp_path / "day") == [
        ("XNAS", 1900000, 100, 0, 0), ("ARCX", 0, 0, 1900200, 200),
        ("BATS", 1900100, 300, 0, 0), ("XNAS", 0, 0, 0, 0), ("ARCX", 0, 0, 0, 0)]
    assert meta["source"]["per_venue_quotes"] is False and meta["summary"]["venues"] == ["ARCX", "BATS", "XNAS"]
