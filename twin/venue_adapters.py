"""Sim adapters for the VenueGateway and MarketData ports.

The gateway carries child orders to the simulated venues and execution
reports back, each way over its own latency stream per venue. It also keeps
the venue-side truth (what was sent when, what the venues filled) that the
invariant checker compares with the books.
"""

from __future__ import annotations

from typing import Callable

from components.domain.venues import ChildOrder, ExecKind, ExecutionReport, Quote, VenueStatus
from components.memory import SeededStreams
from components.ports import EventLog

from .clock import SimClock
from .draws import FifoLink, hop_ms


class SimVenueGateway:
    def __init__(self, clock: SimClock, streams: SeededStreams, log: EventLog,
                 latency_ms: dict[str, float], jitter_ms: float):
        self._clock = clock
        self._log = log
        self._out = {v: FifoLink(hop_ms(streams.stream(f"venue-link:{v}:out"), ms, jitter_ms))
                     for v, ms in latency_ms.items()}
        self._back = {v: FifoLink(hop_ms(streams.stream(f"venue-link:{v}:in"), ms, jitter_ms))
                      for v, ms in latency_ms.items()}
        self.venues: dict = {}
        self._sink: Callable[[ExecutionReport], None] = lambda report: None
        self.child_sends: list[tuple[int, ChildOrder]] = []
        self.venue_fills: list[ExecutionReport] = []

    def attach(self, venue) -> None:
        self.venues[venue.name] = venue

    def connect(self, on_report: Callable[[ExecutionReport], None]) -> None:
        self._sink = on_report

    def send(self, child: ChildOrder) -> None:
        self.child_sends.append((len(self._log), child))
        venue = self.venues[child.venue]
        self._clock.call_later(self._out[child.venue].delay(self._clock.env.now), lambda: venue.submit(child, self._clock.now_ns()))

    def cancel(self, venue: str, child_id: str) -> None:
        target = self.venues[venue]
        self._clock.call_later(self._out[venue].delay(self._clock.env.now), lambda: target.cancel(child_id, self._clock.now_ns()))

    def receive(self, report: ExecutionReport) -> None:
        """Called by a venue, at venue time, for each report on our orders."""
        if report.kind is ExecKind.FILL:
            self.venue_fills.append(report)
        self._clock.call_later(self._back[report.venue].delay(self._clock.env.now), lambda: self._sink(report))


class SimMarketData:
    """Quotes straight from the venue books; reference price = NBBO mid."""

    def __init__(self, clock: SimClock, venues: dict, opening_prices: dict[str, int]):
        self._clock = clock
        self._venues = venues
        self._last_reference = dict(opening_prices)

    def quote(self, venue: str, symbol: str) -> Quote | None:
        target = self._venues.get(venue)
        if target is None or target.status is not VenueStatus.UP:
            return None
        return target.quote(symbol, self._clock.now_ns())

    def reference_price(self, symbol: str) -> int:
        best_bid = best_ask = 0
        for venue in self._venues.values():
            if venue.status is not VenueStatus.UP:
                continue
            book = venue.book(symbol)
            bid, ask = book.best_bid(), book.best_ask()
            if bid and bid[0] > best_bid:
                best_bid = bid[0]
            if ask and (best_ask == 0 or ask[0] < best_ask):
                best_ask = ask[0]
        if best_bid and best_ask and best_bid < best_ask:
            mid = (best_bid + best_ask) // 2
            self._last_reference[symbol] = mid
            return mid
        return self._last_reference.get(symbol, 0)

    def venue_status(self, venue: str) -> VenueStatus:
        target = self._venues.get(venue)
        return VenueStatus.DOWN if target is None else target.status
