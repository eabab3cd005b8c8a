"""Agents over the network: orders, cancels, acks, fills and market data as delayed messages.

In ``agents.mode: network`` (docs/agents_network.md) no agent calls a venue or
reads its live book. Each agent gets its own ``NetworkFront`` with the calls
of a ``TapedVenue`` (``book``, ``submit_agent_order``, ``cancel_agent_order``,
``tapes``), so the agents' code is the same in both modes:

* an order or cancel is a message that reaches the venue after the link's
  one-way latency; ``submit_agent_order`` returns at once with a *pending*
  result (no fills; a DAY limit assumed resting until its ack says otherwise,
  an IOC assumed gone), and the ack comes back after the latency the other
  way (``listen``: ``scenarios.agents.base.AgentOrders`` forgets a resting
  order the ack shows never rested; acks and pushes wait in the agent's
  inbox, taken in when it next looks at them: the same outcome as an event
  per message, since an agent reads its state only when it acts). Messages
  on one link keep their order (a later message never overtakes an earlier
  one, as on a TCP session), so a cancel never reaches the venue before its
  order; what an agent sends to one venue at one instant (a maker's cancels
  and new ladder) travels as one burst, with one latency draw;
* ``book(symbol)`` is a ``SnapshotBook``: the last market data this agent
  received, never the live book. Subscribers (market makers by default) get a
  push of each venue's top ``depth`` levels every ``interval_ms``; the other
  agents query at each wake-up (request and response, as ABIDES' value and
  noise agents do) and act when the response is in;
* a market maker's news that a quote filled completely (``TradeTape.watch``)
  arrives as a message too.

Latency of one message: the agent's base for its class (drawn once per agent),
plus its venue's extra, plus an exponential jitter per message, all from the
agent's own stream (``agents:net:OWNER``), so adding an agent changes no other
agent's draws, and no strategy draw moves between modes.

``MessageCount`` counts as ABIDES' kernel does: every wake-up and every
message either way (orders, cancels, queries; acks, executions to both
sides, cancel confirmations, query responses, market-data pushes). An ack or
execution report to an agent that does nothing with it is counted but not
scheduled as an event (the run is the same either way).

Simplifications, said here and in the doc: a maker's inventory and the
traded volume it sizes by are read from the tape at once (its own fills and
the trade feed without delay); the venues' matching and the broker's child
orders are untouched. Nothing here imports simpy or the twin: the twin hands
``AgentNetwork.start`` its clock's ``schedule(delay_ns, on_fire, value)``
(``on_fire(timer)`` later, with ``timer.value == value``) and ``now_ns``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from components.domain.orders import Side, TimeInForce
from components.domain.venues import Liquidity
from venues_sim.book import AddResult

from .tape import TapedVenue, TradeTape

Schedule = Callable[[int, Callable[[Any], None], Any], None]
"""``schedule(delay_ns, on_fire, value)``: call ``on_fire(timer)`` after ``delay_ns`` with ``timer.value == value``."""

NS_PER_MS = 1_000_000
_BUY = Side.BUY
_DAY = TimeInForce.DAY
_NO_TOP = (0, 0, 0, 0)
_NO_FILLS: list = []
_JITTER_BLOCK = 64
_PUSH, _ACK = "push", "ack"  # kinds of inbox message


@dataclass(slots=True)
class MessageCount:
    """Messages of an agent population, counted as ABIDES' kernel counts them."""

    wakeups: int = 0
    """Agent wake-ups (Poisson wakes and market makers' early requotes)."""
    to_venues: int = 0
    """Orders, cancels and market-data queries sent to venues."""
    to_agents: int = 0
    """Acks, execution reports (to both sides), cancel confirmations, query responses, market-data pushes."""

    @property
    def total(self) -> int:
        return self.wakeups + self.to_venues + self.to_agents

    def as_dict(self) -> dict[str, int]:
        return {"wakeups": self.wakeups, "to_venues": self.to_venues, "to_agents": self.to_agents,
                "total": self.total}


def consolidate(tops: Sequence[tuple[int, int, int, int]]) -> tuple[int, int, int, int]:
    """Best bid and ask over ``tops`` (``(bid, bid size, ask, ask size)``, 0 for a missing side), with the
    sizes shown at those prices summed over venues."""
    if len(tops) == 1:
        return tops[0]
    bid = max(t[0] for t in tops)
    asks = [t[2] for t in tops if t[2]]
    ask = min(asks) if asks else 0
    bid_size = sum(t[1] for t in tops if bid and t[0] == bid)
    ask_size = sum(t[3] for t in tops if ask and t[2] == ask)
    return bid, bid_size, ask, ask_size


class ConsolidatedBook:
    """The live books of one symbol on several venues, read as one top of book (direct mode, many venues)."""

    def __init__(self, books: Sequence[Any]):
        self.books = list(books)

    def tops(self) -> list[tuple[int, int, int, int]]:
        return [b.top() for b in self.books]

    def top(self) -> tuple[int, int, int, int]:
        return consolidate(self.tops())


class SnapshotBook:
    """One agent's view of one symbol: the last snapshot it received from each venue (network mode).

    ``front``: the agent's ``NetworkFront``, whose inbox is read first (messages that have arrived)."""

    __slots__ = ("snapshots", "levels", "front")

    def __init__(self, venues: int, front: "NetworkFront | None" = None):
        self.snapshots: list[tuple[int, int, int, int]] = [_NO_TOP] * venues
        self.levels: list[Any] = [None] * venues
        """Per venue: ``(bids, asks)`` of the last snapshot when it carried more than the top, else None."""
        self.front = front

    def tops(self) -> list[tuple[int, int, int, int]]:
        front = self.front
        if front is not None and front.inbox:
            front.read_inbox()
        return self.snapshots

    def top(self) -> tuple[int, int, int, int]:
        return consolidate(self.tops())


class VenueChooser:
    """Picks the venue for each order by an ``agents.venues`` rule (``scenarios.config_agents.AgentVenues``).

    ``first``: venue 0. ``fixed``: a smooth weighted round robin over ``weights`` (deterministic, no
    draws: after n orders each venue has had its share to within one order). ``displayed``: the best price
    on the side the order would take, then the most displayed size there, then the earliest listed.
    ``fees``: the lowest fee for the order as the agent's view says it would trade there (taker if it
    crosses that venue's top, maker otherwise), then the earliest listed.
    """

    RULES = ("first", "fixed", "displayed", "fees")

    def __init__(self, rule: str, weights: Sequence[int] = (), fees: Sequence[Any] = (), pinned: int | None = None):
        """``pinned``: always that venue, whatever the rule (a market maker's desk on one venue)."""
        if rule not in self.RULES:
            raise ValueError(f"agents.venues.rule: must be one of {', '.join(self.RULES)}, got {rule!r}")
        if rule == "fixed" and (not weights or not any(weights) or min(weights) < 0):
            raise ValueError(f"agents.venues.split: weights must be >= 0 and not all 0, got {list(weights)!r}")
        self.rule = rule
        self.weights = list(weights)
        self.fees = list(fees)
        self._credit = [0] * len(self.weights)
        self.pinned = pinned

    def choose(self, side: Side, qty: int, price: int | None, tops: Sequence[tuple[int, int, int, int]]) -> int:
        """Index of the venue for this order, given each venue's top as the agent sees it."""
        if self.pinned is not None:
            return self.pinned
        rule = self.rule
        if rule == "first" or len(tops) == 1:
            return 0
        if rule == "fixed":
            credit, weights = self._credit, self.weights
            for i, w in enumerate(weights):
                credit[i] += w
            best = max(range(len(credit)), key=lambda i: (credit[i], -i))
            credit[best] -= sum(weights)
            return best
        if rule == "displayed":
            if side is _BUY:  # lowest ask, then most size; venues with no ask last
                keys = [(t[2] if t[2] else 1 << 62, -t[3], i) for i, t in enumerate(tops)]
            else:
                keys = [(-t[0], -t[1], i) for i, t in enumerate(tops)]
            return min(keys)[2]
        costs = []
        for i, t in enumerate(tops):
            far = t[2] if side is _BUY else t[0]
            crosses = bool(far) and (price is None or (price >= far if side is _BUY else price <= far))
            costs.append((self.fees[i].fee(Liquidity.TAKER if crosses else Liquidity.MAKER, qty), i))
        return min(costs)[1]


class SpreadFront:
    """Direct mode over several venues: the ``TapedVenue`` calls, each order sent at once to the venue a
    ``VenueChooser`` picks from the live books, cancels to wherever the order went. One per agent."""

    def __init__(self, fronts: Sequence[TapedVenue], chooser: VenueChooser):
        self.fronts = list(fronts)
        self.name = self.fronts[0].name
        self.our_owner = self.fronts[0].our_owner
        self.tapes: dict[str, TradeTape] = self.fronts[0].tapes
        self.chooser = chooser
        self._where: dict[str, int] = {}
        self._books: dict[str, ConsolidatedBook] = {}

    def book(self, symbol: str) -> ConsolidatedBook:
        book = self._books.get(symbol)
        if book is None:
            book = self._books[symbol] = ConsolidatedBook([f.book(symbol) for f in self.fronts])
        return book

    def submit_agent_order(self, order_id: str, owner: str, symbol: str, side: Side, qty: int,
                           price: int | None, tif: TimeInForce, now_ns: int) -> AddResult:
        vi = self.chooser.choose(side, qty, price, self.book(symbol).tops())
        result = self.fronts[vi].submit_agent_order(order_id, owner, symbol, side, qty, price, tif, now_ns)
        if result.rested_qty:
            self._where[order_id] = vi
        return result

    def cancel_agent_order(self, order_id: str) -> int:
        vi = self._where.pop(order_id, None)
        return 0 if vi is None else self.fronts[vi].cancel_agent_order(order_id)


@dataclass(frozen=True, slots=True)
class Latency:
    """One agent class's one-way latency in ns: ``base_ns`` plus a per-agent uniform draw up to
    ``base_spread_ns``, plus an exponential jitter of mean ``jitter_ns`` per message."""

    base_ns: int
    base_spread_ns: int = 0
    jitter_ns: int = 0

    @classmethod
    def from_config(cls, link: Any) -> "Latency":
        """From a ``scenarios.config_agents.LinkLatency`` (ms)."""
        return cls(int(link.base_ms * NS_PER_MS), int(link.base_spread_ms * NS_PER_MS), int(link.jitter_ms * NS_PER_MS))


class NetworkFront:
    """One agent's link to the venues in network mode: the ``TapedVenue`` calls, as delayed messages."""

    def __init__(self, hub: "AgentNetwork", owner: str, symbol: str, latency: Latency, rng: np.random.Generator,
                 chooser: VenueChooser, subscriber: bool):
        self.hub = hub
        self.owner = owner
        self.symbol = symbol
        self.name = hub.fronts[0].name
        self.our_owner = hub.fronts[0].our_owner
        self.tapes = hub.tapes
        self.chooser = chooser
        self.subscriber = subscriber
        self._rng = rng
        base = latency.base_ns + (int(rng.integers(0, latency.base_spread_ns + 1)) if latency.base_spread_ns else 0)
        self.base_ns = [base + extra for extra in hub.venue_extra_ns]
        """One-way latency to each venue before jitter, ns."""
        self._jitter = float(latency.jitter_ns)
        self._jitters: list[int] = []  # drawn ahead, next last
        n = len(hub.fronts)
        self._out_at = [0] * n  # last arrival time at each venue of a message from this agent
        self._back_at = [0] * n  # last arrival time here of a message from each venue
        self._where: dict[str, int] = {}
        self._views: dict[str, SnapshotBook] = {}
        self._burst: list[list | None] = [None] * n  # per venue: messages sent now, not yet arrived
        self._burst_at = [-1] * n  # when that burst was sent
        self._on_ack: Callable[[str, AddResult], None] | None = None
        self.inbox: list[tuple] = []
        """Messages on their way here that only matter when the agent next looks (market-data pushes,
        acks): ``(arrival ns, kind, ...)``, read by ``read_inbox`` once arrived. Same outcome as one
        event per message (an agent reads its state only when it acts), without the events."""

    def book(self, symbol: str) -> SnapshotBook:
        view = self._views.get(symbol)
        if view is None:
            view = self._views[symbol] = SnapshotBook(len(self.hub.fronts), self)
        return view

    def read_inbox(self) -> None:
        """Take in every message of the inbox that has arrived by now, in the order they were sent
        (one link's messages arrive in order, so a later snapshot of a venue replaces an earlier one)."""
        now = self.hub.now()
        waiting = []
        for message in self.inbox:
            if message[0] > now:
                waiting.append(message)
            elif message[1] is _PUSH:
                _, _, symbol, vi, (top, levels) = message
                view = self.book(symbol)
                view.snapshots[vi] = top
                view.levels[vi] = levels
            else:
                _, _, order_id, result = message
                if not result.rested_qty:
                    self._where.pop(order_id, None)
                self._on_ack(order_id, result)
        self.inbox = waiting

    def listen(self, on_ack: Callable[[str, AddResult], None]) -> None:
        """Call ``on_ack(order_id, result)`` when an order's ack arrives (its true outcome at the venue)."""
        self._on_ack = on_ack

    def _one_way(self, vi: int, now: int, last: list[int]) -> int:
        """Delay of a message sent now on link ``vi`` (one direction, whose last arrivals are ``last``)."""
        d = self.base_ns[vi]
        if self._jitter:
            jitters = self._jitters
            if not jitters:  # drawn in blocks: numpy gives the same numbers as one call each, faster
                block = self._rng.standard_exponential(_JITTER_BLOCK) * self._jitter
                jitters = self._jitters = block.astype(np.int64)[::-1].tolist()  # whole ns, popped first-drawn first
            d += jitters.pop()
        at = now + d
        if at < last[vi]:  # never overtake the previous message on this link
            at = last[vi]
        last[vi] = at
        return at - now

    def delay_out(self, vi: int, now: int) -> int:
        return self._one_way(vi, now, self._out_at)

    def delay_back(self, vi: int, now: int) -> int:
        return self._one_way(vi, now, self._back_at)

    def submit_agent_order(self, order_id: str, owner: str, symbol: str, side: Side, qty: int,
                           price: int | None, tif: TimeInForce, now_ns: int) -> AddResult:
        """Send the order; returns a pending result (see the module doc), the true one comes with the ack."""
        chooser = self.chooser
        vi = chooser.pinned if chooser.pinned is not None else chooser.choose(side, qty, price, self.book(symbol).tops())
        self._send(vi, now_ns, (order_id, owner, symbol, side, qty, price, tif))
        if tif is _DAY and price is not None:
            self._where[order_id] = vi
            return AddResult(_NO_FILLS, qty, 0)
        return AddResult(_NO_FILLS, 0, 0)

    def cancel_agent_order(self, order_id: str) -> int:
        """Send a cancel for an order this agent may still have resting; 0 (what it removed is not known yet)."""
        vi = self._where.pop(order_id, None)
        if vi is None:
            return 0
        self._send(vi, self.hub.now(), order_id)
        return 0

    def _send(self, vi: int, now: int, message: tuple | str) -> None:
        """One order (a tuple) or cancel (an order id) to venue ``vi``. Messages an agent sends to one
        venue at one instant travel together, as FIX messages written to a session in one go do: one
        latency draw, one arrival, taken in the order sent (a maker's whole requote is one burst)."""
        hub = self.hub
        hub.counts.to_venues += 1
        burst = self._burst[vi]
        if burst is not None and self._burst_at[vi] == now:
            burst.append(message)
            return
        burst = self._burst[vi] = [message]
        self._burst_at[vi] = now
        hub.schedule(self.delay_out(vi, now), hub._burst_arrives, (self, vi, burst))


class AgentNetwork:
    """The message layer between one agent population and its venues (network mode), and its driver.

    ``fronts`` are the venues' ``TapedVenue`` fronts (sharing one tape per symbol), in the scenario's
    order; ``venue_extra_ns`` the extra one-way latency per venue. ``front_for`` gives each agent its
    ``NetworkFront``; ``drive`` registers the agent for wake-ups; ``start`` schedules them and the
    market-data publishers.
    """

    def __init__(self, fronts: Sequence[TapedVenue], symbols: Sequence[str], *, interval_ns: int, depth: int = 1,
                 venue_extra_ns: Sequence[int] | None = None):
        if type(interval_ns) is not int or interval_ns <= 0:
            raise ValueError(f"agents.market_data.interval_ms: must be > 0, got {interval_ns!r} ns")
        if type(depth) is not int or depth < 1:
            raise ValueError(f"agents.market_data.depth: must be an int >= 1, got {depth!r}")
        self.fronts = list(fronts)
        self.symbols = list(symbols)
        self.tapes: dict[str, TradeTape] = self.fronts[0].tapes
        self.interval_ns = interval_ns
        self.depth = depth
        self.venue_extra_ns = list(venue_extra_ns) if venue_extra_ns is not None else [0] * len(self.fronts)
        self.counts = MessageCount()
        self.agent_fronts: dict[str, NetworkFront] = {}
        self._driven: list[tuple[Any, NetworkFront, int]] = []
        self._subscribers: dict[str, list[NetworkFront]] = {s: [] for s in self.symbols}
        self.schedule: Schedule = _not_started
        self.now: Callable[[], int] = _not_started
        self._close_ns = 0
        for tape in self.tapes.values():
            tape.watch_through = self._delayed_watch

    def front_for(self, owner: str, symbol: str, latency: Latency, rng: np.random.Generator,
                  chooser: VenueChooser, subscriber: bool) -> NetworkFront:
        """A new agent's front (before the agent is built: a maker's ``tape.watch`` needs it)."""
        front = NetworkFront(self, owner, symbol, latency, rng, chooser, subscriber)
        self.agent_fronts[owner] = front
        if subscriber:
            self._subscribers[symbol].append(front)
        return front

    def drive(self, agent: Any, front: NetworkFront, first_ns: int) -> None:
        """Wake ``agent`` from ``first_ns`` (through ``front``: a query first unless it subscribes)."""
        self._driven.append((agent, front, first_ns))
        if getattr(agent, "refill_delay_ns", None) is not None:
            agent.on_side_empty = self._on_side_empty

    # ------------------------------------------------------------------ driving

    def start(self, schedule: Schedule, now_ns: Callable[[], int], close_ns: int) -> None:
        """Schedule every agent's first wake-up before ``close_ns`` and the publishers until then."""
        self.schedule, self.now, self._close_ns = schedule, now_ns, close_ns
        start = now_ns()
        for agent, front, first in self._driven:
            if first < close_ns:
                schedule(max(0, first - start), self._wake, (agent, front, True))
        if any(self._subscribers.values()) and start < close_ns:
            schedule(0, self._publish, None)

    def _wake(self, timer: Any) -> None:
        agent, front, poisson = timer.value
        self.counts.wakeups += 1
        if front.subscriber:
            self._act(agent, front, poisson)
            return
        waiting = [len(self.fronts)]  # act once every venue's response to this wake-up's queries is in
        now = self.now()
        counts, schedule = self.counts, self.schedule
        for vi in range(len(self.fronts)):
            counts.to_venues += 1
            front._burst[vi] = None  # nothing sent after the query may arrive before it
            schedule(front.delay_out(vi, now), self._query_arrives, (agent, front, vi, poisson, waiting))

    def _act(self, agent: Any, front: NetworkFront, poisson: bool) -> None:
        now = self.now()
        if now >= self._close_ns:  # a response that came back after the close: too late to trade
            return
        if front.inbox:
            front.read_inbox()
        if not poisson:  # a maker's early requote
            agent.requote(now)
            return
        nxt = agent.wake(now)
        if nxt < self._close_ns:
            self.schedule(nxt - now, self._wake, (agent, front, True))

    def _on_side_empty(self, maker: Any) -> None:
        front = self.agent_fronts[maker.owner]
        self.schedule(maker.refill_delay_ns, self._wake, (maker, front, False))

    # ------------------------------------------------------------------ market data

    def _snapshot(self, vi: int, symbol: str) -> tuple[tuple[int, int, int, int], Any]:
        book = self.fronts[vi].book(symbol)
        return book.top(), (book.depth(self.depth) if self.depth > 1 else None)

    def _query_arrives(self, timer: Any) -> None:
        agent, front, vi, poisson, waiting = timer.value
        self.counts.to_agents += 1
        snap = self._snapshot(vi, front.symbol)
        self.schedule(front.delay_back(vi, self.now()), self._response_arrives,
                      (agent, front, vi, poisson, waiting, snap))

    def _response_arrives(self, timer: Any) -> None:
        agent, front, vi, poisson, waiting, (top, levels) = timer.value
        view = front.book(front.symbol)
        view.snapshots[vi] = top
        view.levels[vi] = levels
        waiting[0] -= 1
        if waiting[0] == 0:
            self._act(agent, front, poisson)

    def _publish(self, timer: Any) -> None:
        now = self.now()
        counts, schedule = self.counts, self.schedule
        for symbol, subscribers in self._subscribers.items():
            if not subscribers:
                continue
            for vi in range(len(self.fronts)):
                snap = self._snapshot(vi, symbol)
                for front in subscribers:
                    counts.to_agents += 1
                    front.inbox.append((now + front.delay_back(vi, now), _PUSH, symbol, vi, snap))
        if now + self.interval_ns < self._close_ns:
            schedule(self.interval_ns, self._publish, None)

    # ------------------------------------------------------------------ orders

    def _burst_arrives(self, timer: Any) -> None:
        front, vi, burst = timer.value
        if front._burst[vi] is burst:
            front._burst[vi] = None  # arrived: the next message starts a new burst
        now = self.now()
        venue, counts, our, on_ack = self.fronts[vi], self.counts, front.our_owner, front._on_ack
        for message in burst:
            if message.__class__ is str:  # a cancel
                if venue.cancel_agent_order(message):
                    counts.to_agents += 1  # the cancel confirmation (none for an order already gone)
                continue
            order_id, owner, symbol, side, qty, price, tif = message
            result = venue.submit_agent_order(order_id, owner, symbol, side, qty, price, tif, now)
            counts.to_agents += 1  # the ack
            fills = result.fills
            if fills:
                counts.to_agents += len(fills) + sum(1 for f in fills if f.maker_owner != our)  # both sides' reports
            if on_ack is not None:
                front.inbox.append((now + front.delay_back(vi, now), _ACK, order_id, result))

    def _delayed_watch(self, owner: str, on_done: Callable[[str], None]) -> Callable[[str], None]:
        """``TradeTape.watch_through``: the news that a resting order filled arrives after the way back."""
        front = self.agent_fronts.get(owner)
        if front is None:
            return on_done
        hub = self

        def delayed(order_id: str) -> None:
            vi = front._where.get(order_id, 0)
            hub.schedule(front.delay_back(vi, hub.now()), _deliver_done, (front, on_done, order_id))

        return delayed


def _deliver_done(timer: Any) -> None:
    front, on_done, order_id = timer.value
    front._where.pop(order_id, None)  # filled: no cancel for it will be sent
    on_done(order_id)


def _not_started(*_args: Any) -> Any:
    raise RuntimeError("AgentNetwork.start has not been called: the twin schedules agents in network mode")
