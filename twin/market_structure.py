"""The twin's market structure: which venue models a scenario gets, and its SIP.

Called only from ``twin.bootstrap`` (the one place that chooses the world):

* ``fee_model`` / ``build_venues``: per venue, its fee model (maker-taker or
  fixed), its fill-price model (a wholesaler's price improvement), and either
  a ``SimVenue`` or, with a ``replay`` section, a ``ReplayVenue`` over the
  recorded day (self-driven on the clock);
* ``build_sip`` / ``feed_sip``: the ``venues_sim.sip.Sip`` of a scenario's
  ``sip`` section, fed by a poller that samples every venue book each
  ``poll_ms`` and sends the venue's quote to the SIP when the book's
  ``version`` moved (a changed quote reaches the SIP at most ``poll_ms``
  plus its feed latency after it changed; stale quotes are swept each poll).

Each SIP latency has its own named stream (``sip-feed:<venue>``,
``sip-publish``), drawn only when the section is present: scenarios without
it draw exactly what they did before.
"""

from __future__ import annotations

from datetime import datetime

from typing import Callable

from components.domain.venues import VenueStatus
from components.memory import SeededStreams
from components.config.session import NEW_YORK
from scenarios.config import Scenario
from venues_sim.fees import fee_model_of
from venues_sim.replay import ReplayVenue
from venues_sim.replay_columns import load_recorded
from venues_sim.replay_format import ReplayFormatError
from venues_sim.sip import Sip, exponential_latency
from venues_sim.venue import SimVenue
from venues_sim.wholesale import NbboSource, PriceImprovement

from .clock import SimClock
from .latency import link_draws

MS = 1_000_000


def build_sip(scenario: Scenario, clock: SimClock, streams: SeededStreams) -> Sip | None:
    """The scenario's SIP (None without a ``sip`` section)."""
    cfg = scenario.sip
    if cfg is None:
        return None
    feed = {}
    for v in scenario.venues:
        rng = streams.stream(f"sip-feed:{v.name}")
        if v.latency_model is not None and v.latency_model.kind == "fat_tail":
            feed[v.name] = link_draws(v.latency_model, rng, cfg.feed_latency_ms, cfg.feed_jitter_ms).next
        else:
            feed[v.name] = exponential_latency(rng, int(cfg.feed_latency_ms * MS), int(cfg.feed_jitter_ms * MS))
    publish = exponential_latency(streams.stream("sip-publish"), int(cfg.publish_latency_ms * MS),
                                  int(cfg.publish_jitter_ms * MS))
    stale = None if cfg.stale_after_s is None else int(cfg.stale_after_s * 1e9)
    return Sip(scenario.venue_names, clock.call_at, feed, publish, stale)


def nbbo_source(sip: Sip | None, venues: dict) -> NbboSource:
    """``symbol -> (bid, ask)``: the SIP's published NBBO, or the venues' direct tops."""
    if sip is not None:
        def published(symbol: str) -> tuple[int, int] | None:
            nbbo = sip.published(symbol)
            return None if nbbo is None else (nbbo.bid, nbbo.ask)
        return published

    def direct(symbol: str) -> tuple[int, int] | None:
        bid = ask = 0
        for venue in venues.values():
            if venue.status is not VenueStatus.UP:
                continue
            b, _, a, _ = venue.book(symbol).top()
            bid = max(bid, b)
            if a and (ask == 0 or a < ask):
                ask = a
        return bid, ask

    return direct


def build_venues(scenario: Scenario, symbols: list[str], on_report: Callable, clock: SimClock,
                 sip: Sip | None) -> dict:
    """Every scenario venue, in order: SimVenues, or ReplayVenues over the recorded day."""
    venues: dict = {}
    if scenario.replay is not None:
        day = load_recorded(scenario.replay.quotes, scenario.replay.trades)  # columns: no object per row
        recorded = day.quote_venues()
        missing = [v.name for v in scenario.venues if v.name not in recorded]
        if missing:
            raise ReplayFormatError(scenario.replay.quotes, None, "venue",
                                    f"no quotes for scenario venue(s) {', '.join(missing)} "
                                    f"(the file has {', '.join(sorted(recorded)) or 'none'})")
        times = day.quote_span_ns()
        if times is not None:  # sorted by time: the first and last quote bound the recorded dates
            first, last = (datetime.fromtimestamp(ts // 1_000_000_000, NEW_YORK).date() for ts in times)
            if not first <= scenario.session.date <= last:
                # Replaying another day would fill against the previous evening's quotes: refuse, naming both.
                span = first.isoformat() if first == last else f"{first.isoformat()} to {last.isoformat()}"
                raise ReplayFormatError(scenario.replay.quotes, None, "timestamp_ns",
                                        f"the recorded day is {span} (New York) but "
                                        f"session.date is {scenario.session.date.isoformat()}")
        for v in scenario.venues:
            venue = ReplayVenue(v.name, day, fee_model_of(v), symbols, on_report)
            venue.start(clock.call_at)
            venues[v.name] = venue
        return venues
    nbbo = None
    for v in scenario.venues:
        pricing = None
        if v.price_improvement:
            nbbo = nbbo or nbbo_source(sip, venues)  # reads ``venues`` when called, all built by then
            pricing = PriceImprovement(v.price_improvement, nbbo)
        venues[v.name] = SimVenue(v.name, fee_model_of(v), symbols, on_report, fill_price=pricing)
    return venues


def feed_sip(sip: Sip, venues: dict, symbols: list[str], clock: SimClock, poll_ms: float,
             until_ns: int, sweep: bool) -> None:
    """Poll the venue books every ``poll_ms`` until ``until_ns``; send changed quotes to ``sip``."""
    step = max(1, int(poll_ms * MS))
    books = [(venue, symbol, venue.book(symbol)) for venue in venues.values() for symbol in symbols]
    seen = [-1] * len(books)

    def poll() -> None:
        now = clock.now_ns()
        for i, (venue, symbol, book) in enumerate(books):
            if book.version != seen[i]:
                seen[i] = book.version
                sip.on_quote(venue.quote(symbol, now))
        if sweep:
            sip.sweep(now)
        if now + step < until_ns:
            clock.call_later(step, poll)

    clock.call_later(0, poll)
