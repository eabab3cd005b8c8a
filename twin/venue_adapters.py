"""Sim adapters for the VenueGateway and MarketData ports.

The gateway carries child orders to the simulated venues and execution
reports back, each way over its own latency stream per venue. It also keeps
the venue-side truth (what was sent when, what the venues filled) that the
invariant checker compares with the books.

Like the live FIX gateway, a refused cancel changes nothing: a cancel
rejected while the child may still be working (venue down, cancels
unavailable) is kept in ``cancel_rejects`` and not passed to the OMS, which
would otherwise take the REJECTED report for the end of the child. Refusals
meaning the child is gone (``TOO_LATE``, ``UNKNOWN_ORDER``) pass as before.
"""

from __future__ import annotations

from typing import Callable

from components.domain.venues import ChildOrder, ExecKind, ExecutionReport, Quote, VenueStatus
from components.memory import SeededStreams
from components.ports import EventLog

from venues_sim.venue import TOO_LATE, UNKNOWN_ORDER

from .clock import SimClock, Timer
from .draws import FifoLink, hop_ms

_FILL = ExecKind.FILL
_UP = VenueStatus.UP
_REJECTED = ExecKind.REJECTED
_CHILD_GONE = (TOO_LATE, UNKNOWN_ORDER)


class SimVenueGateway:
    def __init__(self, clock: SimClock, streams: SeededStreams, log: EventLog,
                 latency_ms: dict[str, float], jitter_ms: float):
        self._clock = clock
        self._env = clock.env
        self._log = log
        self._out = {v: FifoLink(hop_ms(streams.stream(f"venue-link:{v}:out"), ms, jitter_ms))
                     for v, ms in latency_ms.items()}
        self._back = {v: FifoLink(hop_ms(streams.stream(f"venue-link:{v}:in"), ms, jitter_ms))
                      for v, ms in latency_ms.items()}
        self.venues: dict = {}
        self._sink: Callable[[ExecutionReport], None] = lambda report: None
        self.child_sends: list[tuple[int, ChildOrder]] = []
        self.venue_fills: list[ExecutionReport] = []
        self.cancel_rejects: list[ExecutionReport] = []
        self._cancelling: str | None = None  # child whose cancel the venue is handling now

    def set_extra_latency(self, venue: str, extra_ns: int) -> None:
        """Degrade (or restore, with 0) both links of ``venue``; order on each link is kept."""
        self._out[venue].extra_ns = extra_ns
        self._back[venue].extra_ns = extra_ns

    def attach(self, venue) -> None:
        self.venues[venue.name] = venue

    def connect(self, on_report: Callable[[ExecutionReport], None]) -> None:
        self._sink = on_report

    def send(self, child: ChildOrder) -> None:
        self.child_sends.append((len(self._log), child))
        venue = self.venues[child.venue]
        self._clock.schedule(self._out[child.venue].delay(self._env.now), self._at_venue, (venue, child))

    def _at_venue(self, timer: Timer) -> None:
        venue, child = timer.value
        venue.submit(child, self._clock.now_ns())

    def cancel(self, venue: str, child_id: str) -> None:
        target = self.venues[venue]

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
        elif (report.kind is _REJECTED and report.child_id == self._cancelling
              and report.reason not in _CHILD_GONE):
            self.cancel_rejects.append(report)  # the child is still working: nothing changed
            return
        self._clock.schedule(self._back[report.venue].delay(self._env.now), self._report_arrives, report)

    def _report_arrives(self, timer: Timer) -> None:
        self._sink(timer.value)


class SimMarketData:
    """Quotes straight from the venue books; reference price = NBBO mid.

    The reference price is asked for several times per order (risk marks the
    order and every position of the account), so it is cached per symbol and
    recomputed only when one of the symbol's books changed: ``OrderBook.version``
    moves on every change to a book and when its venue goes up or down, and
    versions only grow, so an unchanged sum means no book changed.
    """

    def __init__(self, clock: SimClock, venues: dict, opening_prices: dict[str, int]):
        self._clock = clock
        self._venues = venues
        self._last_reference = dict(opening_prices)
        self._books_of: dict[str, list] = {}  # symbol -> [(venue, book)] in venue order
        self._reference: dict[str, tuple[int, int]] = {}  # symbol -> (books' version sum, price)

    def quote(self, venue: str, symbol: str) -> Quote | None:
        target = self._venues.get(venue)
        if target is None or target.status is not _UP:
            return None
        return target.quote(symbol, self._clock.now_ns())

    def reference_price(self, symbol: str) -> int:
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
        best_bid = best_ask = 0
        for venue, book in sources:
            if venue.status is not _UP:
                continue
            bid, _, ask, _ = book.top()
            if bid and bid > best_bid:
                best_bid = bid
            if ask and (best_ask == 0 or ask < best_ask):
                best_ask = ask
        if best_bid and best_ask and best_bid < best_ask:
            mid = (best_bid + best_ask) // 2
            self._last_reference[symbol] = mid
            return mid
        return self._last_reference.get(symbol, 0)

    def venue_status(self, venue: str) -> VenueStatus:
        target = self._venues.get(venue)
        return VenueStatus.DOWN if target is None else target.status
