"""The market timeline's check after a market maker's ladder: a ladder is one quote update (as an exchange
applies a mass quote), checked once after its last order. The tops between its orders, at the same instant,
were never in force, so leaving them out must never change the quote in force at any time.

Two identical worlds (three venues, a maker on each through the timeline's participant fronts, our child
orders, participants' orders that the ladders pick off, outages and stale books) get the same random
sequence of operations; the reference sends each ladder order by order (a check after every order, as
before ladders were atomic). The quote in force at every instant (the last row at each time, repeats
dropped), the tapes and the books must be equal.
"""

from __future__ import annotations

import dataclasses
from functools import partial
from types import SimpleNamespace
from unittest import mock

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from components.domain.orders import OrderType, Side, TimeInForce
from components.domain.venues import ChildOrder, VenueStatus
from twin.market_recorder import MarketTimeline
from venues_sim.fees import FixedFee
from venues_sim.liquidity import FairValue, MarketMaker
from venues_sim.stress import StaleBook, VenueCondition
from venues_sim.venue import SimVenue, plain_agent_ladder

T = 100
P = 100 * 10_000
SEC = 1_000_000_000
NAMES = ("A", "B", "C")


class Clock:
    def __init__(self):
        self.t = 0

    def now_ns(self):
        return self.t


class World:
    def __init__(self, atomic: bool, levels: int, spread: int):
        self.clock = Clock()
        self.venues = {n: SimVenue(n, FixedFee(0), ["XYZ"], lambda r: None) for n in NAMES}
        fair = FairValue(P, 300.0, np.random.default_rng(3))
        self.makers = [MarketMaker(v, "XYZ", fair, np.random.default_rng(20 + i), spread, 200, levels, f"MM{i}",
                                   draws_ahead=4) for i, v in enumerate(self.venues.values())]
        self.timeline = MarketTimeline(self.venues, ["XYZ"], open_ns=0, close_ns=10**15)
        self.timeline._clock = self.clock
        self.timeline._front_participants(SimpleNamespace(venues=self.venues, makers=self.makers, noise=[]))
        self.fronts = [m.venue for m in self.makers]
        self.atomic = atomic
        self.stale = {n: StaleBook() for n in NAMES}
        self.seq = 0

    def apply(self, op: tuple, now: int) -> None:
        self.clock.t = now
        kind = op[0]
        if kind == "requote":
            if self.atomic:
                self.makers[op[1]].requote(now)
            else:  # the reference: each order of the ladder on its own, with its own check
                front = self.fronts[op[1]]
                with mock.patch.object(front, "requote_agent_ladder", partial(plain_agent_ladder, front), create=True):
                    self.makers[op[1]].requote(now)
        elif kind == "agent":
            _, v, buy, qty, offset, market = op
            self.seq += 1
            self.fronts[v].submit_agent_order(f"N-{self.seq}", "NOISE", "XYZ", Side.BUY if buy else Side.SELL, qty,
                                              None if market else P + offset * T,
                                              TimeInForce.IOC if market else TimeInForce.DAY, now)
        elif kind == "ours":
            _, v, buy, qty, offset = op
            self.seq += 1
            venue = self.venues[NAMES[v]]
            venue.submit(ChildOrder(f"C{self.seq}", f"O{self.seq}", venue.name, "XYZ",
                                    Side.BUY if buy else Side.SELL, qty, OrderType.LIMIT, P + offset * T,
                                    TimeInForce.DAY), now)
            self.timeline.touch("XYZ")
        elif kind == "status":
            self.venues[NAMES[op[1]]].set_status(VenueStatus.DOWN if op[2] else VenueStatus.UP)
        elif kind == "stale":
            venue, stale = self.venues[NAMES[op[1]]], self.stale[NAMES[op[1]]]
            if stale in venue.conditions:
                venue.remove_condition(stale, now)
            else:
                venue.add_condition(stale, now)
        elif kind == "poll":
            self.timeline.check("XYZ", now)

    def state(self) -> tuple:
        rows = {k: list(v) for k, v in self.timeline.nbbo["XYZ"].items()}
        tapes = [(list(t.times), list(t.prices), list(t.quantities), t.orders)
                 for tapes in self.timeline._tapes for t in tapes.values()]
        books = [v.book("XYZ").depth(100) for v in self.venues.values()]
        return rows, tapes, books


def in_force(rows: dict) -> list[tuple]:
    """The quote in force from each instant on: the last row at each time, rows equal to the one before dropped."""
    last: dict[int, tuple] = {}
    for t, *top in zip(rows["t_ns"], rows["bid"], rows["bid_size"], rows["ask"], rows["ask_size"]):
        last[t] = tuple(top)
    out: list[tuple] = []
    for t in sorted(last):
        if not out or out[-1][1] != last[t]:
            out.append((t, last[t]))
    return out


REQUOTE = st.tuples(st.just("requote"), st.integers(0, 2))
OPS = st.one_of(
    REQUOTE, REQUOTE, REQUOTE,  # requotes are most of a day's orders
    st.tuples(st.just("agent"), st.integers(0, 2), st.booleans(), st.integers(1, 700), st.integers(-6, 6),
              st.booleans()),
    st.tuples(st.just("ours"), st.integers(0, 2), st.booleans(), st.integers(1, 400), st.integers(-4, 4)),
    st.tuples(st.just("status"), st.integers(0, 2), st.booleans()),
    st.tuples(st.just("stale"), st.integers(0, 2)),
    st.tuples(st.just("poll")),
)


@settings(max_examples=60, deadline=None)
@given(ops=st.lists(st.tuples(OPS, st.booleans()), max_size=60), levels=st.integers(1, 4), spread=st.integers(1, 3))
def test_an_atomic_ladder_leaves_the_quote_in_force_at_every_instant_as_it_was(ops, levels, spread):
    atomic, reference = World(True, levels, spread), World(False, levels, spread)
    now = 0
    for op, same_instant in ops:
        now += 0 if same_instant else SEC
        rows_before = len(atomic.timeline.nbbo["XYZ"]["t_ns"])
        atomic.apply(op, now)
        reference.apply(op, now)
        rows, tapes, books = atomic.state()
        if op[0] == "requote":  # at most one row per ladder: TCA's benchmark (the last good row) is never half-built
            assert len(rows["t_ns"]) <= rows_before + 1
        reference_rows, reference_tapes, reference_books = reference.state()
        assert (in_force(rows), tapes, books) == (in_force(reference_rows), reference_tapes, reference_books)
        assert len(rows["t_ns"]) <= len(reference_rows["t_ns"])


def counted_checks(world: World) -> list[int]:
    """The times of the checks the participants' fronts ask for (their ``after_order`` is the timeline's check)."""
    checks: list[int] = []
    for front in world.fronts:
        real = front.after_order
        assert real == world.timeline.check
        front.after_order = lambda symbol, now, real=real: checks.append(now) or real(symbol, now)
    return checks


def test_a_ladder_is_checked_once_and_records_one_row():
    world = World(True, 3, 2)
    checks = counted_checks(world)
    world.apply(("requote", 0), SEC)
    assert checks == [SEC]
    rows = world.state()[0]
    assert rows["t_ns"] == [SEC] and rows["ask"][0] > rows["bid"][0] > 0  # both sides at once: no half-built top


def test_a_ladder_that_trades_is_still_one_check_and_its_trades_are_on_the_tape():
    world = World(True, 3, 2)
    world.apply(("agent", 0, False, 5, -50, False), 0)  # a stale sell far below fair: the first bid takes it
    checks = counted_checks(world)
    world.apply(("requote", 0), SEC)
    assert checks == [SEC]
    tape = world.timeline._tapes[0]["XYZ"]
    assert list(tape.times) == [SEC] and list(tape.quantities) == [5] and tape.orders == 1 + 6


class CountingQuotes(VenueCondition):
    """A condition whose published quote changes at every read (not the book's top)."""

    def __init__(self):
        self.reads = 0

    def published(self, quote):
        self.reads += 1
        return dataclasses.replace(quote, bid_size=self.reads)


def test_a_venue_publishing_other_than_its_book_top_is_read_once_per_ladder():
    world = World(True, 3, 2)
    counting = CountingQuotes()
    world.venues["A"].add_condition(counting, 0)
    checks = counted_checks(world)
    world.apply(("requote", 0), SEC)
    assert len(checks) == 1 and len(world.state()[0]["t_ns"]) == 1 and counting.reads == 1
