"""Sim adapters for the VenueGateway and MarketData ports.

The gateway carries child orders to the simulated venues and execution
reports back, each way over its own latency stream per venue (a link of the
venue's latency model, ``twin.latency``; default fixed delay + jitter). It also keeps
the venue-side truth (what was sent when, what the venues filled) that the
invariant checker compares with the books, as columns (``twin.gateway_record``).

Like the live FIX gateway, a refused cancel changes nothing: a cancel
rejected while the child may still be working (venue down, cancels
unavailable) is kept in ``cancel_rejects`` and not passed to the OMS, which
would otherwise take the REJECTED report for the end of the child. Refusals
meaning the child is gone (``TOO_LATE``, ``UNKNOWN_ORDER``) pass as before.

``print_own_fills`` (a scenario's ``tape.own_fills``) hands each of our taker
fills, at venue time, to a printer (``twin.market_view.OwnPrints``): what the
venue prints to the market. ``SimMarketData`` reads the router's quotes from a
``components.market_view.QuoteBoard`` when the scenario's ``market_view`` is
not ``book`` (``twin.market_view``).
"""

from __future__ import annotations

from typing import Callable, Iterable

from components.domain.orders import Side
from components.domain.venues import ChildOrder, ExecKind, ExecutionReport, Liquidity, Quote, VenueStatus
from components.market_view import QuoteBoard, VenueTop, quote_top, sim_venue_top
from components.memory import SeededStreams
from components.ports import EventLog
from components.reference_price import LastGoodMid

from venues_sim.sip import Nbbo
from venues_sim.venue import TOO_LATE, UNKNOWN_ORDER

from .clock import SimClock, Timer
from .gateway_record import ChildSends, VenueFills
from .latency import build_link

_FILL = ExecKind.FILL
_TAKER = Liquidity.TAKER
_UP = VenueStatus.UP
_REJECTED = ExecKind.REJECTED
_CHILD_GONE = (TOO_LATE, UNKNOWN_ORDER)


class SimVenueGateway:
    def __init__(self, clock: SimClock, streams: SeededStreams, log: EventLog,
                 latency_ms: dict[str, float], jitter_ms: float, latency_models: dict | None = None):
        self._clock = clock
        self._env = clock.env
        self._log = log
        models = latency_models or {}  # venue -> scenarios LatencyModel; absent = fixed_jitter
        self._out = {v: build_link(models.get(v), streams.stream(f"venue-link:{v}:out"), ms, jitter_ms)
                     for v, ms in latency_ms.items()}
        self._back = {v: build_link(models.get(v), streams.stream(f"venue-link:{v}:in"), ms, jitter_ms)
                      for v, ms in latency_ms.items()}
        self.venues: dict = {}
        self._sink: Callable[[ExecutionReport], None] = lambda report: None
        self.child_sends = ChildSends()  # (event-log length at send time, child) pairs
        self.venue_fills = VenueFills()  # ExecutionReports
        self._record_send = self.child_sends.add
        self.cancel_rejects: list[ExecutionReport] = []
        self._cancelling: str | None = None  # child whose cancel the venue is handling now
        # Order-status requests (see ``keep_status``): off unless a scenario restarts the OMS.
        self._status: dict[str, list[ExecutionReport]] | None = None
        self._cancels_sent: set[str] = set()
        # Our taker fills as market prints (``print_own_fills``): off unless the scenario prints them.
        self.own_prints: Callable[[ExecutionReport, Side, str], None] | None = None
        self._sent: dict[str, ChildOrder] = {}  # child id -> child, kept only while printing

    def print_own_fills(self, printer: Callable[[ExecutionReport, Side, str], None]) -> None:
        """From now on, call ``printer(report, side, symbol)`` at venue time for each of our taker fills
        (a maker fill of ours is already the aggressor's print)."""
        self.own_prints = printer

    def keep_status(self) -> None:
        """Answer order-status requests from now on (as a FIX session's OrderMassStatusRequest):
        keep every report passed on per child, and the children we asked to cancel."""
        if self._status is None:
            self._status = {}

    def child_reports(self, venue: str, child_id: str) -> list[ExecutionReport]:
        """Every report ``venue`` sent about ``child_id`` that the gateway passes on, in order."""
        return list((self._status or {}).get(child_id, ()))

    def cancel_sent(self, child_id: str) -> bool:
        return child_id in self._cancels_sent

    def set_extra_latency(self, venue: str, extra_ns: int) -> None:
        """Degrade (or restore, with 0) both links of ``venue``; order on each link is kept."""
        self._out[venue].extra_ns = extra_ns
        self._back[venue].extra_ns = extra_ns

    def attach(self, venue) -> None:
        self.venues[venue.name] = venue

    def connect(self, on_report: Callable[[ExecutionReport], None]) -> None:
        self._sink = on_report

    def send(self, child: ChildOrder) -> None:
        self._record_send(len(self._log), child)
        if self.own_prints is not None:
            self._sent[child.child_id] = child
        venue = self.venues[child.venue]
        self._clock.schedule(self._out[child.venue].delay(self._env.now), self._at_venue, (venue, child))

    def _at_venue(self, timer: Timer) -> None:
        venue, child = timer.value
        venue.submit(child, self._clock.now_ns())

    def cancel(self, venue: str, child_id: str) -> None:
        target = self.venues[venue]
        if self._status is not None:
            self._cancels_sent.add(child_id)

        def at_venue() -> None:
            self._cancelling = child_id
            try:
                target.cancel(child_id, self._clock.now_ns())
            finally:
                self._cancelling = None

        self._clock.call_later(self._out[venue].delay(self._env.now), at_venue)

    def receive(self, report: ExecutionReport) -> None:
        """Called by a venue, at venue time, for each report on our orders."""
        if report.kind is _FILL:
            self.venue_fills.append(report)
            if self.own_prints is not None and report.liquidity is _TAKER:
                child = self._sent[report.child_id]
                self.own_prints(report, child.side, child.symbol)
        elif (report.kind is _REJECTED and report.child_id == self._cancelling
              and report.reason not in _CHILD_GONE):
            self.cancel_rejects.append(report)  # the child is still working: nothing changed
            return
        if self._status is not None:
            self._status.setdefault(report.child_id, []).append(report)
        self._clock.schedule(self._back[report.venue].delay(self._env.now), self._report_arrives, report)

    def _report_arrives(self, timer: Timer) -> None:
        self._sink(timer.value)


class SimMarketData:
    """Quotes straight from the venue books; reference price = NBBO mid.

    Given ``nbbo`` (a SIP's ``published``), the reference price is the mid of
    the SIP's last published NBBO instead: risk and analytics then see the
    consolidated, delayed view, and keep the last good mid (or the opening
    price) while the SIP has none or shows a crossed market.

    Given ``view`` (``twin.market_view.build_router_view``: the scenario's
    ``market_view`` is ``direct_feed`` or ``sip``), the router's quotes are the
    ones that reached that board (delayed, stamped with their age); without it
    they come straight from the venue books, as the twin always had.

    The reference price is asked for several times per order (risk marks the
    order and every position of the account), so it is cached per symbol and
    recomputed only when one of the symbol's books changed: ``OrderBook.version``
    moves on every change to a book and when its venue goes up or down, and
    versions only grow, so an unchanged sum means no book changed.
    """

    def __init__(self, clock: SimClock, venues: dict, opening_prices: dict[str, int],
                 nbbo: Callable[[str], Nbbo | None] | None = None, view: QuoteBoard | None = None):
        self._clock = clock
        self._view = view
        self._nbbo = nbbo
        self._venues = venues
        self._mids = LastGoodMid(opening_prices)  # the rule shared with the live market data
        self._books_of: dict[str, list] = {}  # symbol -> [(venue, book)] in venue order
        self._reference: dict[str, tuple[int, int]] = {}  # symbol -> (books' version sum, price)

    def last_good_mid(self, symbol: str) -> int:
        """The reference price used while there is no two-sided market: the last good mid
        (or the opening price before there was one)."""
        return self._mids.prices.get(symbol, 0)

    def quote(self, venue: str, symbol: str) -> Quote | None:
        target = self._venues.get(venue)
        if target is None or target.status is not _UP:
            return None  # a venue's session going down is known at once (the gateway's logon state)
        if self._view is not None:
            return self._view.quote(venue, symbol, self._clock.now_ns())
        return target.quote(symbol, self._clock.now_ns())

    def venue_tops(self, symbol: str, venues: Iterable[str]) -> list[VenueTop]:
        """The router's read (``components.market_view.VenueTops``): each UP venue of ``venues`` with its
        top of ``symbol``, as ``venue_status`` and ``quote`` answer, in one call per order."""
        now = self._clock.now_ns()  # simulated time stands still while the router reads
        get, view, out = self._venues.get, self._view, []
        for name in venues:
            target = get(name)
            if target is None:
                continue
            if view is None:
                top = sim_venue_top(target, name, symbol, now)
                if top is not None:
                    out.append(top)
            elif target.status is _UP:
                out.append(quote_top(name, view.quote(name, symbol, now)))
        return out

    def reference_price(self, symbol: str) -> int:
        if self._nbbo is not None:
            published = self._nbbo(symbol)
            return self._mids.update(symbol, 0 if published is None else published.mid)
        sources = self._books_of.get(symbol)
        if sources is None or len(sources) != len(self._venues):  # first call, or a venue was added
            sources = self._books_of[symbol] = [(v, v.book(symbol)) for v in self._venues.values()]
            self._reference.pop(symbol, None)  # a stamp is only comparable over the same books
        stamp = 0
        for _, book in sources:
            stamp += book.version
        cached = self._reference.get(symbol)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        price = self._compute_reference(symbol, sources)
        self._reference[symbol] = (stamp, price)
        return price

    def _compute_reference(self, symbol: str, sources: list) -> int:
        tops = []
        for venue, book in sources:
            if venue.status is _UP:
                bid, _, ask, _ = book.top()
                tops.append((bid, ask))
        return self._mids.from_tops(symbol, tops)

    def venue_status(self, venue: str) -> VenueStatus:
        target = self._venues.get(venue)
        return VenueStatus.DOWN if target is None else target.status
