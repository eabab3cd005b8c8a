"""ReplayVenue.run_ahead (apply the next recorded event at once when the clock is idle until then) and
ReplayVenue.top_reader (the published top read without advancing)."""

from __future__ import annotations

from components.domain.orders import OrderType, Side, TimeInForce
from components.domain.venues import ChildOrder, Quote, VenueStatus
from venues_sim.fees import MakerTakerFees
from venues_sim.replay import ReplayVenue
from venues_sim.replay_format import RecordedDay, RecordedQuote, RecordedTrade

P, C = 100 * 10_000, 100


def _day() -> RecordedDay:
    quotes = tuple(RecordedQuote(t, "XNAS", "AAA", P + i * C, 100 + i, P + (i + 1) * C, 200 + i)
                   for i, t in enumerate((10, 20, 30, 40, 50)))
    return RecordedDay(quotes, (RecordedTrade(35, "XNAS", "AAA", P, 10),))


def _drive(idle_until) -> tuple[list[Quote], list[int], list[int]]:
    """Run the day self-driven; returns (published quotes, times scheduled, times run ahead to)."""
    published: list[Quote] = []
    venue = ReplayVenue("XNAS", _day(), MakerTakerFees(0, 0), ["AAA"], lambda r: None, published.append)
    scheduled: list[tuple[int, object]] = []
    jumped: list[int] = []

    def idle(when: int) -> bool:
        ok = idle_until(when)
        if ok:
            jumped.append(when)
        return ok

    venue.run_ahead(None if idle_until is None else idle)
    venue.start(lambda when, cb: scheduled.append((when, cb)))
    times = []
    while scheduled:
        when, cb = scheduled.pop(0)
        times.append(when)
        cb()
    assert venue.next_event_ns() is None
    return published, times, jumped


def test_running_ahead_publishes_the_same_quotes_with_fewer_scheduler_round_trips():
    plain, plain_times, _ = _drive(None)
    ahead, ahead_times, jumped = _drive(lambda when: when != 40)  # something else is due at 40
    assert ahead == plain and [q.timestamp_ns for q in plain] == [10, 20, 30, 40, 50]
    assert plain_times == [10, 20, 30, 35, 40, 50]  # one round trip per recorded event
    assert ahead_times == [10, 40] and jumped == [20, 30, 35, 50]  # refused at 40: scheduled, not run ahead


def test_top_reader_reads_the_published_top_without_advancing():
    venue = ReplayVenue("XNAS", _day(), MakerTakerFees(0, 0), ["AAA"], lambda r: None)
    read = venue.top_reader("AAA")
    assert read(25) == (0, 0, 0, 0)  # nothing applied yet: reading does not advance the day
    venue.advance(10)
    assert read(10) == (P, 100, P + C, 200)
    venue.submit(ChildOrder("c1", "o1", "XNAS", "AAA", Side.BUY, 200, OrderType.MARKET, None, TimeInForce.IOC), 11)
    assert read(11) == (P, 100, 0, 0)  # our taking emptied the displayed ask
    venue.set_status(VenueStatus.DOWN)
    assert read(12) == (0, 0, 0, 0)
    venue.set_status(VenueStatus.UP)
    q = venue.quote("AAA", 12)
    assert read(12) == (q.bid, q.bid_size, q.ask, q.ask_size)


def test_the_day_columns_are_dropped_once_applied_and_the_venue_still_answers():
    venue = ReplayVenue("XNAS", _day(), MakerTakerFees(0, 0), ["AAA"], lambda r: None)
    venue.advance(45)
    assert len(venue._events[0]) == 6 and venue.next_event_ns() == 50  # still being read
    venue.advance(10**12)
    assert venue.next_event_ns() is None and all(len(c) == 0 for c in venue._events)
    venue.advance(10**12 + 1)  # later calls find the end again
    assert venue.quote("AAA", 10**12 + 2) == Quote("XNAS", "AAA", P + 4 * C, 104, P + 5 * C, 204, 10**12 + 2)
