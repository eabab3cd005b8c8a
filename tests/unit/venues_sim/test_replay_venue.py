"""Unit tests for the historical replay venue and its file format."""

from __future__ import annotations

import pytest

from components.domain.orders import OrderType, Side, TimeInForce
from components.domain.venues import ChildOrder, ExecKind, ExecutionReport, Liquidity, Quote, VenueStatus
from venues_sim.fees import MakerTakerFees
from venues_sim.replay import ReplayVenue
from venues_sim.replay_format import RecordedDay, RecordedQuote, RecordedTrade, load_day, write_csv, write_parquet
from venues_sim.synthetic_day import synthetic_day

BUY, SELL = Side.BUY, Side.SELL
DAY, IOC = TimeInForce.DAY, TimeInForce.IOC
C = 100
P = 100 * 10_000
FEES = MakerTakerFees(maker_rebate=20, taker_fee=30)


def child(cid: str, side: Side = BUY, qty: int = 100, price: int | None = P, tif: TimeInForce = DAY) -> ChildOrder:
    kind = OrderType.MARKET if price is None else OrderType.LIMIT
    return ChildOrder(cid, f"O-{cid}", "XNAS", "AAA", side, qty, kind, price, tif)


def quote(t: int, bid: int, bid_size: int, ask: int, ask_size: int, venue: str = "XNAS") -> RecordedQuote:
    return RecordedQuote(t, venue, "AAA", bid, bid_size, ask, ask_size)


def trade(t: int, price: int, size: int, venue: str = "XNAS") -> RecordedTrade:
    return RecordedTrade(t, venue, "AAA", price, size)


def make(quotes=(), trades=()) -> tuple[ReplayVenue, list[ExecutionReport]]:
    reports: list[ExecutionReport] = []
    return ReplayVenue("XNAS", RecordedDay(tuple(quotes), tuple(trades)), FEES, ["AAA"], reports.append), reports


def fills(reports: list[ExecutionReport]) -> list[tuple[int, int, int, Liquidity | None]]:
    return [(r.timestamp_ns, r.last_qty, r.last_px, r.liquidity) for r in reports if r.kind is ExecKind.FILL]


# ------------------------------------------------------------------ the file format


def test_csv_and_parquet_load_the_same_events(tmp_path):
    day = synthetic_day(seed=3, prices={"AAPL": 190 * 10_000, "MSFT": 415 * 10_000})
    write_csv(day, tmp_path / "q.csv", tmp_path / "t.csv")
    write_parquet(day, tmp_path / "q.parquet", tmp_path / "t.parquet")
    from_csv = load_day(tmp_path / "q.csv", tmp_path / "t.csv")
    from_parquet = load_day(tmp_path / "q.parquet", tmp_path / "t.parquet")
    assert from_csv == from_parquet == day
    assert from_csv.venues() == ("ARCX", "XNAS") and from_csv.symbols() == ("AAPL", "MSFT")
    first = (tmp_path / "q.csv").read_text().splitlines()[:2]
    assert first[0] == "timestamp_ns,venue,symbol,bid,bid_size,ask,ask_size"
    assert "." in first[1].split(",")[3]  # a decimal dollar string, not units


def test_csv_rows_are_parsed_exactly_and_sorted_stably(tmp_path):
    (tmp_path / "q.csv").write_text(
        "venue,symbol,timestamp_ns,bid,bid_size,ask,ask_size\n"
        "XNAS,AAA,20,100.01,300,100.02,200\n"
        "XNAS,AAA,10,0,0,100.03,100\n"
    )
    (tmp_path / "t.csv").write_text("timestamp_ns,venue,symbol,price,size\n15,XNAS,AAA,100.0250,100\n")
    day = load_day(tmp_path / "q.csv", tmp_path / "t.csv")
    assert day.quotes == (quote(10, 0, 0, P + 3 * C, 100), quote(20, P + C, 300, P + 2 * C, 200))
    assert day.trades == (trade(15, P + 250, 100),)


@pytest.mark.parametrize("text, problem", [
    ("timestamp_ns,venue,symbol,price,size,extra\n1,X,A,1.00,1,9\n", "columns"),
    ("timestamp_ns,venue,symbol,price,size\n1,X,A,1.00001,1\n", "precision"),
    ("timestamp_ns,venue,symbol,price,size\n1,X,A,1.00,0\n", "must be > 0"),
])
def test_bad_files_are_refused_with_the_problem_named(tmp_path, text, problem):
    (tmp_path / "q.csv").write_text("timestamp_ns,venue,symbol,bid,bid_size,ask,ask_size\n")
    (tmp_path / "t.csv").write_text(text)
    with pytest.raises(ValueError, match=problem):
        load_day(tmp_path / "q.csv", tmp_path / "t.csv")


# ------------------------------------------------------------------ our orders


def test_marketable_order_fills_at_the_quote_up_to_displayed_size_then_rests():
    venue, reports = make([quote(10, P - C, 500, P, 300)])
    venue.submit(child("c1", BUY, 500, P + 2 * C, DAY), 100)
    assert [r.kind for r in reports] == [ExecKind.ACK, ExecKind.FILL]
    assert fills(reports) == [(100, 300, P, Liquidity.TAKER)]
    assert reports[1].fee == 300 * 30 and reports[1].leaves_qty == 200
    assert venue.leaves("c1") == 200  # the DAY remainder rests at its limit
    assert venue.quote("AAA", 100) == Quote("XNAS", "AAA", P - C, 500, 0, 0, 100)  # displayed size taken


def test_ioc_remainder_is_canceled():
    venue, reports = make([quote(10, P - C, 500, P, 300)])
    venue.submit(child("c1", BUY, 500, P, IOC), 100)
    assert fills(reports) == [(100, 300, P, Liquidity.TAKER)]
    assert (reports[-1].kind, reports[-1].last_qty, reports[-1].reason) == (ExecKind.CANCELED, 200, "IOC_REMAINDER")
    assert venue.leaves("c1") == 0


def test_market_order_against_an_empty_side_is_canceled():
    venue, reports = make([quote(10, P - C, 500, 0, 0)])
    venue.submit(child("c1", BUY, 100, None, DAY), 100)
    assert (reports[-1].kind, reports[-1].reason) == (ExecKind.CANCELED, "MARKET_REMAINDER")


def test_taking_does_not_double_count_until_the_next_recorded_quote():
    venue, reports = make([quote(10, P - C, 500, P, 300), quote(200, P - C, 500, P, 300)])
    venue.submit(child("c1", BUY, 300, P, IOC), 100)
    venue.submit(child("c2", BUY, 300, P, IOC), 150)  # same displayed shares: nothing left
    venue.submit(child("c3", BUY, 300, P, IOC), 250)  # a fresh recorded quote: fills again
    assert fills(reports) == [(100, 300, P, Liquidity.TAKER), (250, 300, P, Liquidity.TAKER)]


def test_resting_order_fills_only_after_queue_ahead_volume_prints():
    venue, reports = make(
        [quote(10, P, 300, P + C, 100)],
        [trade(200, P, 100), trade(300, P, 150), trade(400, P, 200), trade(500, P, 500)],
    )
    venue.submit(child("c1", BUY, 200, P, DAY), 100)  # joins behind the 300 displayed at P
    venue.advance(350)
    assert fills(reports) == []  # 250 of the 300 ahead has printed
    venue.advance(450)
    assert fills(reports) == [(400, 150, P, Liquidity.MAKER)]  # 50 finishes the queue, 150 for us
    assert reports[-1].fee == -150 * 20 and reports[-1].leaves_qty == 50
    venue.advance(600)
    assert fills(reports)[-1] == (500, 50, P, Liquidity.MAKER)
    assert venue.leaves("c1") == 0


def test_improving_the_best_queues_behind_nothing_and_trade_through_fills():
    venue, reports = make([quote(10, P - C, 300, P + 2 * C, 100)], [trade(200, P + C, 80), trade(300, P - C, 500)])
    venue.submit(child("c1", BUY, 200, P + C, DAY), 100)  # inside the spread: first in line
    venue.advance(250)
    assert fills(reports) == [(200, 80, P + C, Liquidity.MAKER)]
    venue.advance(350)  # a print below our price went through us: fills at our limit
    assert fills(reports)[-1] == (300, 120, P + C, Liquidity.MAKER)


def test_an_order_resting_through_the_displayed_quote_fills_at_the_print_not_its_worse_limit():
    bid, ask, limit, printed = 183_030_0, 183_040_0, 183_360_0, 183_030_0
    venue, reports = make([quote(10, bid, 500, ask, 100)], [trade(200, printed, 500)])
    venue.submit(child("c1", BUY, 300, limit, DAY), 100)  # takes the 100 displayed; 200 wait
    assert fills(reports) == [(100, 100, ask, Liquidity.TAKER)]
    venue.advance(250)
    assert fills(reports)[-1] == (200, 200, printed, Liquidity.TAKER)  # not 183.36 as a maker
    assert reports[-1].fee == 200 * 30 and venue.leaves("c1") == 0


def test_a_sell_resting_through_the_displayed_bid_fills_at_the_print_too():
    venue, reports = make([quote(10, P, 100, P + C, 500)], [trade(200, P + 3 * C, 400)])
    venue.submit(child("c1", SELL, 300, P - 5 * C, DAY), 100)  # takes the 100 bid at P; 200 wait
    venue.advance(250)
    assert fills(reports) == [(100, 100, P, Liquidity.TAKER), (200, 200, P + 3 * C, Liquidity.TAKER)]


def test_queue_ahead_shrinks_with_displayed_size_and_one_print_is_shared():
    venue, reports = make(
        [quote(10, P, 300, P + C, 100), quote(150, P, 100, P + C, 100)],
        [trade(200, P, 150)],
    )
    venue.submit(child("c1", BUY, 100, P, DAY), 100)  # 300 ahead
    venue.submit(child("c2", BUY, 100, P, DAY), 100)  # 300 ahead, and behind c1
    venue.advance(300)  # cancels ahead shrink both queues to 100; the print's excess is 50
    assert fills(reports) == [(200, 50, P, Liquidity.MAKER)]
    assert (venue.leaves("c1"), venue.leaves("c2")) == (50, 100)


def test_order_behind_the_best_waits_for_its_price_to_be_displayed():
    venue, reports = make(
        [quote(10, P, 300, P + C, 100), quote(300, P - C, 200, P, 100)],
        [trade(200, P - C, 500), trade(400, P - C, 250)],
    )
    venue.submit(child("c1", BUY, 100, P - C, DAY), 100)  # queue at P - C not visible yet
    venue.advance(250)
    assert fills(reports) == []
    venue.advance(500)  # best bid reached our price with 200 ahead; 250 printed
    assert fills(reports) == [(400, 50, P - C, Liquidity.MAKER)]


def test_resting_order_takes_a_later_quote_that_crosses_it():
    venue, reports = make([quote(10, P - C, 100, P + C, 100), quote(200, P - 2 * C, 100, P - C, 60)])
    venue.submit(child("c1", BUY, 100, P, DAY), 100)
    venue.advance(200)
    assert fills(reports) == [(200, 60, P - C, Liquidity.TAKER)]
    assert venue.leaves("c1") == 40


def test_cancel_end_of_day_down_and_rejections():
    venue, reports = make([quote(10, P - C, 100, P + C, 100)], [trade(500, P - C, 1_000)])
    venue.submit(child("c1", BUY, 100, P - C, DAY), 100)
    venue.submit(child("c2", BUY, 100, P - 2 * C, DAY), 100)
    assert venue.cancel("c1", 150) == 100
    assert (reports[-1].kind, reports[-1].reason) == (ExecKind.CANCELED, "CANCEL_REQUESTED")
    venue.cancel("c1", 160)
    assert reports[-1].reason == "TOO_LATE"
    venue.cancel("nope", 160)
    assert reports[-1].reason == "UNKNOWN_ORDER"
    venue.submit(child("c2", BUY, 100, P, DAY), 170)
    assert reports[-1].reason == "DUPLICATE_CHILD_ID"
    venue.set_status(VenueStatus.DOWN)
    venue.submit(child("c3"), 180)
    assert reports[-1].reason == "VENUE_DOWN"
    assert venue.quote("AAA", 190) == Quote("XNAS", "AAA", 0, 0, 0, 0, 190)
    venue.advance(600)  # the print happens while down: ours do not trade
    venue.set_status(VenueStatus.UP)
    assert venue.end_of_day(700) == 1
    assert (reports[-1].child_id, reports[-1].reason, reports[-1].last_qty) == ("c2", "END_OF_DAY", 100)
    assert not fills(reports)
    assert len({r.exec_id for r in reports}) == len(reports)


def test_self_driving_and_quote_feed():
    day = RecordedDay((quote(10, P, 100, P + C, 100), quote(30, P, 200, P + C, 100)), (trade(20, P, 50),))
    published: list[Quote] = []
    venue = ReplayVenue("XNAS", day, FEES, ["AAA"], lambda r: None, published.append)
    scheduled: list[tuple[int, object]] = []
    venue.start(lambda when, cb: scheduled.append((when, cb)))
    while scheduled:
        _, cb = scheduled.pop(0)
        cb()
    assert [(q.timestamp_ns, q.bid_size) for q in published] == [(10, 100), (30, 200)]
    assert venue.next_event_ns() is None


def test_replay_is_deterministic():
    def run() -> list[ExecutionReport]:
        reports: list[ExecutionReport] = []
        day = synthetic_day(seed=11, venues=("XNAS",))
        venue = ReplayVenue("XNAS", day, FEES, ["AAPL"], reports.append)
        start = day.quotes[0].timestamp_ns
        for i in range(40):
            side = BUY if i % 2 else SELL
            q = venue.quote("AAPL", start + i * 400_000_000 + 1)
            px = q.bid if side is BUY else q.ask
            tif = IOC if i % 5 == 0 else DAY
            venue.submit(ChildOrder(f"c{i}", f"o{i}", "XNAS", "AAPL", side, 300, OrderType.LIMIT, px or P, tif),
                         start + i * 400_000_000 + 1)
        venue.end_of_day(start + 10**12)
        return reports

    first = run()
    assert first == run()
    assert any(r.liquidity is Liquidity.MAKER for r in first)
