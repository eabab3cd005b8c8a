"""Ports: the seams between component code and the world it runs in.

Each port is a ``typing.Protocol``. The twin implements them on simpy
(``twin/``), the live runtime on the wall clock, FIX, NATS and a database
(``live/adapters/``). In-memory implementations that serve unit tests and the
twin's fast path live in ``components/memory.py``.
"""

from __future__ import annotations

from typing import Callable, Iterator, Protocol

import numpy as np

from .domain.events import OrderEvent
from .domain.venues import ChildOrder, ExecutionReport, Quote, VenueStatus


class Clock(Protocol):
    """Business time. Components read time only from here."""

    def now_ns(self) -> int:
        """Nanoseconds since the Unix epoch, UTC."""

    def call_at(self, when_ns: int, callback: Callable[[], None]) -> None:
        """Run ``callback`` once, at ``when_ns`` (or now, if that has passed)."""


class EventLog(Protocol):
    """Append-only record of events with contiguous offsets from 0."""

    def append(self, event: OrderEvent) -> int:
        """Store ``event``; return its offset."""

    def read(self, start: int = 0) -> Iterator[OrderEvent]:
        """Events from offset ``start`` on, in append order."""

    def __len__(self) -> int: ...


class MessageBus(Protocol):
    """Publish/subscribe with at-least-once delivery; handlers must be idempotent."""

    def publish(self, topic: str, message: object) -> None: ...

    def subscribe(self, topic: str, handler: Callable[[object], None]) -> None: ...


class VenueGateway(Protocol):
    """Sends child orders to venues; execution reports come back to the sink given
    to ``connect``."""

    def connect(self, on_report: Callable[[ExecutionReport], None]) -> None: ...

    def send(self, child: ChildOrder) -> None: ...

    def cancel(self, venue: str, child_id: str) -> None: ...


class MarketData(Protocol):
    """What the router and risk may know about markets."""

    def quote(self, venue: str, symbol: str) -> Quote | None: ...

    def reference_price(self, symbol: str) -> int:
        """A reference (e.g. last consolidated mid) price in units; 0 if unknown."""

    def venue_status(self, venue: str) -> VenueStatus: ...


class IdSource(Protocol):
    """Unique ids: deterministic in the twin, uuid-based live."""

    def next_id(self, prefix: str) -> str: ...


class RandomSource(Protocol):
    """Named random streams: drawing from one never shifts another."""

    def stream(self, name: str) -> np.random.Generator: ...
