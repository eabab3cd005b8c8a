"""The replay venue's fill model, one test per rule of docs/fill_model.md (each test names its rule)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from components.domain.venues import ExecKind, Liquidity
from tests.unit.venues_sim.test_replay_venue import BUY, C, IOC, P, SELL, child, fills, make, quote, trade
from venues_sim.replay import ReplayVenue
from venues_sim.replay_columns import RecordedTables, load_recorded
from venues_sim.replay_format import RecordedDay, ReplayFormatError, write_parquet

TAKER, MAKER = Liquidity.TAKER, Liquidity.MAKER


def test_rule_1_marketable_on_arrival_fills_as_taker_at_the_displayed_price_not_its_limit():
    venue, reports = make([quote(0, P - C, 500, P, 300)])
    venue.submit(child("a", BUY, 200, P + 5 * C), 10)  # limit five cents through the ask
    venue.submit(child("b", SELL, 100, None), 11)  # market sell
    assert fills(reports) == [(10, 200, P, TAKER), (11, 100, P - C, TAKER)]


def test_rule_2_queue_position_behind_displayed_size():
    venue, reports = make([quote(0, P, 300, P + C, 300)], [trade(10, P, 200), trade(20, P, 200)])
    venue.submit(child("a", BUY, 100, P), 5)  # joins the bid behind 300 displayed shares
    venue.advance(15)
    assert fills(reports) == []  # 200 printed: 100 still ahead of us
    venue.advance(25)
    assert fills(reports) == [(20, 100, P, MAKER)]  # the next 200 clear the last 100 ahead, then us


def test_rule_3_fills_from_prints_at_the_resting_order_own_price():
    venue, reports = make([quote(0, P, 100, P + 2 * C, 100)], [trade(10, P + C, 100)])
    venue.submit(child("a", SELL, 100, P + C), 5)  # improves the offer: nothing ahead
    venue.advance(10)
    assert fills(reports) == [(10, 100, P + C, MAKER)]


def test_rule_4_no_fill_worse_than_the_print_for_an_order_resting_through_the_quote():
    # The case: a buy resting above the displayed ask (it took the displayed size) is the aggressor;
    # a print below its limit fills it at the print, as TAKER, never at its own worse limit with a rebate.
    venue, reports = make([quote(0, P - C, 100, P, 100)], [trade(10, P - C, 300)])
    venue.submit(child("a", BUY, 300, P + 33 * C), 5)
    venue.advance(10)
    assert fills(reports) == [(5, 100, P, TAKER), (10, 200, P - C, TAKER)]
    assert all(px <= P + 33 * C and (t == 5 or px == P - C) for t, _, px, _ in fills(reports))


def test_rule_5_partial_fills_and_one_print_is_never_shared_beyond_its_size():
    venue, reports = make([quote(0, P - C, 100, P + C, 100)], [trade(10, P - 2 * C, 150), trade(20, P - 2 * C, 150)])
    venue.submit(child("a", BUY, 100, P), 5)  # improves the bid: first in price priority
    venue.submit(child("b", BUY, 100, P), 6)
    venue.advance(10)
    assert fills(reports) == [(10, 100, P, MAKER), (10, 50, P, MAKER)]  # 150 printed: 150 filled in all
    assert venue.leaves("b") == 50
    venue.advance(20)
    assert fills(reports)[-1] == (20, 50, P, MAKER) and venue.leaves("b") == 0


def test_rule_5_partial_fill_of_a_marketable_order_up_to_the_displayed_size_then_ioc_cancels():
    venue, reports = make([quote(0, P - C, 100, P, 200)])
    venue.submit(child("a", BUY, 500, P, IOC), 5)
    assert fills(reports) == [(5, 200, P, TAKER)]
    assert reports[-1].kind is ExecKind.CANCELED and reports[-1].last_qty == 300


def test_rule_6_latency_an_order_meets_the_book_as_of_its_arrival():
    # Sent at 0 with 50 ns of latency (the gateway's link), it arrives at 50: the quote recorded at 30 applies first.
    venue, reports = make([quote(0, P - C, 100, P, 100), quote(30, P, 100, P + C, 100)])
    venue.submit(child("a", BUY, 100, None), 0 + 50)
    assert fills(reports) == [(50, 100, P + C, TAKER)]


def test_rule_7_a_resting_order_a_later_quote_crosses_takes_it_at_the_quote():
    venue, reports = make([quote(0, P - C, 100, P + C, 100), quote(20, P - 2 * C, 100, P - C, 100)])
    venue.submit(child("a", BUY, 100, P), 5)
    venue.advance(20)
    assert fills(reports) == [(20, 100, P - C, TAKER)]  # at the new ask, better than its limit


def test_rule_8_at_equal_times_the_print_applies_before_the_quote():
    # The print at 10 hit the book displayed before the quote of time 10 (which shows our level gone).
    venue, reports = make([quote(0, P, 100, P + C, 100), quote(10, P - C, 100, P + C, 100)], [trade(10, P, 200)])
    venue.submit(child("a", BUY, 100, P), 5)  # behind 100 displayed
    venue.advance(10)
    assert fills(reports) == [(10, 100, P, MAKER)]


def test_columns_and_rows_replay_the_same_events():
    """The columnar day (what a parquet file becomes) and the row day give the same reports."""
    from venues_sim.synthetic_day import synthetic_day

    day = synthetic_day(4, ticks=80)
    runs = []
    for source in (day, RecordedTables.from_day(day)):
        reports: list = []
        venue = ReplayVenue("XNAS", source, make()[0].fees, ["AAPL"], reports.append)
        for i, t in enumerate(range(day.quotes[0].timestamp_ns, day.quotes[-1].timestamp_ns, 700_000_000)):
            side = BUY if i % 2 == 0 else SELL
            ref = day.quotes[2 * i].bid if side is BUY else day.quotes[2 * i].ask
            venue.submit(_aapl(child(f"c{i}", side, 300, ref)), t)
        venue.end_of_day(day.quotes[-1].timestamp_ns + 1)
        runs.append(reports)
    assert runs[0] == runs[1] and any(r.kind is ExecKind.FILL for r in runs[0])


def _aapl(order):
    from dataclasses import replace

    return replace(order, symbol="AAPL")


def test_parquet_columns_refuse_a_bad_row_naming_it(tmp_path):
    good = RecordedDay((quote(1, P, 100, P + C, 100), quote(2, P, 100, P + C, 100)), ())
    write_parquet(good, tmp_path / "q.parquet", tmp_path / "t.parquet")
    table = pq.read_table(tmp_path / "q.parquet")
    where = table.column_names.index("bid_size")
    pq.write_table(table.set_column(where, "bid_size", pa.array([100, 0])), tmp_path / "q.parquet")  # row 2 bad
    with pytest.raises(ReplayFormatError, match=r"q\.parquet:2: bid_size: an empty bid has price 0 and size 0"):
        load_recorded(tmp_path / "q.parquet", tmp_path / "t.parquet")


def test_parquet_columns_are_sorted_stably_like_the_row_reader(tmp_path):
    rows = (quote(20, P, 100, P + C, 100), quote(10, P, 200, P + C, 100), quote(10, P, 300, P + C, 100))
    write_parquet(RecordedDay(rows, ()), tmp_path / "q.parquet", tmp_path / "t.parquet")
    # write_parquet writes the day's sorted rows: unsort the file to test the reader's sort
    table = pq.read_table(tmp_path / "q.parquet").take(pa.array([2, 0, 1]))
    pq.write_table(table, tmp_path / "q.parquet")
    columns = load_recorded(tmp_path / "q.parquet", tmp_path / "t.parquet")
    assert columns.quotes.column("bid_size").to_pylist() == [200, 300, 100]
    assert columns.quotes.column("timestamp_ns").to_pylist() == [10, 10, 20]
