"""The router's view of the market in the twin: quotes as production would have them (issue 18).

The scenario's ``market_view`` section (``scenarios.config_market.MarketView``)
chooses where the smart order router's quotes come from:

* ``book`` (default): ``SimMarketData`` reads each venue's book now, with no
  delay, exactly as before; nothing here is built and nothing is drawn.
* ``direct_feed``: each venue's direct feed. Every ``poll_ms`` the venue
  books are checked and a changed top of book is published (the SIP's own
  poller, ``twin.market_structure.feed_sip``: a conflated feed); each such
  quote reaches the router after a delay drawn on that venue's feed link
  (``twin.latency.build_link``: ``feed_latency_ms`` + exponential jitter, or
  the venue's ``fat_tail`` model) from stream ``market-view:<venue>``, and is
  applied on the ``SimClock`` when it arrives. Links never reorder.
* ``sip``: the scenario SIP's published NBBO, each publication turned into
  per-venue quotes (``components.market_view.nbbo_quotes``) as it is handed
  to subscribers.

Either way the quotes are kept in a ``components.market_view.QuoteBoard``
(the quote-keeping shared with the live side's rule) that ``SimMarketData``
reads for ``quote``; its reference price (risk) and venue status are not
changed by this setting.

Also here: ``print_own_fills`` (the scenario's ``tape.own_fills``) puts our
own child orders' taker fills on the trade tapes the market reads.
"""

from __future__ import annotations

from typing import Any, Callable

from components.domain.orders import Side
from components.domain.venues import ExecutionReport, Quote
from components.market_view import QuoteBoard, nbbo_quotes
from components.memory import SeededStreams
from scenarios.config import Scenario
from venues_sim.sip import Nbbo, Sip

from .clock import SimClock, Timer
from .latency import build_link
from .market_structure import feed_sip


class DirectFeeds:
    """Each venue's top-of-book quotes on its own feed link to the router's ``QuoteBoard``.

    ``on_quote(quote)`` is the venue publishing ``quote`` now (what ``feed_sip``'s poller calls);
    it is put on the board when its link delivers it.
    """

    def __init__(self, clock: SimClock, board: QuoteBoard, links: dict):
        self._clock = clock
        self._env = clock.env
        self._board = board
        self._links = links
        self.sent = 0

    def on_quote(self, quote: Quote) -> None:
        now = self._clock.now_ns()
        self.sent += 1
        self._clock.schedule(self._links[quote.venue].delay(self._env.now), self._arrive, (quote, now))

    def _arrive(self, timer: Timer) -> None:
        quote, sent_ns = timer.value
        self._board.put(quote, sent_ns, self._clock.now_ns())

    def sweep(self, now_ns: int) -> None:  # the poller's interface; a direct feed has nothing to age out
        """Nothing: the router's own quote-age check judges old quotes."""


def direct_feeds(scenario: Scenario, clock: SimClock, streams: SeededStreams, board: QuoteBoard) -> DirectFeeds:
    """One feed link per scenario venue, each on its own stream ``market-view:<venue>``."""
    cfg = scenario.market_view
    links = {}
    for v in scenario.venues:
        model = v.latency_model if v.latency_model is not None and v.latency_model.kind == "fat_tail" else None
        latency = v.latency_ms if cfg.feed_latency_ms is None else cfg.feed_latency_ms
        links[v.name] = build_link(model, streams.stream(f"market-view:{v.name}"), latency, cfg.jitter_ms)
    return DirectFeeds(clock, board, links)


def sip_view(sip: Sip, venues: tuple[str, ...], clock: SimClock, board: QuoteBoard) -> Callable[[Nbbo], None]:
    """Subscribe ``board`` to ``sip``'s publications (each NBBO as per-venue quotes); returns the handler."""

    def published(nbbo: Nbbo) -> None:
        now = clock.now_ns()
        for quote in nbbo_quotes(nbbo, venues):
            board.put(quote, nbbo.timestamp_ns, now)

    sip.subscribe(published)
    return published


def build_router_view(scenario: Scenario, clock: SimClock, streams: SeededStreams, venues: dict,
                      sip: Sip | None) -> QuoteBoard | None:
    """The router's quote board for the scenario's ``market_view`` (None for ``book``: read the books).

    Call after the venues (and SIP) are built; it starts the feeds (nothing drawn for ``book``)."""
    source = scenario.market_view.source
    if source == "book":
        return None
    board = QuoteBoard()
    if source == "sip":
        if sip is None:  # the scenario check refuses this; a hand-built world could still get here
            raise ValueError("market_view.source: sip needs a sip section (the SIP whose NBBO the router reads)")
        sip_view(sip, scenario.venue_names, clock, board)
        return board
    feeds = direct_feeds(scenario, clock, streams, board)
    feed_sip(feeds, venues, list(scenario.symbol_names), clock,  # type: ignore[arg-type]  # same interface
             scenario.market_view.poll_ms, scenario.session.close_ns(), sweep=False)
    return board


# ---------------------------------------------------------------------------------------------------
# Our own fills on the tape.


class OwnPrints:
    """Our taker fills as market prints (time, price, quantity; aggressor +1 buy, -1 sell).

    Fed by ``SimVenueGateway.print_own_fills`` at venue time, as the venue prints them. Each print is
    first offered to ``to_tape`` (the agents' tape of its venue and symbol: True if it took it); the
    ones no tape took are kept in ``rows`` per symbol, which the run's market prints add
    (``twin.market_recorder.MarketTimeline``), so a print is on the market prints once.
    ``printed`` counts every print.
    """

    def __init__(self, symbols: list[str], to_tape: Callable[[str, str, int, int, int, int], bool] | None = None):
        self.rows: dict[str, dict[str, list[int]]] = {s: {"t_ns": [], "price": [], "qty": []} for s in symbols}
        self._to_tape = to_tape
        self.printed = 0

    def __call__(self, report: ExecutionReport, side: Side, symbol: str) -> None:
        self.printed += 1
        t, px, qty = report.timestamp_ns, report.last_px, report.last_qty
        if self._to_tape is not None and self._to_tape(report.venue, symbol, t, px, qty, 1 if side is Side.BUY else -1):
            return
        rows = self.rows.setdefault(symbol, {"t_ns": [], "price": [], "qty": []})
        rows["t_ns"].append(t)
        rows["price"].append(px)
        rows["qty"].append(qty)


def print_own_fills(world: Any) -> OwnPrints:
    """Print our taker fills on the market's tapes from now on (``tape.own_fills``): the agents' tape of
    the venue they trade on, and the run's market prints (``MarketTimeline`` reads ``gateway.own_prints``).
    Our maker fills are already printed: they are the aggressor's trade."""
    agents = getattr(world, "agents", None)
    # the venues the agents trade on (their fronts share one tape per symbol), and those tapes
    taped = set() if agents is None else {f.name for f in getattr(agents, "fronts", None) or [agents.venue]}
    tapes = {} if agents is None else agents.tapes

    def to_agents_tape(venue: str, symbol: str, t_ns: int, price: int, qty: int, sign: int) -> bool:
        if venue in taped and symbol in tapes:
            tapes[symbol].record_print(t_ns, price, qty, sign)
            return True
        return False

    prints = OwnPrints(list(world.scenario.symbol_names), to_agents_tape)
    world.gateway.print_own_fills(prints)
    return prints
