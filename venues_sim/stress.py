"""Venue stress behaviours: pluggable conditions a venue can be put under.

One interface, ``VenueCondition``: a small object attached to a ``SimVenue``
for a while (``SimVenue.add_condition`` / ``remove_condition``). Each kind
overrides only the hook it needs; the defaults change nothing:

* ``Down``: the venue goes DOWN (rejects, does not trade, publishes nothing);
* ``Slow``: extra one-way latency on the links to and from the venue (the twin
  reads ``extra_latency_ns``; the venue itself is unaffected);
* ``StaleBook``: market data stops updating: quotes stay frozen at their value
  and timestamp when the condition began, while orders still trade on the
  real book;
* ``RejectStorm``: a fraction of our new orders is rejected with a reason,
  drawn from the condition's own seeded stream;
* ``SubmitOnlyDown``: cancels (and cancel/replaces) are refused while new
  orders still work.

When a condition is active is decided elsewhere: ``Window`` is one interval,
``poisson_windows`` draws random outage windows from a seeded stream. Each
kind is the mechanism behind one venue fault of the catalogue
(``chaos.faults.venues``: ``venue_down``, ``venue_slow``, ...); the twin's
``twin.venue_stress.VenueStresser`` attaches and detaches them at the faults'
times, whether they come from a scenario's ``faults`` list, its venues'
``stress`` entries or the swarm. Nothing here reads a clock or imports simpy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Protocol

import numpy as np

from components.domain.venues import ChildOrder, Quote, VenueStatus


class StressedVenue(Protocol):
    """What a condition touches on the venue it is attached to (``venues_sim.venue.SimVenue``).

    A Protocol, not an import of ``SimVenue``: the venue imports this module for
    ``VenueCondition``, so importing it back would be a cycle."""

    @property
    def symbols(self) -> Iterable[str]: ...

    @property
    def conditions(self) -> tuple["VenueCondition", ...]: ...

    def set_status(self, status: VenueStatus) -> None: ...

    def quote(self, symbol: str, now_ns: int) -> Quote: ...

# Reason codes on REJECTED reports caused by a condition.
VENUE_THROTTLED = "VENUE_THROTTLED"
CANCEL_UNAVAILABLE = "CANCEL_UNAVAILABLE"

KINDS = ("DOWN", "SLOW", "STALE_BOOK", "REJECT_STORM", "SUBMIT_ONLY_DOWN")
"""Condition kinds as written in scenario files."""


class VenueCondition:
    """Base of every stress behaviour; each hook defaults to "no effect"."""

    kind = ""
    extra_latency_ns = 0
    """Added to each one-way trip on the venue's links while active (read by the twin)."""

    def on_start(self, venue: StressedVenue, now_ns: int) -> None:
        """Called just before the condition is attached to ``venue``."""

    def on_end(self, venue: StressedVenue, now_ns: int) -> None:
        """Called just after the condition is detached from ``venue``."""

    def refuse_submit(self, child: ChildOrder, now_ns: int) -> str:
        """Reason code to reject a new child of ours, or "" to let it through."""
        return ""

    def refuse_cancel(self, child_id: str, now_ns: int) -> str:
        """Reason code to refuse a cancel (or cancel/replace), or ""."""
        return ""

    def published(self, quote: Quote) -> Quote:
        """The quote the venue publishes instead of ``quote`` (its live top of book)."""
        return quote


class Down(VenueCondition):
    """The venue is unreachable: status DOWN for the whole window."""

    kind = "DOWN"

    def on_start(self, venue: StressedVenue, now_ns: int) -> None:
        venue.set_status(VenueStatus.DOWN)

    def on_end(self, venue: StressedVenue, now_ns: int) -> None:
        # Overlapping outages: the venue comes back only when the last one ends.
        if not any(isinstance(c, Down) for c in venue.conditions):
            venue.set_status(VenueStatus.UP)


@dataclass
class Slow(VenueCondition):
    """Every message to or from the venue takes ``extra_ms`` longer."""

    extra_ms: float
    kind = "SLOW"

    def __post_init__(self) -> None:
        if not self.extra_ms >= 0:
            raise ValueError(f"extra_ms must be >= 0, got {self.extra_ms!r}")
        self.extra_latency_ns = int(round(self.extra_ms * 1e6))


class StaleBook(VenueCondition):
    """Published quotes freeze at their value (and timestamp) when this starts.

    Orders keep trading on the live book, so what a router sees and what it
    gets drift apart: a router should notice the old timestamp. Only the
    venue's published quote freezes; the twin's reference price (risk marks)
    still reads the live books.
    """

    kind = "STALE_BOOK"

    def __init__(self) -> None:
        self._frozen: dict[str, Quote] = {}

    def on_start(self, venue: StressedVenue, now_ns: int) -> None:
        self._frozen = {s: venue.quote(s, now_ns) for s in venue.symbols}

    def published(self, quote: Quote) -> Quote:
        return self._frozen.get(quote.symbol, quote)


class RejectStorm(VenueCondition):
    """Each new child of ours is rejected with probability ``fraction``.

    Draws once per submitted child from ``rng`` (its own named stream), so the
    storm does not disturb any other random stream.
    """

    kind = "REJECT_STORM"

    def __init__(self, fraction: float, rng: np.random.Generator, reason: str = VENUE_THROTTLED):
        if not 0.0 <= fraction <= 1.0:
            raise ValueError(f"fraction must be in [0, 1], got {fraction!r}")
        self.fraction = fraction
        self.reason = reason
        self._rng = rng

    def refuse_submit(self, child: ChildOrder, now_ns: int) -> str:
        return self.reason if self._rng.random() < self.fraction else ""


class SubmitOnlyDown(VenueCondition):
    """Cancels and cancel/replaces are refused; new orders still work."""

    kind = "SUBMIT_ONLY_DOWN"

    def refuse_cancel(self, child_id: str, now_ns: int) -> str:
        return CANCEL_UNAVAILABLE


# ------------------------------------------------------------------ when


@dataclass(frozen=True, slots=True)
class Window:
    """A condition is active from ``start_ns`` (inclusive) to ``end_ns``."""

    start_ns: int
    end_ns: int

    def __post_init__(self) -> None:
        if self.end_ns <= self.start_ns:
            raise ValueError(f"window must end after it starts, got {self.start_ns}..{self.end_ns}")


def poisson_windows(
    rng: np.random.Generator, start_ns: int, end_ns: int, rate_per_hour: float, mean_duration_s: float
) -> list[Window]:
    """Random outage windows in ``[start_ns, end_ns)``: Poisson arrivals at
    ``rate_per_hour``, exponential durations with mean ``mean_duration_s``
    (at least 1 ms). Windows never overlap: the next arrival is drawn from the
    end of the previous outage. Same stream => same windows."""
    if rate_per_hour < 0 or mean_duration_s <= 0:
        raise ValueError("rate_per_hour must be >= 0 and mean_duration_s > 0")
    windows: list[Window] = []
    if rate_per_hour == 0:
        return windows
    mean_gap_ns = 3600e9 / rate_per_hour
    at = start_ns
    while True:
        at += int(rng.exponential(mean_gap_ns))
        if at >= end_ns:
            return windows
        length = max(1_000_000, int(rng.exponential(mean_duration_s * 1e9)))
        windows.append(Window(at, min(end_ns, at + length)))
        at += length
