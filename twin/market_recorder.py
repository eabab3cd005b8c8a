"""Sample the primary venue's top of book during a run, for the market-realism report.

``MarketRecorder`` reads each symbol's best bid/ask and their sizes at a fixed
interval through the session (one timer per sample, whichever symbols) and
keeps them in compact int arrays. It only reads the books: no randomness, no
events, so recording never changes a run's fingerprint. Given every venue
(``sample_venues``), the same timer also samples each venue's published top
(``venue_samples``) and their national best (``national_samples``), written to
``market_samples.parquet`` (``twin.market_files.write_market_samples``); the primary's
``samples``, which the realism summary reads, stay as they are. Trades come from the
agents' tape when the run has agent populations (``scenarios.agents.tape``),
or, on a replayed day, from the venue's recorded prints during the session;
``source`` says which world the figures describe ("simulated" or "recorded").

``MarketTimeline`` keeps what TCA needs at full resolution: every change of each
symbol's NBBO and the market's prints over the session, written to the run
folder by ``twin.market_files.write_market_timeline`` (``market_nbbo.parquet``,
``market_prints.parquet``). It only reads too.
"""

from __future__ import annotations

from array import array
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

import numpy as np

from venues_sim.prints import SaleCondition, TapePrint
from venues_sim.venue import SimVenue


if TYPE_CHECKING:
    from scenarios.agents.tape import TradeTape

    from .clock import SimClock, Timer

NS = 1_000_000_000
SAMPLE_COLUMNS = ("t_ns", "bid", "bid_size", "ask", "ask_size")
NATIONAL = "NBBO"  # the venue column's name for the national best in market_samples.parquet
REGULAR = SaleCondition.REGULAR.value


class MarketRecorder:
    """Top-of-book samples per symbol at ``venue``, every ``interval_ns`` in [open, close)."""

    def __init__(self, venue: SimVenue, symbols: list[str], interval_ns: int = NS,
                 tapes: dict[str, "TradeTape"] | None = None):
        if type(interval_ns) is not int or interval_ns <= 0:
            raise ValueError(f"interval_ns must be a positive int, got {interval_ns!r}")
        self.venue = venue
        self.interval_ns = interval_ns
        self.tapes = tapes or {}
        self.timeline: MarketTimeline | None = None  # the NBBO and prints behind TCA, set by the runner
        self._books = [(s, venue.book(s)) for s in symbols]
        self._window: tuple[int, int] | None = None  # the session, set by ``start``
        self.samples: dict[str, dict[str, array]] = {
            s: {k: array("q") for k in SAMPLE_COLUMNS} for s in symbols
        }
        self.venue_samples: dict[str, dict[str, dict[str, array]]] = {}
        """Venue -> symbol -> the same columns as ``samples``: each venue's published top (zeros while
        it is DOWN; stress conditions apply), at the same instants. Empty unless ``sample_venues``."""
        self._readers: list[tuple[Callable[[int], tuple[int, int, int, int]], tuple[Callable[[int], None], ...]]] = []
        """Per sampled (venue, symbol) not aliased: its published top's reader and its columns' appends."""
        # per symbol: its book's ``top`` and the appends of its five columns (a sample every second: hot)
        self._appends = [(book.top, _appenders(self.samples[s])) for s, book in self._books]
        self._aliased: list[tuple[str, str]] = []
        """(venue, symbol) whose ``venue_samples`` are the very arrays of ``samples``: the primary
        SimVenue's published top is its book's top while ``publishes_book_top`` holds, so sampling it
        again would write the same rows twice (a one-venue day's every sample). Split off
        (``_split_alias``) at the first sample where it does not hold (DOWN, stress conditions)."""

    def sample_venues(self, venues: dict[str, Any]) -> None:
        """Also sample every one of ``venues`` (name -> venue) from the next sample on (call before the run)."""
        symbols = list(self.samples)
        self.venue_samples = {name: {s: {k: array("q") for k in SAMPLE_COLUMNS} for s in symbols}
                              for name in venues}
        self._readers, self._aliased = [], []
        fresh = not any(self.samples[s]["t_ns"] for s in symbols)  # shared arrays: same rows from the start
        for name, venue in venues.items():
            for s in symbols:
                if fresh and venue is self.venue and isinstance(venue, SimVenue):
                    self.venue_samples[name][s] = self.samples[s]
                    self._aliased.append((name, s))
                else:
                    self._readers.append((_top_reader(venue, s), _appenders(self.venue_samples[name][s])))

    def sample(self, now_ns: int) -> None:
        """Record every symbol's top of book at ``now_ns`` (and every sampled venue's)."""
        for top, (t_ns, bid, bid_size, ask, ask_size) in self._appends:
            b, bs, a, az = top()
            t_ns(now_ns)
            bid(b)
            bid_size(bs)
            ask(a)
            ask_size(az)
        if self._aliased and not self.venue.publishes_book_top:
            self._split_alias()
        for read, (t_ns, bid, bid_size, ask, ask_size) in self._readers:
            b, bs, a, az = read(now_ns)
            t_ns(now_ns)
            bid(b)
            bid_size(bs)
            ask(a)
            ask_size(az)

    def _split_alias(self) -> None:
        """The primary stopped publishing its book's top: give each aliased (venue, symbol) its own copy
        of the rows before this sample, and a reader from this sample on (``sample`` reads it next)."""
        for name, s in self._aliased:
            self.venue_samples[name][s] = {k: array("q", column[:-1]) for k, column in self.samples[s].items()}
        # the primary is listed first among the venues: its readers go first, as ``sample_venues`` lists them
        self._readers[:0] = [(_top_reader(self.venue, s), _appenders(self.venue_samples[name][s]))
                             for name, s in self._aliased]
        self._aliased = []

    def national_samples(self) -> dict[str, dict[str, array]]:
        """Per symbol, the national best bid and offer over the sampled venues at each sample (the columns
        of ``samples``; a side's size adds every venue at the best price, 0 for an empty side)."""
        out: dict[str, dict[str, array]] = {}
        for symbol in self.samples:
            rows = [self.venue_samples[v][symbol] for v in self.venue_samples]
            columns = {k: array("q") for k in SAMPLE_COLUMNS}
            if rows:
                columns["t_ns"].extend(rows[0]["t_ns"])
                # ``_best`` of every sample at once (a Python loop per sample was seconds on a full day)
                sides = [np.array([np.frombuffer(r[k], dtype=np.int64) for r in rows]).reshape(len(rows), -1)
                         for k in SAMPLE_COLUMNS[1:]]
                for key, value in zip(SAMPLE_COLUMNS[1:], national_best(*sides)):
                    columns[key].frombytes(value.tobytes())
            out[symbol] = columns
        return out

    @property
    def source(self) -> str:
        """"recorded" when the venue replays a recorded day, else "simulated"."""
        return "recorded" if hasattr(self.venue, "recorded_trades") else "simulated"

    def start(self, clock: "SimClock", open_ns: int, close_ns: int) -> None:
        """Sample at ``open_ns``, then every interval, while before ``close_ns``."""
        self._window = (open_ns, close_ns)
        interval, schedule, sample = self.interval_ns, clock.schedule, self.sample
        first = max(open_ns, clock.now_ns())
        next_at = [first]  # each timer fires exactly ``interval`` after the one that set it: no clock read

        def fire(timer: "Timer") -> None:
            now = next_at[0]
            sample(now)
            now += interval
            if now < close_ns:
                next_at[0] = now
                schedule(interval, fire)

        if open_ns < close_ns:
            schedule(first - clock.now_ns(), fire)

    def trades(self) -> dict[str, dict[str, Any]]:
        """Per symbol: trade times, prices, quantities and orders sent: the agents' tape, or a replayed
        venue's recorded prints during the session (orders 0: unknown); empty when neither exists."""
        if self.tapes:
            return {s: {"t_ns": t.times, "price": t.prices, "qty": t.quantities, "orders": t.orders}
                    for s, t in self.tapes.items()}
        if self.source != "recorded":
            return {}
        start, end = self._window or (0, 2**63 - 1)
        prints = {s: [r for r in self.venue.recorded_trades(s) if start <= r.timestamp_ns < end]
                  for s in self.samples}
        return {s: {"t_ns": [r.timestamp_ns for r in rows], "price": [r.price for r in rows],
                    "qty": [r.size for r in rows], "orders": 0} for s, rows in prints.items()}


# ---------------------------------------------------------------------------------------------------
# The market timeline behind TCA: every NBBO change and every market print of the session, per symbol.


POLL_NS = 1_000_000_000
"""How often ``MarketTimeline`` polls the venue tops: every order is announced to it, so the poll only
catches what no order does (outages, stress conditions) at most this late."""


class MarketTimeline:
    """Records, per symbol, the consolidated best bid and offer each time it changes and the market's
    prints, through the session ``[open, close]``, for TCA (``reports.tca``), written to the run folder
    as ``market_nbbo.parquet`` and ``market_prints.parquet``.

    Where the NBBO comes from, most exact first (``nbbo_source`` says which):

    * ``sip``: the scenario's SIP publications, at their publication times: what the router saw;
    * ``recorded``: a replayed day's venues, consolidated at each recorded quote (``ReplayVenue.listen``);
    * ``venue-tops``: the simulated venues' published tops (``SimVenue.quote``: DOWN venues and stress
      conditions apply) consolidated: checked after every order and cancel of the noise traders, agent
      populations and our own child orders, and after every market maker's whole ladder, through
      forwarding fronts installed here (the venues, the world's venue table and every draw are untouched);
      and by a poll every ``interval_ns`` (``POLL_NS``) for what no order announces (outages, stress
      conditions). A ladder is one quote update, as an exchange applies a mass quote: the tops between its
      orders were never in force, and are neither rows nor, so, a TCA benchmark (``NbboTimeline.good_at``).

    Prints: a replayed day's recorded trades; the agents' tape; or, with liquidity providers and noise
    traders, a tape of their orders' trades (they reach the venues through a ``TapedVenue`` front
    installed here). Our own taker fills are not on these tapes (``reports.tca`` adds them from the
    event log where the market is simulated) unless the scenario prints them (``tape.own_fills``:
    ``own`` holds those no agents' tape took, ``twin.market_view.OwnPrints``). Only reads: no
    randomness, no events, so recording never changes a run's fingerprint.
    """

    def __init__(self, venues: dict, symbols: list[str], open_ns: int, close_ns: int,
                 interval_ns: int = POLL_NS):
        if type(interval_ns) is not int or interval_ns <= 0:
            raise ValueError(f"interval_ns must be a positive int, got {interval_ns!r}")
        self.venues = venues
        self.symbols = list(symbols)
        self.open_ns, self.close_ns = open_ns, close_ns
        self.interval_ns = interval_ns
        self.nbbo_source = "venue-tops"
        self.released = False  # ``release()`` emptied the NBBO columns: they cannot be written again
        self.nbbo: dict[str, dict[str, array]] = {
            s: {k: array("q") for k in ("t_ns", "bid", "bid_size", "ask", "ask_size")} for s in symbols}
        self._last: dict[str, tuple[int, int, int, int]] = {}
        # per symbol, per venue: (book, reader of its published top); the reader is chosen once here,
        # not per check (this runs at every recorded quote of a replayed day)
        self._books = {s: [(v.book(s), _top_reader(v, s)) for v in venues.values()] for s in symbols}
        # ``check``'s view of the same: (book, reader, the venue if a SimVenue else None): a SimVenue that
        # publishes its book's tops is read with ``OrderBook.top`` directly, as its reader would
        self._checked = {s: [(book, read, v if isinstance(v, SimVenue) else None)
                             for (book, read), v in zip(self._books[s], venues.values())] for s in symbols}
        self._columns = {s: tuple(self.nbbo[s][k] for k in ("t_ns", "bid", "bid_size", "ask", "ask_size"))
                         for s in symbols}
        self._seen = {s: [-1] * len(venues) for s in symbols}  # book versions last read, per venue
        self._tops: dict[str, list[tuple[int, int, int, int]]] = {s: [(0, 0, 0, 0)] * len(venues) for s in symbols}
        self._tapes: list[dict[str, "TradeTape"]] = []  # fronts' tapes, per venue
        self.own: Any = None  # our taker fills as prints (``twin.market_view.OwnPrints``) when printed
        self._clock: "SimClock | None" = None

    # -------------------------------------------------------------------- wiring

    @classmethod
    def attach(cls, world: Any, interval_ns: int = POLL_NS) -> "MarketTimeline":
        """Start recording ``world``'s market (a ``TwinWorld``: not imported, ``twin.world`` imports this
        module) over its session (call before the simulation runs); ``interval_ns``: the poll."""
        session = world.scenario.session
        symbols = [s.symbol for s in world.scenario.symbols]
        timeline = cls(world.venues, symbols, session.open_ns(), session.close_ns(), interval_ns)
        clock = timeline._clock = world.clock
        timeline.own = getattr(world.gateway, "own_prints", None)  # set when the scenario prints our fills
        replayed = bool(world.venues) and all(hasattr(v, "listen") for v in world.venues.values())
        if world.sip is not None:
            timeline.nbbo_source = "sip"
            world.sip.subscribe(lambda n: timeline._record(n.symbol, clock.now_ns(),
                                                           (n.bid, n.bid_size, n.ask, n.ask_size)))
        elif replayed:
            timeline.nbbo_source = "recorded"
            for venue in world.venues.values():
                venue.listen(timeline.quote_listener())
        if not replayed:
            timeline._front_participants(world)  # their prints, and a check after their orders
            timeline._front_agents(world)
        if world.sip is None:
            timeline._front_our_orders(world)  # a check after each of our child orders reaches a venue
        if timeline.nbbo_source == "venue-tops":
            timeline._poll(clock)
        return timeline

    def touch(self, symbol: str) -> None:
        """An order may just have changed ``symbol``'s books: check now. Within a burst of orders at one
        instant (a noise trader's cancel and send, our child orders) this may record several rows with the
        same ``t_ns``; the last one is the quote in force from then (``components.tca.NbboTimeline`` reads
        the last row at a time). A maker's ladder is one update: it is checked once, after its last order."""
        if self.nbbo_source != "sip" and self._clock is not None:
            self.check(symbol, self._clock.now_ns())

    def _front_participants(self, world: Any) -> None:
        """Send the liquidity providers' and noise traders' orders through taped fronts that check the
        timeline after each order and after each maker's whole ladder (``TapedVenue.after_order``; the fronts
        only forward: the venues and the draws are untouched).
        Cancels are not announced: a participant cancels just before it sends, and the send's check at
        the same instant sees both."""
        from scenarios.agents.tape import TapedVenue

        # ``check`` itself (not ``touch``): the fronts pass the order's time, the clock's now
        checked = None if self.nbbo_source == "sip" else self.check
        fronts = {name: TapedVenue(v, after_order=checked) for name, v in world.venues.items()
                  if isinstance(v, SimVenue)}
        self._tapes = [f.tapes for f in fronts.values()]
        for maker in world.makers:
            maker.venue = fronts.get(maker.venue.name, maker.venue)
        for trader in world.noise:
            trader.venues = [fronts.get(v.name, v) for v in trader.venues]

    def _front_agents(self, world: Any) -> None:
        """Agent populations reach their venue through the population's ``TapedVenue``: put a front
        behind it (between the tape and the venue) that checks after each of their orders and cancels."""
        agents = getattr(world, "agents", None)
        if agents is None:
            return
        for front in getattr(agents, "fronts", None) or [agents.venue]:  # every venue agents trade on
            front.venue = _Announcing(front.venue, self, ("submit_agent_order", "cancel_agent_order"))

    def _front_our_orders(self, world: Any) -> None:
        """Put a front before each venue in the gateway's table: our child orders and cancels go through
        unchanged, then touch the timeline (how our own orders' effect on the NBBO is seen at once)."""
        table = world.gateway.venues
        for name in list(table):
            table[name] = _Announcing(table[name], self, ("submit", "cancel"))

    def _poll(self, clock: "SimClock") -> None:
        step, close = self.interval_ns, self.close_ns

        def poll() -> None:
            now = clock.now_ns()
            for symbol in self.symbols:
                self.check(symbol, now)
            if now + step <= close:
                clock.call_later(step, poll)

        clock.call_at(self.open_ns, poll)

    # -------------------------------------------------------------------- recording

    def check(self, symbol: str, now_ns: int) -> None:
        """Record ``symbol``'s consolidated top at ``now_ns`` if a venue's book moved and the top changed."""
        if now_ns < self.open_ns or now_ns > self.close_ns:
            return
        seen, tops = self._seen[symbol], self._tops[symbol]
        moved = False
        for i, (book, read, sim) in enumerate(self._checked[symbol]):
            version = book.version
            if version != seen[i]:
                seen[i] = version
                top = book.top() if sim is not None and sim.publishes_book_top else read(now_ns)
                if top != tops[i]:  # most book changes are behind the top: nothing to consolidate
                    tops[i] = top
                    moved = True
        if moved:
            self._append(symbol, now_ns, _best(tops))

    def quote_listener(self) -> Callable[[Any], None]:
        """``listen(quote)`` for a replayed venue's published quotes: ``check(quote.symbol,
        quote.timestamp_ns)``. With one venue (a consolidated top is that venue's top) it is the same
        check and record inlined in one call, on the same state (``touch`` after our orders shares it):
        it runs at every recorded quote of a replayed day, where the generic path was most of the
        per-quote cost; and it takes runs of quotes in bulk (``_OneVenueQuotes``)."""
        if len(self.venues) != 1:
            check = self.check
            return lambda q: check(q.symbol, q.timestamp_ns)
        return _OneVenueQuotes(self)

    def _record(self, symbol: str, now_ns: int, top: tuple[int, int, int, int]) -> None:
        """``_append`` within the session ``[open, close]``."""
        if self.open_ns <= now_ns <= self.close_ns:
            self._append(symbol, now_ns, top)

    def _append(self, symbol: str, now_ns: int, top: tuple[int, int, int, int]) -> None:
        """``top`` (bid, bid size, ask, ask size) as ``symbol``'s row at ``now_ns``, unless it is the row in force."""
        if self._last.get(symbol) == top:
            return
        self._last[symbol] = top
        t, b, bs, a, as_ = self._columns[symbol]
        t.append(now_ns)
        b.append(top[0])
        bs.append(top[1])
        a.append(top[2])
        as_.append(top[3])

    def release(self) -> int:
        """Empty the recorded NBBO columns once they are written and TCA has read them (``twin.outputs``):
        the world outlives the outputs (the report is drawn after them), and these buffers are the largest
        thing it holds that nothing reads any more (~25 MiB on trading_day). Emptied in place, since the
        listeners hold the very arrays; a column something still views (a numpy array or an Arrow table
        over it, which ``array`` refuses to resize under) is left as it is. Returns the bytes freed."""
        freed = 0
        self.released = True
        for columns in self.nbbo.values():
            for column in columns.values():
                size = len(column) * column.itemsize
                try:
                    del column[:]
                except BufferError:  # still viewed: kept (freed with the world)
                    continue
                freed += size
        return freed

    def reopening_prints(self) -> list[TapePrint]:
        """The venues' reopening auctions' prints and their resumptions' trades (``SimVenue.reopening_prints``,
        ``venues_sim.reopening``): no participant front sees them, so they are read from the venues."""
        return [p for v in self.venues.values() for p in getattr(v, "reopening_prints", ())]

    def prints(self, recorder: MarketRecorder | None) -> dict[str, dict[str, list]]:
        """Per symbol, the session's market prints in time order: ``t_ns``, ``price``, ``qty`` and
        ``sale_condition`` (``venues_sim.prints.SaleCondition``'s code: ``@`` regular, ``5`` a reopening
        auction's print), as lists (``print_columns`` as Python values)."""
        return {s: {k: v.tolist() for k, v in rows.items()} for s, rows in self.print_columns(recorder).items()}

    def print_columns(self, recorder: MarketRecorder | None) -> dict[str, dict[str, np.ndarray]]:
        """``prints`` as numpy columns (``t_ns``, ``price``, ``qty`` int64; ``sale_condition`` an object
        array of codes): the tapes' buffers are read in place and sorted once with numpy, not turned into
        a Python int per print and value (~60 MiB of transient lists on a full agents' day). The order is
        ``prints``' own: by time, ties in the order the sources are read (a stable sort)."""
        parts: dict[str, list[tuple[Any, Any, Any, Any]]] = {s: [] for s in self.symbols}
        sources = [{s: {"t_ns": t.times, "price": t.prices, "qty": t.quantities} for s, t in tapes.items()}
                   for tapes in self._tapes]
        if recorder is not None:
            sources.append(recorder.trades())
        if self.own is not None:
            sources.append(self.own.rows)
        auctions: dict[str, dict[str, list]] = {}
        for p in self.reopening_prints():
            rows = auctions.setdefault(p.symbol, {"t_ns": [], "price": [], "qty": [], "sale_condition": []})
            for key, value in (("t_ns", p.t_ns), ("price", p.price), ("qty", p.qty),
                               ("sale_condition", p.condition.value)):
                rows[key].append(value)
        sources.append(auctions)
        for source in sources:
            for symbol, rows in source.items():
                if symbol in parts:
                    t, price, qty = (int64_values(rows[k]) for k in ("t_ns", "price", "qty"))
                    codes = rows.get("sale_condition")
                    parts[symbol].append((t, price, qty, np.array(codes, dtype=object) if codes
                                          else np.full(len(t), REGULAR, dtype=object)))
        out: dict[str, dict[str, np.ndarray]] = {}
        for symbol, chunks in parts.items():
            columns = [np.concatenate([c[j] for c in chunks]) if chunks else
                       np.zeros(0, dtype=np.int64 if j < 3 else object) for j in range(4)]
            t = columns[0]
            kept = np.flatnonzero((t >= self.open_ns) & (t <= self.close_ns))
            order = kept[np.argsort(t[kept], kind="stable")]  # by time, then by position: sorted((t, i))
            out[symbol] = {k: c[order] for k, c in zip(("t_ns", "price", "qty", "sale_condition"), columns)}
        return out


class _OneVenueQuotes:
    """``MarketTimeline.quote_listener`` over one venue: ``check`` and ``_record`` of each published quote
    inlined, on the timeline's own state, and their bulk form (``venues_sim.replay_columns.BulkQuoteListener``):
    a run of quotes ``[start, stop)`` gives the rows the quotes one at a time would, appended from the day's
    columns at once. Why it is exact: within the session, once a row is recorded, each quote leaves the state
    as (its published top, that top with empty sides as 0, 0), so after the run's first quote of a symbol
    (checked one at a time against whatever state our orders' checks left) a later quote records a row
    exactly when its normalised top differs from the previous quote's of that symbol; those quotes are
    found once per day."""

    __slots__ = ("open_ns", "close_ns", "last", "state", "_session")

    def __init__(self, timeline: MarketTimeline):
        self.open_ns, self.close_ns, self.last = timeline.open_ns, timeline.close_ns, timeline._last
        self._session = ("session", self.open_ns, self.close_ns)  # the key of the session's events in a day
        self.state = {s: (*timeline._books[s][0], timeline._seen[s], timeline._tops[s], timeline._columns[s])
                      for s in timeline.symbols}

    def __call__(self, q: Any) -> None:
        now = q.timestamp_ns
        if now < self.open_ns or now > self.close_ns:
            return
        symbol = q.symbol
        book, read, seen, tops, columns = self.state[symbol]
        version = book.version
        if version == seen[0]:
            return
        seen[0] = version
        self._see(symbol, now, read(now), tops, columns)

    def _see(self, symbol: str, now: int, top: tuple[int, int, int, int], tops: list, columns: tuple) -> None:
        """A moved venue top ``top`` read at ``now``: record its consolidation if it changed (``check``)."""
        if top == tops[0]:
            return
        tops[0] = top
        top = _normalised(top)
        if self.last.get(symbol) == top:  # as _record
            return
        self.last[symbol] = top
        t, b, bs, a, as_ = columns
        t.append(now)
        b.append(top[0])
        bs.append(top[1])
        a.append(top[2])
        as_.append(top[3])

    def bulk_stop(self, quotes: Any, start: int, stop: int) -> int:
        """Runs end at the session's open and close: inside it every quote is checked, outside none."""
        open_at, close_at = quotes.cache.get(self._session) or self._window(quotes)
        return min(stop, open_at) if start < open_at else min(stop, close_at) if start < close_at else stop

    def on_quotes(self, quotes: Any, start: int, stop: int) -> None:
        open_at, close_at = quotes.cache.get(self._session) or self._window(quotes)
        if not open_at <= start < close_at:
            return  # outside the session (``bulk_stop`` cut the run there): nothing is checked
        time = quotes.time
        for s, first, last_event, _ in quotes.symbols_in(start, stop):
            symbol = quotes.symbols[s]
            book, _, seen, tops, columns = self.state[symbol]
            seen[0] = book.version  # each quote moved the book: its version after the last one is read last
            done = first
            self._see(symbol, time.item(first), quotes.top(first), tops, columns)
            if self.last.get(symbol) is None:  # no row yet (a day opening on empty quotes): one at a time
                for done in _quotes_between(quotes, s, first, last_event)[1:].tolist():
                    self._see(symbol, time.item(done), quotes.top(done), tops, columns)
                    if self.last.get(symbol) is not None:
                        break
            if done == last_event:
                continue
            rows, rank, values = quotes.memo(("nbbo-rows", s), lambda: _changed_tops(quotes, s))
            lo, hi = rank.item(done), rank.item(last_event)  # the rows after ``done``, up to ``last_event``
            if hi > lo:
                # every quote a row (most runs): the columns' own slice, else the rows picked out
                at = slice(done + 1, last_event + 1) if hi - lo == last_event - done else rows[lo:hi]
                for column, value in zip(columns, values):
                    column.frombytes(value[at].tobytes())
            tops[0] = quotes.top(last_event)
            self.last[symbol] = _normalised(tops[0])

    def _window(self, quotes: Any) -> tuple[int, int]:
        """The session's first event and the event after its last, in ``quotes``."""
        return quotes.memo(self._session, lambda: (
            int(np.searchsorted(quotes.time, self.open_ns, side="left")),
            int(np.searchsorted(quotes.time, self.close_ns, side="right"))))


def _normalised(top: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """``check``'s consolidation over one venue: a side with price or size not positive is 0, 0."""
    bid, bid_size, ask, ask_size = top
    if bid <= 0 or bid_size <= 0:
        bid = bid_size = 0
    if ask <= 0 or ask_size <= 0:
        ask = ask_size = 0
    return bid, bid_size, ask, ask_size


def _normalised_columns(quotes: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``_normalised`` of every published quote of the day (the columns themselves when nothing changes)."""

    def compute() -> tuple[np.ndarray, ...]:
        out = []
        for price, size in ((quotes.bid, quotes.bid_size), (quotes.ask, quotes.ask_size)):
            empty = (price <= 0) | (size <= 0)
            if np.any(empty & ((price != 0) | (size != 0))):
                price, size = np.where(empty, 0, price), np.where(empty, 0, size)
            out += [price, size]
        return tuple(out)

    return quotes.memo("nbbo-normalised", compute)


def _quotes_between(quotes: Any, s: int, first: int, last: int) -> np.ndarray:
    """Event indices of symbol ``s``'s quotes from ``first`` to ``last`` (both quotes of ``s``)."""
    positions = quotes.quote_positions(s)
    if positions is None:
        return np.arange(first, last + 1)
    lo, hi = np.searchsorted(positions, (first, last + 1)).tolist()
    return positions[lo:hi]


def _changed_tops(quotes: Any, s: int) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...]]:
    """Symbol ``s``'s quotes whose normalised top differs from its previous quote's: their event indices
    ``rows``; per event, how many of them are at or before it (``rank``, so the rows of a run are two
    lookups); and the columns a row is read from (time, then the normalised top)."""
    positions = quotes.quote_positions(s)
    values = (quotes.time, *_normalised_columns(quotes))
    columns = values[1:] if positions is None else tuple(c[positions] for c in values[1:])
    changed = np.zeros(max(0, len(columns[0]) - 1), dtype=bool)
    for c in columns:
        changed |= c[1:] != c[:-1]
    rows = np.flatnonzero(changed) + 1
    rows = rows if positions is None else positions[rows]
    marked = np.zeros(len(quotes.time), dtype=np.int32 if len(quotes.time) < 2**31 else np.int64)
    marked[rows] = 1
    return rows, np.cumsum(marked, dtype=marked.dtype), values


def national_best(bid: np.ndarray, bid_size: np.ndarray, ask: np.ndarray, ask_size: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``_best`` of many samples at once: each argument is an int64 array (venues x samples); returns the
    national ``(bid, bid size, ask, ask size)`` per sample (a side with price or size 0 is empty)."""
    bids = (bid > 0) & (bid_size > 0)
    best_bid = np.where(bids, bid, 0).max(axis=0, initial=0)
    at_bid = bids & (bid == best_bid)
    asks = (ask > 0) & (ask_size > 0)
    none = np.iinfo(np.int64).max
    best_ask = np.where(asks, ask, none).min(axis=0, initial=none)
    at_ask = asks & (ask == best_ask)
    best_ask[best_ask == none] = 0
    return (best_bid, np.where(at_bid, bid_size, 0).sum(axis=0), best_ask, np.where(at_ask, ask_size, 0).sum(axis=0))


def _best(tops: Iterable[tuple[int, int, int, int]]) -> tuple[int, int, int, int]:
    """The national best ``(bid, bid size, ask, ask size)`` of venue tops; sizes add up at the best price,
    a side with price or size 0 is empty."""
    bid = bid_size = ask = ask_size = 0
    for b, bs, a, as_ in tops:
        if b > 0 and bs > 0:
            if b > bid:
                bid, bid_size = b, bs
            elif b == bid:
                bid_size += bs
        if a > 0 and as_ > 0:
            if ask == 0 or a < ask:
                ask, ask_size = a, as_
            elif a == ask:
                ask_size += as_
    return bid, bid_size, ask, ask_size


class _Announcing:
    """A venue seen through a front: every attribute is the venue's, and after each call of one of
    ``methods`` the timeline checks the symbol the call named (every symbol when it named none)."""

    def __init__(self, venue: Any, timeline: MarketTimeline, methods: tuple[str, ...]):
        self._venue = venue
        for name in methods:
            setattr(self, name, self._announced(getattr(venue, name)))
        self._timeline = timeline

    def __getattr__(self, name: str) -> Any:
        return getattr(self._venue, name)

    def _announced(self, call: Any) -> Any:
        def forward(*args: Any, **kwargs: Any) -> Any:
            result = call(*args, **kwargs)
            timeline = self._timeline
            symbol = _symbol_of(args)
            for s in (symbol,) if symbol in timeline._seen else timeline.symbols:
                timeline.touch(s)
            return result

        return forward


def _symbol_of(args: tuple) -> str | None:
    """The symbol an order entry call names: ``submit(child, now)`` (``child.symbol``) or
    ``submit_agent_order(order_id, owner, symbol, ...)``; None for a cancel by id."""
    if args and hasattr(args[0], "symbol"):
        return args[0].symbol
    return args[2] if len(args) > 2 and isinstance(args[2], str) else None


def _top_reader(venue: Any, symbol: str) -> Callable[[int], tuple[int, int, int, int]]:
    """``read(now_ns)``: ``venue``'s published top (bid, bid size, ask, ask size) in ``symbol``:
    ``SimVenue.quote``, or a replayed venue's displayed top read without side effects
    (``ReplayVenue.quote`` would advance it)."""
    book = venue.book(symbol)
    if isinstance(venue, SimVenue):
        def read_sim(now_ns: int) -> tuple[int, int, int, int]:
            if venue.publishes_book_top:
                return book.top()  # what quote() publishes, without building a Quote
            q = venue.quote(symbol, now_ns)
            return q.bid, q.bid_size, q.ask, q.ask_size
        return read_sim
    if hasattr(venue, "top_reader"):  # a ReplayVenue: zeros while DOWN
        return venue.top_reader(symbol)

    def read_other(now_ns: int) -> tuple[int, int, int, int]:
        if getattr(venue, "status", None) is not None and str(getattr(venue.status, "value", "UP")) != "UP":
            return 0, 0, 0, 0
        return book.top()
    return read_other


def _appenders(columns: dict[str, array]) -> tuple[Callable[[int], None], ...]:
    """The ``append`` of each of ``columns``, in ``SAMPLE_COLUMNS`` order."""
    return tuple(columns[k].append for k in SAMPLE_COLUMNS)


def int64_values(values: Any) -> np.ndarray:
    """``values`` as an int64 numpy array: an ``array('q')`` is read in place (no copy)."""
    if isinstance(values, array) and values.typecode in ("q", "l") and values.itemsize == 8:
        return np.frombuffer(values, dtype=np.int64) if len(values) else np.zeros(0, np.int64)
    return np.asarray(values, dtype=np.int64).reshape(-1)
