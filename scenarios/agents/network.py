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
  push of each venue's top ``depth`` levels every ``interval_ms`` (logged once
  per publication and taken in by each subscriber, latency drawn in the order
  sent, when it next draws a latency or looks: ``NetworkFront._take_pushes``,
  the same draws and views as a message per push); the other agents query at
  each wake-up (request and response, as ABIDES' value and noise agents do)
  and act when the response is in;
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
_GONE = AddResult(_NO_FILLS, 0, 0)  # an IOC or market order, as pending: nothing assumed resting
_new_tuple = tuple.__new__
_JITTER_BLOCK = 64
_PUSH, _ACK = "push", "ack"  # kinds of inbox message
_LOG_TRIM = 1024  # publications kept before those every subscriber has taken in are dropped


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
        if front is not None:
            log = front._pushes
            if log is not None and front._pushes_seen < len(log):
                front._take_pushes(front.hub.now())
            if front.inbox:
                front.read_inbox()
        return self.snapshots

    def top(self) -> tuple[int, int, int, int]:
        tops = self.tops()
        return tops[0] if len(tops) == 1 else consolidate(tops)


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
        self._pushes: list[tuple] | None = None
        """A subscriber's venues' publications of its symbol (the hub's log, shared by every subscriber to
        it): ``(sent ns, venue, top, levels)``. Each is one push to this agent, taken in (its latency
        drawn, in the order sent) by ``_take_pushes`` before this front draws any other latency and before
        its view is read: the same draws in the same order as drawing at each publication, without a
        message per subscriber per interval."""
        self._pushes_seen = 0  # how many of ``_pushes`` have been taken in
        if chooser.pinned is not None:
            self._fixed_vi: int | None = chooser.pinned
        elif chooser.rule == "first" or n == 1:
            self._fixed_vi = 0
        else:
            self._fixed_vi = None
        """The venue of every order when the rule leaves no choice (``VenueChooser.choose`` would return it
        without reading anything), else None: choose per order."""

    def book(self, symbol: str) -> SnapshotBook:
        view = self._views.get(symbol)
        if view is None:
            view = self._views[symbol] = SnapshotBook(len(self.hub.fronts), self)
        return view

    def read_inbox(self) -> None:
        """Take in every message of the inbox that has arrived by now, in the order they were sent
        (one link's messages arrive in order, so a later snapshot of a venue replaces an earlier one)."""
        self._read_inbox(self.hub.now())

    def _read_inbox(self, now: int) -> None:
        waiting = []
        views = self._views
        for message in self.inbox:
            if message[0] > now:
                waiting.append(message)
            elif message[1] is _PUSH:
                _, _, symbol, vi, top, levels = message
                view = views.get(symbol)
                if view is None:
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

    def _next_jitter(self) -> int:
        """The next per-message jitter, ns (only called when the class has jitter)."""
        jitters = self._jitters
        if not jitters:  # drawn in blocks: numpy gives the same numbers as one call each, faster
            block = self._rng.standard_exponential(_JITTER_BLOCK) * self._jitter
            jitters = self._jitters = block.astype(np.int64)[::-1].tolist()  # whole ns, popped first-drawn first
        return jitters.pop()

    def _take_jitters(self, k: int) -> list[int]:
        """The next ``k`` jitters in the order ``_next_jitter`` would give them (the same blocks drawn)."""
        taken: list[int] = []
        while True:
            jitters = self._jitters
            if len(jitters) >= k:
                if k:
                    taken += jitters[:-k - 1:-1]
                    del jitters[-k:]
                return taken
            k -= len(jitters)
            taken += jitters[::-1]
            jitters.clear()
            first = self._next_jitter()  # draws a fresh block (the list was empty) and takes its first...
            self._jitters.append(first)  # ...which is put back: the block, next last

    def _take_pushes(self, now: int) -> None:
        """Take in the publications not yet taken: each one's latency back (as ``delay_back`` draws it),
        then into the view if it has arrived by ``now`` and nothing is waiting in the inbox (an older push
        waiting there would otherwise land after it), else into the inbox."""
        log = self._pushes
        i, end = self._pushes_seen, len(log)
        self._pushes_seen = end
        view = self.book(self.symbol)
        base, last = self.base_ns, self._back_at
        if len(base) == 1 and not self.inbox:
            # One venue, nothing waiting (a maker between two looks: about one push per interval since):
            # the arrivals are the sent times plus latency, each at least the one before; if the last has
            # arrived, all have, and only the last one's snapshot is left in the view.
            b = base[0]
            if self._jitter:
                arrivals = [e[0] + b + j for e, j in zip(log[i:end], self._take_jitters(end - i))]
            else:
                arrivals = [e[0] + b for e in log[i:end]]
            at = max(max(arrivals), last[0])
            if at <= now:
                last[0] = at
                _, _, view.snapshots[0], view.levels[0] = log[end - 1]
                return
            self._arrive(view, log, i, arrivals, now)  # the latest still on its way: one by one
            return
        snapshots, all_levels = view.snapshots, view.levels
        jitter, inbox, symbol = self._jitter, self.inbox, self.symbol
        direct = not inbox
        while i < end:
            sent, vi, top, levels = log[i]
            i += 1
            d = base[vi]
            if jitter:
                jitters = self._jitters
                d += jitters.pop() if jitters else self._next_jitter()
            at = sent + d
            if at < last[vi]:
                at = last[vi]
            last[vi] = at
            if direct and at <= now:
                snapshots[vi] = top
                all_levels[vi] = levels
            else:
                inbox.append((at, _PUSH, symbol, vi, top, levels))
                direct = False

    def _arrive(self, view: SnapshotBook, log: list[tuple], i: int, arrivals: list[int], now: int) -> None:
        """One venue, its pushes ``log[i:]`` sent to arrive at ``arrivals`` (before the no-overtaking rule):
        the arrived ones into the view, the rest into the (empty) inbox."""
        last = self._back_at
        for (_, vi, top, levels), at in zip(log[i:], arrivals):
            if at < last[0]:
                at = last[0]
            last[0] = at
            if at <= now:
                view.snapshots[0] = top
                view.levels[0] = levels
            else:
                self.inbox.append((at, _PUSH, self.symbol, 0, top, levels))

    def _one_way(self, vi: int, now: int, last: list[int]) -> int:
        """Delay of a message sent now on link ``vi`` (one direction, whose last arrivals are ``last``).

        The hub's hot paths inline these lines (same draws, same order): change them together."""
        pushes = self._pushes
        if pushes is not None and self._pushes_seen < len(pushes):
            self._take_pushes(now)  # their draws come first: they were sent first
        d = self.base_ns[vi]
        if self._jitter:
            jitters = self._jitters
            d += jitters.pop() if jitters else self._next_jitter()
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
        vi = self._fixed_vi
        if vi is None:
            vi = self.chooser.choose(side, qty, price, self.book(symbol).tops())
        self._send(vi, now_ns, (order_id, owner, symbol, side, qty, price, tif))
        if tif is _DAY and price is not None:
            self._where[order_id] = vi
            return _new_tuple(AddResult, (_NO_FILLS, qty, 0))  # AddResult(_NO_FILLS, qty, 0), without its __new__
        return _GONE

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
        # self.delay_out(vi, now), inlined
        pushes = self._pushes
        if pushes is not None and self._pushes_seen < len(pushes):
            self._take_pushes(now)
        d = self.base_ns[vi]
        if self._jitter:
            jitters = self._jitters
            d += jitters.pop() if jitters else self._next_jitter()
        at = now + d
        last = self._out_at
        if at < last[vi]:
            at = last[vi]
        last[vi] = at
        hub.schedule(at - now, hub._burst_arrives, (self, vi, burst, at))


class AgentNetwork:
    """The message layer between one agent population and its venues (network mode), and its driver.

    ``fronts`` are the venues' ``TapedVenue`` fronts (sharing one tape per symbol), in the scenario's
    order; ``venue_extra_ns`` the extra one-way latency per venue. ``front_for`` gives each agent its
    ``NetworkFront``; ``drive`` registers the agent for wake-ups; ``start`` schedules them and the
    market-data publishers.

    Speed (the whole RMSC04-shaped day is about 140,000 scheduled events): every scheduled message
    carries its own arrival time, so a handler knows the time without asking the clock; the lines that
    draw one message's latency (``NetworkFront._one_way``) are inlined where messages are made; with
    one venue a wake-up's query goes out and comes back without the loops and the wait counter that
    several venues need. The events, their order and every draw are those of the plain version.
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
        self._published: dict[str, list[tuple]] = {s: [] for s in self.symbols}
        """Per symbol, every venue's publications, ``(sent ns, venue, top, levels)``: each subscriber to
        the symbol takes them in as pushes (``NetworkFront._take_pushes``)."""
        self._publishing: list[tuple[list, list, list]] | None = None  # per subscribed symbol: log, books, subscribers
        self.schedule: Schedule = _not_started
        self.now: Callable[[], int] = _not_started
        self._close_ns = 0
        self._books: list[dict[str, Any]] = [{} for _ in self.fronts]  # per venue: symbol -> its book
        for tape in self.tapes.values():
            tape.watch_through = self._delayed_watch

    def front_for(self, owner: str, symbol: str, latency: Latency, rng: np.random.Generator,
                  chooser: VenueChooser, subscriber: bool) -> NetworkFront:
        """A new agent's front (before the agent is built: a maker's ``tape.watch`` needs it)."""
        front = NetworkFront(self, owner, symbol, latency, rng, chooser, subscriber)
        self.agent_fronts[owner] = front
        if subscriber:
            self._subscribers[symbol].append(front)
            front._pushes = self._published[symbol]
            self._publishing = None  # who gets what: worked out again at the next publication
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
                delay = max(0, first - start)
                schedule(delay, self._wake, (agent, front, True, start + delay))
        if any(self._subscribers.values()) and start < close_ns:
            schedule(0, self._publish, start)

    def _book(self, vi: int, symbol: str) -> Any:
        """Venue ``vi``'s live book of ``symbol`` (a venue keeps one book per symbol for the day)."""
        books = self._books[vi]
        book = books.get(symbol)
        if book is None:
            book = books[symbol] = self.fronts[vi].book(symbol)
        return book

    def _wake(self, timer: Any) -> None:
        agent, front, poisson, now = timer.value
        counts = self.counts
        counts.wakeups += 1
        if front.subscriber:
            self._act(agent, front, poisson, now)
            return
        n = len(self.fronts)
        if n == 1:  # the query to the one venue (``delay_out`` inlined); the agent acts on its response
            counts.to_venues += 1
            front._burst[0] = None  # nothing sent after the query may arrive before it
            d = front.base_ns[0]
            if front._jitter:
                jitters = front._jitters
                d += jitters.pop() if jitters else front._next_jitter()
            at = now + d
            last = front._out_at
            if at < last[0]:
                at = last[0]
            last[0] = at
            self.schedule(at - now, self._query_arrives_one, (agent, front, poisson, at))
            return
        waiting = [n]  # act once every venue's response to this wake-up's queries is in
        schedule = self.schedule
        for vi in range(n):
            counts.to_venues += 1
            front._burst[vi] = None
            delay = front.delay_out(vi, now)
            schedule(delay, self._query_arrives, (agent, front, vi, poisson, waiting, now + delay))

    def _act(self, agent: Any, front: NetworkFront, poisson: bool, now: int) -> None:
        close = self._close_ns
        if now >= close:  # a response that came back after the close: too late to trade
            return
        pushes = front._pushes
        if pushes is not None and front._pushes_seen < len(pushes):
            front._take_pushes(now)
        if front.inbox:
            front._read_inbox(now)
        if not poisson:  # a maker's early requote
            agent.requote(now)
            return
        nxt = agent.wake(now)
        if nxt < close:
            self.schedule(nxt - now, self._wake, (agent, front, True, nxt))

    def _on_side_empty(self, maker: Any) -> None:
        front = self.agent_fronts[maker.owner]
        delay = maker.refill_delay_ns
        self.schedule(delay, self._wake, (maker, front, False, self.now() + delay))

    # ------------------------------------------------------------------ market data

    def _snapshot(self, vi: int, symbol: str) -> tuple[tuple[int, int, int, int], Any]:
        book = self._book(vi, symbol)
        return book.top(), (book.depth(self.depth) if self.depth > 1 else None)

    def _query_arrives_one(self, timer: Any) -> None:
        """One venue: the query is in; the response (the book as it is now) goes back (``delay_back``
        inlined)."""
        agent, front, poisson, now = timer.value
        self.counts.to_agents += 1
        book = self._book(0, front.symbol)
        top = book.top()
        levels = book.depth(self.depth) if self.depth > 1 else None
        d = front.base_ns[0]
        if front._jitter:
            jitters = front._jitters
            d += jitters.pop() if jitters else front._next_jitter()
        at = now + d
        last = front._back_at
        if at < last[0]:
            at = last[0]
        last[0] = at
        self.schedule(at - now, self._response_arrives_one, (agent, front, poisson, at, top, levels))

    def _response_arrives_one(self, timer: Any) -> None:
        agent, front, poisson, now, top, levels = timer.value
        view = front._views.get(front.symbol)
        if view is None:
            view = front.book(front.symbol)
        view.snapshots[0] = top
        view.levels[0] = levels
        # self._act(agent, front, poisson, now), inlined (once per query)
        close = self._close_ns
        if now >= close:  # a response that came back after the close: too late to trade
            return
        pushes = front._pushes
        if pushes is not None and front._pushes_seen < len(pushes):
            front._take_pushes(now)
        if front.inbox:
            front._read_inbox(now)
        if not poisson:
            agent.requote(now)
            return
        nxt = agent.wake(now)
        if nxt < close:
            self.schedule(nxt - now, self._wake, (agent, front, True, nxt))

    def _query_arrives(self, timer: Any) -> None:
        agent, front, vi, poisson, waiting, now = timer.value
        self.counts.to_agents += 1
        snap = self._snapshot(vi, front.symbol)
        delay = front.delay_back(vi, now)
        self.schedule(delay, self._response_arrives, (agent, front, vi, poisson, waiting, snap, now + delay))

    def _response_arrives(self, timer: Any) -> None:
        agent, front, vi, poisson, waiting, (top, levels), now = timer.value
        view = front.book(front.symbol)
        view.snapshots[vi] = top
        view.levels[vi] = levels
        waiting[0] -= 1
        if waiting[0] == 0:
            self._act(agent, front, poisson, now)

    def _publish(self, timer: Any) -> None:
        """Every venue publishes its top of each subscribed symbol: one push per subscriber, counted now,
        logged once, taken in by each subscriber when it next draws a latency or looks."""
        now = timer.value  # each publication's time rides on its timer (as every message's does)...
        if now is None:
            now = self.now()  # ...unless the first was scheduled without it
        plan = self._publishing
        if plan is None:
            plan = self._publishing = [
                (self._published[symbol], [self._book(vi, symbol) for vi in range(len(self.fronts))], subscribers)
                for symbol, subscribers in self._subscribers.items() if subscribers]
        depth = self.depth
        for log, books, subscribers in plan:
            if depth == 1 and len(books) == 1:  # one venue, its top only
                log.append((now, 0, books[0].top(), None))
            else:
                for vi, book in enumerate(books):
                    log.append((now, vi, book.top(), book.depth(depth) if depth > 1 else None))
            self.counts.to_agents += len(books) * len(subscribers)
            if len(log) >= _LOG_TRIM:  # drop what every subscriber has taken in (the log stays short)
                taken = min(front._pushes_seen for front in subscribers)
                if taken:
                    del log[:taken]
                    for front in subscribers:
                        front._pushes_seen -= taken
        nxt = now + self.interval_ns
        if nxt < self._close_ns:
            self.schedule(self.interval_ns, self._publish, nxt)

    # ------------------------------------------------------------------ orders

    def _burst_arrives(self, timer: Any) -> None:
        front, vi, burst, now = timer.value
        if front._burst[vi] is burst:
            front._burst[vi] = None  # arrived: the next message starts a new burst
        venue, counts, our, on_ack = self.fronts[vi], self.counts, front.our_owner, front._on_ack
        for message in burst:
            if message.__class__ is str:  # a cancel
                if venue.cancel_agent_order(message):
                    counts.to_agents += 1  # the cancel confirmation (none for an order already gone)
                continue
            order_id, owner, symbol, side, qty, price, tif = message
            result = venue.submit_agent_order(order_id, owner, symbol, side, qty, price, tif, now)
            fills = result.fills
            if fills:
                reports = 1 + len(fills)  # the ack, and the taker's execution report per fill
                for fill in fills:
                    if fill.maker_owner != our:
                        reports += 1  # the maker's report (not ours: the broker learns its fills its own way)
                counts.to_agents += reports
            else:
                counts.to_agents += 1  # the ack
            if on_ack is not None:
                # front.delay_back(vi, now), inlined
                pushes = front._pushes
                if pushes is not None and front._pushes_seen < len(pushes):
                    front._take_pushes(now)
                d = front.base_ns[vi]
                if front._jitter:
                    jitters = front._jitters
                    d += jitters.pop() if jitters else front._next_jitter()
                at = now + d
                last = front._back_at
                if at < last[vi]:
                    at = last[vi]
                last[vi] = at
                front.inbox.append((at, _ACK, order_id, result))

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
