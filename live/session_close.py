"""The session close on the wall clock: ``SessionCloser`` and what ends the venues' day.

Every business day at the configured close (``[session]``), the live process
runs the twin's close (``components.platform.close_session``): the venues this
process runs end their day (``end_venue_days``), then the OMS expires what
never reached a venue. ``live.bootstrap`` builds the closer when the session
is enabled; ``LiveApp.start`` arms it.
"""

from __future__ import annotations

from typing import Callable

from components.platform import close_session

from live.adapters.clock import WallClock
from live.adapters.venue_link import DirectLink, FixLink


class SessionCloser:
    """The session close on the wall clock: ``close_session`` at each close, then the next one is armed.

    The close runs as a clock timer, so through ``LiveRuntime.run`` (the
    components' lock): venue reports and ``ExpireDay`` are dispatched like
    any message. Arming again replaces the armed close (a stale timer finds
    itself superseded and does nothing).
    """

    def __init__(self, clock: WallClock, dispatch: Callable[[object], None],
                 end_venue_days: Callable[[int], None], next_close_ns: Callable[[int], int]) -> None:
        self._clock = clock
        self._dispatch = dispatch
        self._end_venue_days = end_venue_days
        self._next_close_ns = next_close_ns
        self._generation = 0
        self.next_ns: int | None = None
        """When the armed close will run (UTC ns), or None."""
        self.closes: list[int] = []
        """Wall-clock times at which closes ran."""

    def arm(self, at_ns: int | None = None) -> int:
        """Arm the close at ``at_ns`` (default: the configured next close); return when it will run."""
        self._generation += 1
        generation = self._generation
        close_ns = self._next_close_ns(self._clock.now_ns()) if at_ns is None else at_ns
        self.next_ns = close_ns

        def close() -> None:
            if generation != self._generation:
                return  # re-armed since: another timer owns the close
            self.next_ns = None
            now = self._clock.now_ns()
            close_session(now, self._end_venue_days, self._dispatch)
            self.closes.append(now)
            self.arm()  # the next business day's; orders entered after the close are its DAY orders

        self._clock.call_at(close_ns, close)
        return close_ns


def end_venue_days(link: DirectLink | FixLink) -> Callable[[int], None]:
    """End the day of the venues this process runs; remote FIX venues end their own."""
    if isinstance(link, DirectLink):
        def direct(now_ns: int) -> None:
            for venue in link.market.venues.values():
                venue.end_of_day(now_ns)  # reports reach the OMS through the gateway's sink (queued)

        return direct

    def embedded(_now_ns: int) -> None:
        venues = link.embedded
        if venues is None:
            return
        for name, venue in list(venues.venues.items()):
            if name not in venues.servers:
                continue  # stopped: its session dropped and on_disconnect already settled our children
            with venues.locks[name]:  # the venue's own lock and its own monotonic time, as its FIX thread
                venue.end_of_day(venues.apps[name].now_ns())  # reports go out over FIX, unsolicited

    return embedded
