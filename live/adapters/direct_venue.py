"""In-process venues on the wall clock, and a VenueGateway that reaches them without FIX.

The direct venue link (``[venue_link] mode = "direct"``, ``twin serve
--direct-venues``): ``venues_sim`` venues running inside the server process.
``InProcessVenues`` builds them with market makers that requote on a timer
(so there is liquidity) and optional noise traders; ``DirectVenueGateway``
is the VenueGateway port over them. The default link is FIX instead
(``fix.gateway``, ``embedded_venues``); only the gateway and market data
differ, the components are untouched.

Child orders and cancels travel to a venue after its configured one-way
latency, in order (``FifoLink``), so ``POST /v1/orders`` answers before the
fills, as it will over FIX. Execution reports come back synchronously into
the sink given to ``connect`` (the live runtime, which queues them behind the
message being handled). Everything here runs holding the live runtime: timers
fire through it, and sends happen inside its handlers.
"""

from __future__ import annotations

from collections import deque
from typing import Callable, Iterable

from components.domain.venues import ChildOrder, ExecutionReport
from components.ports import Clock, RandomSource
from components.config.market import Liquidity, SymbolConfig, Venue
from venues_sim.fees import fee_model_of
from venues_sim.liquidity import MarketMaker, NoiseTrader, standard_participants
from venues_sim.venue import SimVenue

NS = 1_000_000_000


class FifoLink:
    """Runs posted actions ``delay_ns`` later, strictly in posting order.

    One armed timer at a time: asyncio does not keep timers with equal
    deadlines in order, and a cancel must never overtake its order.
    """

    def __init__(self, clock: Clock, delay_ns: int) -> None:
        self._clock = clock
        self._delay_ns = delay_ns
        self._queue: deque[tuple[int, Callable[[], None]]] = deque()
        self._last_due = 0
        self._armed = False

    def post(self, action: Callable[[], None]) -> None:
        due = max(self._clock.now_ns() + self._delay_ns, self._last_due)
        self._last_due = due
        self._queue.append((due, action))
        if not self._armed:
            self._armed = True
            self._clock.call_at(due, self._flush)

    def _flush(self) -> None:
        queue = self._queue
        _, action = queue.popleft()  # the timer was armed for this one
        try:
            action()
            now = self._clock.now_ns()
            while queue and queue[0][0] <= now:
                queue.popleft()[1]()
        finally:
            if queue:
                self._clock.call_at(queue[0][0], self._flush)
            else:
                self._armed = False

    def __len__(self) -> int:
        return len(self._queue)


class DirectVenueGateway:
    """The VenueGateway port over in-process ``SimVenue`` objects."""

    def __init__(self, clock: Clock, latency_ns: dict[str, int]) -> None:
        self._clock = clock
        self._links = {name: FifoLink(clock, ns) for name, ns in latency_ns.items()}
        self.venues: dict[str, SimVenue] = {}
        self._sink: Callable[[ExecutionReport], None] = lambda report: None

    def attach(self, venue: SimVenue) -> None:
        self.venues[venue.name] = venue

    def connect(self, on_report: Callable[[ExecutionReport], None]) -> None:
        self._sink = on_report

    def send(self, child: ChildOrder) -> None:
        venue = self.venues[child.venue]
        self._links[child.venue].post(lambda: venue.submit(child, self._clock.now_ns()))

    def cancel(self, venue: str, child_id: str) -> None:
        target = self.venues[venue]
        self._links[venue].post(lambda: target.cancel(child_id, self._clock.now_ns()))

    def receive(self, report: ExecutionReport) -> None:
        """Called by a venue for each report on our orders."""
        self._sink(report)

    @property
    def in_flight(self) -> int:
        """Child orders and cancels on their way to a venue."""
        return sum(len(link) for link in self._links.values())


class InProcessVenues:
    """Simulated venues plus the participants that keep their books tradable."""

    def __init__(self, clock: Clock, streams: RandomSource, symbols: Iterable[SymbolConfig],
                 venues: Iterable[Venue], liquidity: Liquidity) -> None:
        self._clock = clock
        self._streams = streams
        self._symbols = tuple(symbols)
        self._liquidity = liquidity
        venues = tuple(venues)
        self.gateway = DirectVenueGateway(clock, {v.name: int(v.latency_ms * 1_000_000) for v in venues})
        names = [s.symbol for s in self._symbols]
        self.venues: dict[str, SimVenue] = {}
        for v in venues:
            venue = SimVenue(v.name, fee_model_of(v), names, self.gateway.receive)
            self.gateway.attach(venue)
            self.venues[v.name] = venue
        self.makers: list[MarketMaker] = []
        self.noise: list[NoiseTrader] = []
        self._running = False
        self._generation = 0  # timers of an earlier start() stop themselves
        self._last_ns = 0

    @property
    def opening_prices(self) -> dict[str, int]:
        return {s.symbol: s.reference_price for s in self._symbols}

    def start(self) -> None:
        """Quote at once, then requote and trade on timers (again after a ``stop``)."""
        if self._running:
            return
        self._running = True
        self._generation += 1
        if not self.makers:
            self._add_participants(self._now())
        self.requote()
        self._schedule_requote(self._generation)
        if self._liquidity.noise_rate_per_s > 0:
            for trader in self.noise:
                self._schedule_noise(trader, self._generation)

    def _add_participants(self, start_ns: int) -> None:
        """A fair-value path per symbol, a market maker per symbol and venue, noise traders."""
        makers, noise = standard_participants(self._symbols, list(self.venues.values()), self._liquidity,
                                              self._streams.stream, start_ns)
        self.makers.extend(makers)
        self.noise.extend(noise)

    def stop(self) -> None:
        """Participants stop acting (pending timers find nothing to do)."""
        self._running = False

    def requote(self) -> None:
        now = self._now()
        for maker in self.makers:
            maker.requote(now)

    # -- timers -----------------------------------------------------------------
    def _now(self) -> int:
        # FairValue refuses to go back in time; the wall clock may (NTP steps).
        self._last_ns = max(self._last_ns, self._clock.now_ns())
        return self._last_ns

    def _live(self, generation: int) -> bool:
        return self._running and generation == self._generation

    def _schedule_requote(self, generation: int) -> None:
        def tick() -> None:
            if self._live(generation):
                self.requote()
                self._schedule_requote(generation)

        self._clock.call_at(self._now() + int(self._liquidity.requote_s * NS), tick)

    def _schedule_noise(self, trader: NoiseTrader, generation: int) -> None:
        rng = self._streams.stream(f"schedule:{trader.owner}")
        gap_ns = int(rng.exponential(NS / self._liquidity.noise_rate_per_s)) + 1

        def act() -> None:
            if self._live(generation):
                trader.act(self._now())
                self._schedule_noise(trader, generation)

        self._clock.call_at(self._now() + gap_ns, act)
