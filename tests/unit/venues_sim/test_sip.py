"""Unit tests for venues_sim.sip: NBBO consolidation, latency ordering, staleness."""

from __future__ import annotations

import heapq
from itertools import count
from typing import Callable

import numpy as np
import pytest

from components.domain.venues import Quote, VenueStatus
from venues_sim.sip import Nbbo, Sip, consolidate, exponential_latency

C = 100  # one cent in units
P = 100 * 10_000


class Loop:
    """A minimal event loop with the ``Clock.call_at`` shape, for driving a Sip."""

    def __init__(self) -> None:
        self.now = 0
        self._heap: list[tuple[int, int, Callable[[], None]]] = []
        self._n = count()

    def call_at(self, when_ns: int, callback: Callable[[], None]) -> None:
        heapq.heappush(self._heap, (max(when_ns, self.now), next(self._n), callback))

    def run(self, until: int | None = None) -> None:
        while self._heap and (until is None or self._heap[0][0] <= until):
            self.now, _, callback = heapq.heappop(self._heap)
            callback()


def fixed(*values: int) -> Callable[[], int]:
    """Latency draws from a fixed script (then repeat the last)."""
    it = iter(values)
    last = [values[-1]]

    def draw() -> int:
        last[0] = next(it, last[0])
        return last[0]

    return draw


def q(venue: str, bid: int, bid_size: int, ask: int, ask_size: int, t: int = 0, symbol: str = "AAA") -> Quote:
    return Quote(venue, symbol, bid, bid_size, ask, ask_size, t)


# ------------------------------------------------------------------ consolidate


def test_consolidate_best_prices_sizes_and_venues():
    nbbo = consolidate([
        q("XNAS", P, 100, P + 2 * C, 300),
        q("ARCX", P, 200, P + C, 100),
        q("BATS", P - C, 500, P + C, 400),
    ])
    assert (nbbo.bid, nbbo.bid_size, nbbo.bid_venues) == (P, 300, ("ARCX", "XNAS"))
    assert (nbbo.ask, nbbo.ask_size, nbbo.ask_venues) == (P + C, 500, ("ARCX", "BATS"))
    assert not nbbo.locked and not nbbo.crossed
    assert nbbo.mid == P + C // 2


def test_consolidate_ignores_empty_sides_and_needs_a_symbol():
    nbbo = consolidate([q("XNAS", 0, 0, P, 100), q("ARCX", P - C, 0, 0, 0)])
    assert (nbbo.bid, nbbo.bid_size, nbbo.bid_venues) == (0, 0, ())
    assert (nbbo.ask, nbbo.ask_venues) == (P, ("XNAS",))
    assert nbbo.mid == 0
    assert consolidate([], "AAA") == Nbbo("AAA", 0, 0, (), 0, 0, ())
    with pytest.raises(ValueError):
        consolidate([])
    with pytest.raises(ValueError):
        consolidate([q("XNAS", P, 1, P + C, 1), q("ARCX", P, 1, P + C, 1, symbol="BBB")])


def test_consolidate_flags_locked_and_crossed_markets():
    locked = consolidate([q("XNAS", P, 100, P + C, 100), q("ARCX", P - C, 100, P, 100)])
    assert locked.locked and not locked.crossed and locked.mid == P
    crossed = consolidate([q("XNAS", P + C, 100, P + 2 * C, 100), q("ARCX", P - C, 100, P, 100)])
    assert crossed.crossed and not crossed.locked and crossed.mid == 0


# ------------------------------------------------------------------ the Sip


def make_sip(loop: Loop, venue_latency: dict, publish: Callable[[], int] = fixed(10), **kw) -> tuple[Sip, list[Nbbo]]:
    sip = Sip(list(venue_latency), loop.call_at, venue_latency, publish, **kw)
    seen: list[Nbbo] = []
    sip.subscribe(seen.append)
    return sip, seen


def test_sip_publishes_after_venue_and_publication_latency():
    loop = Loop()
    sip, seen = make_sip(loop, {"XNAS": fixed(100), "ARCX": fixed(300)}, fixed(50))
    sip.on_quote(q("XNAS", P, 100, P + 2 * C, 100, t=1_000))
    sip.on_quote(q("ARCX", P, 200, P + C, 100, t=1_000))
    loop.run()
    # XNAS reaches the SIP at 1_100, ARCX at 1_300; each published 50 ns later.
    assert [(n.timestamp_ns, n.sequence) for n in seen] == [(1_100, 1), (1_300, 2)]
    assert loop.now == 1_350
    last = seen[-1]
    assert (last.bid, last.bid_size, last.ask, last.ask_venues) == (P, 300, P + C, ("ARCX",))
    assert sip.published("AAA") == last == sip.nbbo("AAA")


def test_late_venue_update_never_overwrites_a_newer_one():
    loop = Loop()
    # The first update is slow (500 ns), the second fast (10 ns): they arrive reversed.
    sip, seen = make_sip(loop, {"XNAS": fixed(500, 10)})
    sip.on_quote(q("XNAS", P, 100, P + C, 100, t=0))
    sip.on_quote(q("XNAS", P - C, 100, P, 100, t=100))
    loop.run()
    assert sip.late_updates_dropped == 1
    assert [(n.bid, n.ask) for n in seen] == [(P - C, P)]
    assert sip.nbbo("AAA").bid == P - C


def test_late_publication_never_reaches_subscribers_after_a_newer_one():
    loop = Loop()
    sip, seen = make_sip(loop, {"XNAS": fixed(10)}, publish=fixed(1_000, 5))
    sip.on_quote(q("XNAS", P, 100, P + C, 100, t=0))
    sip.on_quote(q("XNAS", P - C, 100, P, 100, t=100))
    loop.run()
    assert [n.sequence for n in seen] == [2]
    assert sip.late_publications_dropped == 1
    assert sip.published("AAA").bid == P - C


def test_unchanged_market_is_not_republished():
    loop = Loop()
    sip, seen = make_sip(loop, {"XNAS": fixed(10)})
    sip.on_quote(q("XNAS", P, 100, P + C, 100, t=0))
    sip.on_quote(q("XNAS", P, 100, P + C, 100, t=50))
    loop.run()
    assert len(seen) == 1


def test_down_venue_is_excluded_until_up_again():
    loop = Loop()
    sip, seen = make_sip(loop, {"XNAS": fixed(10), "ARCX": fixed(10)})
    sip.on_quote(q("XNAS", P, 100, P + 3 * C, 100, t=0))
    sip.on_quote(q("ARCX", P - C, 100, P + C, 100, t=0))
    loop.run()
    assert seen[-1].ask_venues == ("ARCX",)
    sip.set_venue_status("ARCX", VenueStatus.DOWN, loop.now)
    sip.on_quote(q("ARCX", P + 5 * C, 100, P + 6 * C, 100, t=loop.now))  # ignored while down
    loop.run()
    assert (seen[-1].bid_venues, seen[-1].ask_venues, seen[-1].ask) == (("XNAS",), ("XNAS",), P + 3 * C)
    sip.set_venue_status("ARCX", VenueStatus.UP, loop.now)
    sip.on_quote(q("ARCX", P - C, 100, P + C, 100, t=loop.now))
    loop.run()
    assert seen[-1].ask_venues == ("ARCX",)


def test_locked_market_across_venues_is_published_flagged():
    loop = Loop()
    sip, seen = make_sip(loop, {"XNAS": fixed(10), "ARCX": fixed(10)})
    sip.on_quote(q("XNAS", P, 100, P + C, 100, t=0))
    sip.on_quote(q("ARCX", P - C, 100, P, 100, t=0))
    loop.run()
    assert seen[-1].locked and seen[-1].bid_venues == ("XNAS",) and seen[-1].ask_venues == ("ARCX",)


def test_stale_quotes_age_out_on_sweep():
    loop = Loop()
    sip, seen = make_sip(loop, {"XNAS": fixed(10), "ARCX": fixed(10)}, stale_after_ns=1_000)
    sip.on_quote(q("XNAS", P, 100, P + C, 100, t=0))
    sip.on_quote(q("ARCX", P - C, 100, P + 2 * C, 100, t=500))
    loop.run()
    assert seen[-1].bid_venues == ("XNAS",)
    sip.sweep(1_200)  # XNAS quote is 1_200 ns old: out; ARCX (700 ns) stays
    loop.run()
    assert (seen[-1].bid, seen[-1].bid_venues, seen[-1].ask) == (P - C, ("ARCX",), P + 2 * C)
    sip.sweep(2_000)
    loop.run()
    assert (seen[-1].bid, seen[-1].ask) == (0, 0)


def test_same_seed_same_publications():
    def run(seed: int) -> list[Nbbo]:
        loop = Loop()
        rng = np.random.default_rng(seed)
        lat = {v: exponential_latency(np.random.default_rng([seed, i]), 100, 400) for i, v in enumerate(["X", "Y"])}
        sip, seen = make_sip(loop, lat, exponential_latency(np.random.default_rng([seed, 9]), 50, 100))
        for t in range(0, 100_000, 1_000):
            for v in ("X", "Y"):
                bid = P + int(rng.integers(-3, 4)) * C
                sip.on_quote(q(v, bid, int(rng.integers(1, 5)) * 100, bid + C, 100, t=t))
        loop.run()
        return seen

    first = run(7)
    assert first == run(7)
    assert first != run(8)
    assert [n.sequence for n in first] == sorted(n.sequence for n in first)
