"""Agents over the network (scenarios/agents/network.py): delayed orders, cancels, acks and market data,
message counts, per-agent latency streams, venue spreading rules, and the config that turns them on."""

from __future__ import annotations

import heapq
import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.config.schema import ScenarioError
from components.domain.money import to_units
from components.domain.orders import Side, TimeInForce
from components.memory import SeededStreams
from scenarios.agents import TapedVenue, build_agents
from scenarios.agents.base import AgentOrders
from scenarios.agents.network import (
    AgentNetwork,
    Latency,
    SnapshotBook,
    VenueChooser,
    consolidate,
)
from scenarios.config import parse_scenario
from scenarios.config_agents import (
    AgentVenues,
    Agents,
    MarketMakerAgents,
    MomentumAgents,
    NoiseAgents,
    ValueAgents,
    VenueWeight,
)
from venues_sim.fees import MakerTakerFees
from venues_sim.venue import SimVenue

SYM = "ABM"
PX = to_units("100.00")
TICK = 100
MS = 1_000_000


class Clock:
    """A minimal discrete-event scheduler with the twin clock's ``schedule(delay, on_fire, value)``."""

    class _Timer:
        __slots__ = ("value",)

        def __init__(self, value):
            self.value = value

    def __init__(self, start: int = 0):
        self.now = start
        self._heap: list = []
        self._seq = itertools.count()

    def now_ns(self) -> int:
        return self.now

    def schedule(self, delay_ns: int, on_fire, value=None) -> None:
        assert delay_ns >= 0
        heapq.heappush(self._heap, (self.now + delay_ns, next(self._seq), on_fire, value))

    def run(self, until: int) -> None:
        while self._heap and self._heap[0][0] <= until:
            at, _, on_fire, value = heapq.heappop(self._heap)
            self.now = at
            on_fire(self._Timer(value))
        self.now = max(self.now, until)


def sim_venue(name: str = "XNAS", maker: int = 20, taker: int = 30) -> SimVenue:
    return SimVenue(name, MakerTakerFees(maker, taker), [SYM], lambda report: None)


def hub_with(venues: list[SimVenue], clock: Clock, interval_ms: float = 1000.0) -> AgentNetwork:
    first = TapedVenue(venues[0])
    fronts = [first, *(TapedVenue(v, first.tapes) for v in venues[1:])]
    hub = AgentNetwork(fronts, [SYM], interval_ns=int(interval_ms * MS))
    hub.schedule, hub.now, hub._close_ns = clock.schedule, clock.now_ns, 10**18
    return hub


def front(hub: AgentNetwork, owner: str, base_ms: float = 5.0, jitter_ms: float = 0.0, seed: int = 1,
          subscriber: bool = False, rule: str = "first"):
    latency = Latency(int(base_ms * MS), 0, int(jitter_ms * MS))
    return hub.front_for(owner, SYM, latency, np.random.default_rng(seed), VenueChooser(rule, [1] * len(hub.fronts)),
                         subscriber)


def test_an_order_reaches_the_venue_after_its_latency_and_its_ack_comes_back_after_the_way_back() -> None:
    clock, venue = Clock(), sim_venue()
    hub = hub_with([venue], clock)
    link = front(hub, "VAL-1", base_ms=5.0)
    orders = AgentOrders(link, "VAL-1", SYM)
    result = orders.replace(Side.BUY, 100, PX, 0)
    assert result.fills == [] and result.rested_qty == 100  # pending: assumed resting
    assert orders.resting == "VAL-1-1"
    clock.run(5 * MS - 1)
    assert venue.book(SYM).top() == (0, 0, 0, 0)  # still on the wire
    clock.run(5 * MS)
    assert venue.book(SYM).top()[:2] == (PX, 100)
    assert hub.counts.as_dict() == {"wakeups": 0, "to_venues": 1, "to_agents": 1, "total": 2}


def test_an_ack_showing_the_order_traded_makes_the_agent_forget_it() -> None:
    clock, venue = Clock(), sim_venue()
    venue.submit_agent_order("LP-1", "LP", SYM, Side.SELL, 100, PX, TimeInForce.DAY, 0)
    hub = hub_with([venue], clock)
    link = front(hub, "MOM-1", base_ms=2.0)
    orders = AgentOrders(link, "MOM-1", SYM)
    orders.replace(Side.BUY, 100, PX, 0)
    clock.run(2 * MS)  # traded at the venue; the ack is on its way back
    assert venue.book(SYM).top() == (0, 0, 0, 0)
    link.read_inbox()  # what the agent does when it next acts
    assert orders.resting == "MOM-1-1" and len(link.inbox) == 1
    clock.run(4 * MS)
    link.read_inbox()
    assert orders.resting is None and link.inbox == []
    orders.cancel_resting()  # nothing left to cancel: no message
    assert hub.counts.to_venues == 1
    # ack + the taker's execution report + the maker's (LP is an agent): 3 back
    assert hub.counts.to_agents == 3


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_a_cancel_never_overtakes_its_order_whatever_the_jitter(seed: int) -> None:
    clock, venue = Clock(), sim_venue()
    hub = hub_with([venue], clock)
    link = front(hub, "VAL-1", base_ms=0.01, jitter_ms=50.0, seed=seed)
    link.submit_agent_order("VAL-1-1", "VAL-1", SYM, Side.BUY, 100, PX, TimeInForce.DAY, 0)
    link.cancel_agent_order("VAL-1-1")
    clock.run(10**12)
    assert venue.book(SYM).top() == (0, 0, 0, 0)
    assert hub.counts.to_agents == 2  # the ack and the cancel confirmation: the cancel found it resting


def test_a_subscriber_sees_the_book_as_last_pushed_not_as_it_is() -> None:
    clock, venue = Clock(), sim_venue()
    hub = hub_with([venue], clock, interval_ms=1000.0)
    link = front(hub, "AMM-1", base_ms=1.0, subscriber=True)
    venue.submit_agent_order("LP-1", "LP", SYM, Side.BUY, 300, PX, TimeInForce.DAY, 0)
    clock.schedule(0, hub._publish)
    clock.run(1 * MS)
    assert link.book(SYM).top() == (PX, 300, 0, 0)
    venue.submit_agent_order("LP-2", "LP", SYM, Side.SELL, 200, PX + TICK, TimeInForce.DAY, clock.now)
    clock.run(999 * MS)
    assert link.book(SYM).top() == (PX, 300, 0, 0)  # stale until the next push arrives
    clock.run(1001 * MS)
    assert link.book(SYM).top() == (PX, 300, PX + TICK, 200)
    assert hub.counts.to_agents == 2  # two pushes


class _Recorder:
    """An agent that records the top it saw each time it acts, and wakes every second."""

    owner = "VAL-9"

    def __init__(self, link):
        self.link = link
        self.seen: list[tuple[int, tuple]] = []

    def first_wake(self, start_ns: int) -> int:
        return start_ns + 1_000 * MS

    def wake(self, now_ns: int) -> int:
        self.seen.append((now_ns, self.link.book(SYM).top()))
        return now_ns + 1_000 * MS


def test_a_querying_agent_acts_after_the_round_trip_on_the_book_as_the_query_found_it() -> None:
    clock, venue = Clock(), sim_venue()
    hub = hub_with([venue], clock)
    link = front(hub, "VAL-9", base_ms=3.0)
    agent = _Recorder(link)
    hub.drive(agent, link, agent.first_wake(0))
    hub.start(clock.schedule, clock.now_ns, 1_500 * MS)
    venue.submit_agent_order("LP-1", "LP", SYM, Side.BUY, 100, PX, TimeInForce.DAY, 0)
    clock.run(1_003 * MS)  # the query reaches the venue
    venue.submit_agent_order("LP-2", "LP", SYM, Side.BUY, 100, PX + TICK, TimeInForce.DAY, clock.now)  # too late
    clock.run(2_000 * MS)
    assert agent.seen == [(1_006 * MS, (PX, 100, 0, 0))]
    # one wake-up, the query, its response; the next wake would be after the close
    assert hub.counts.as_dict() == {"wakeups": 1, "to_venues": 1, "to_agents": 1, "total": 3}


def test_each_agent_draws_latency_from_its_own_stream_so_adding_one_changes_no_other() -> None:
    def delays(extra_agents: int) -> list[int]:
        streams = SeededStreams(7)
        hub = hub_with([sim_venue()], Clock())
        links = {}
        for name in ["VAL-0", *(f"NOISE-{i}" for i in range(extra_agents))]:
            links[name] = hub.front_for(name, SYM, Latency(21_000, 13 * MS, 50_000), streams.stream(f"agents:net:{name}"),
                                        VenueChooser("first"), False)
            if name != "VAL-0":
                links[name].delay_out(0, 0)
        return [links["VAL-0"].delay_out(0, t * 10**9) for t in range(20)]

    assert delays(0) == delays(5)
    assert len(set(delays(0))) > 1  # the jitter varies per message


def test_consolidated_top_takes_the_best_prices_and_sums_their_sizes() -> None:
    assert consolidate([(100, 5, 103, 7), (101, 2, 103, 1), (101, 4, 0, 0)]) == (101, 6, 103, 8)
    assert consolidate([(0, 0, 0, 0), (0, 0, 0, 0)]) == (0, 0, 0, 0)
    view = SnapshotBook(2)
    view.snapshots[1] = (99, 10, 100, 10)
    assert view.top() == (99, 10, 100, 10)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=9), min_size=2, max_size=5).filter(any),
       st.integers(min_value=1, max_value=4))
def test_a_fixed_split_gives_each_venue_exactly_its_share_per_round(weights: list[int], rounds: int) -> None:
    chooser = VenueChooser("fixed", weights)
    tops = [(0, 0, 0, 0)] * len(weights)
    picks = [chooser.choose(Side.BUY, 100, PX, tops) for _ in range(sum(weights) * rounds)]
    assert [picks.count(i) for i in range(len(weights))] == [w * rounds for w in weights]


def test_displayed_picks_the_best_price_then_the_most_size() -> None:
    chooser = VenueChooser("displayed")
    tops = [(99, 100, 101, 100), (99, 500, 101, 300), (98, 900, 102, 900)]
    assert chooser.choose(Side.BUY, 100, None, tops) == 1
    assert chooser.choose(Side.SELL, 100, None, tops) == 1
    assert chooser.choose(Side.BUY, 100, None, [(0, 0, 0, 0), (99, 1, 100, 1)]) == 1  # no ask on the first


def test_fees_picks_the_cheapest_venue_for_a_taker_and_the_best_rebate_for_a_resting_order() -> None:
    cheap_taker = MakerTakerFees(10, 20)  # (maker rebate, taker fee) per share
    big_rebate = MakerTakerFees(30, 35)
    chooser = VenueChooser("fees", fees=[big_rebate, cheap_taker])
    tops = [(99, 100, 101, 100), (99, 100, 101, 100)]
    assert chooser.choose(Side.BUY, 100, 101, tops) == 1  # crosses: the taker fee decides
    assert chooser.choose(Side.BUY, 100, 99, tops) == 0  # rests: the rebate decides


def test_a_bad_venue_rule_is_refused_in_one_line() -> None:
    with pytest.raises(ValueError, match=r"agents.venues.rule: must be one of"):
        VenueChooser("cheapest")
    with pytest.raises(ValueError, match=r"agents.venues.split: weights"):
        VenueChooser("fixed", [0, 0])


# ---------------------------------------------------------------------------------------------- config

BASE = """
name: t
symbols: [{symbol: ABM, reference_price: "100.00", daily_vol_bps: 100}]
venues: [{name: XNAS}, {name: ARCX}]
agents:
"""


def test_network_settings_parse_and_default_to_direct_on_the_first_venue() -> None:
    default = parse_scenario(BASE + "  value: {count: 1}\n").agents
    assert (default.mode, default.venues.rule, default.venues.market_makers) == ("direct", "first", "first")
    s = parse_scenario(BASE + "  mode: network\n  latency: {value: {base_ms: 2, jitter_ms: 0.5}}\n"
                       "  market_data: {interval_ms: 250, depth: 3, subscribers: [market_makers, momentum]}\n"
                       "  venues: {rule: fixed, split: [{venue: XNAS, weight: 3}, {venue: ARCX, weight: 1}]}\n")
    a = s.agents
    assert a.mode == "network" and a.latency.value.base_ms == 2.0 and a.latency.value.jitter_ms == 0.5
    assert a.latency.value.base_spread_ms == 12.979  # overlaid on the default
    assert a.market_data.subscribers == ("market_makers", "momentum") and a.market_data.depth == 3
    assert [(w.venue, w.weight) for w in a.venues.split] == [("XNAS", 3), ("ARCX", 1)]


@pytest.mark.parametrize("text, field, line", [
    ("  mode: wire\n", "agents.mode", 6),
    ("  latency: {noise: {jitter_ms: -1}}\n", "agents.latency.noise.jitter_ms", 6),
    ("  market_data: {subscribers: [traders]}\n", "agents.market_data.subscribers[0]", 6),
    ("  market_data: {interval_ms: 0}\n", "agents.market_data.interval_ms", 6),
    ("  venues: {rule: cheapest}\n", "agents.venues.rule", 6),
    ("  venues: {market_makers: some}\n", "agents.venues.market_makers", 6),
    ("  venues: {rule: fixed, split: [{venue: XNAS, weight: 0}]}\n", "agents.venues.split", 6),
])
def test_bad_network_settings_name_the_field_and_line(text: str, field: str, line: int) -> None:
    with pytest.raises(ScenarioError) as err:
        parse_scenario(BASE + text)
    assert err.value.field == field and err.value.line == line, str(err.value)


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12))
def test_any_mode_but_direct_or_network_is_refused(mode: str) -> None:
    text = BASE + f"  mode: {mode}\n"
    if mode in ("direct", "network"):
        assert parse_scenario(text).agents.mode == mode
    else:
        with pytest.raises(ScenarioError, match=r":6: agents.mode: must be "):  # direct or network; or text (YAML null)
            parse_scenario(text)


def test_a_venue_the_scenario_lacks_is_refused_when_the_agents_are_built() -> None:
    config = Agents(venues=AgentVenues(rule="fixed", split=(VenueWeight("BATS", 1),)))
    with pytest.raises(ValueError, match=r"agents.venues.split\[0\].venue: unknown venue 'BATS'"):
        build_agents(config, parse_scenario(BASE + "  value: {count: 1}\n").symbols, sim_venue(), SeededStreams(1).stream,
                     start_ns=0, open_ns=0, close_ns=10**12, venues=[sim_venue(), sim_venue("ARCX")])


# ---------------------------------------------------------------------------------------------- many venues


def small(**kw) -> Agents:
    return Agents(value=ValueAgents(count=20, mean_wake_s=5.0), momentum=MomentumAgents(count=0),
                  noise=NoiseAgents(count=30, mean_wake_s=30.0), market_makers=MarketMakerAgents(count=1), **kw)


def drive_direct(population, clock: Clock, until: int) -> None:
    """Wake agents as the twin's runner does in direct mode."""
    def fire(timer):
        agent = timer.value
        nxt = agent.wake(clock.now)
        if nxt < until:
            clock.schedule(nxt - clock.now, fire, agent)

    for agent, first in zip(population.agents, population.first_wakes):
        clock.schedule(first, fire, agent)
    clock.run(until)


def test_agents_spread_over_venues_and_makers_quote_on_each_with_one_tape() -> None:
    symbols = parse_scenario(BASE + "  value: {count: 1}\n").symbols
    venues = [sim_venue("XNAS"), sim_venue("ARCX")]
    pop = build_agents(small(venues=AgentVenues(rule="fixed", market_makers="all")), symbols, venues[0],
                       SeededStreams(3).stream, start_ns=0, open_ns=0, close_ns=600 * 10**9, venues=venues)
    assert [f.name for f in pop.fronts] == ["XNAS", "ARCX"] and pop.fronts[1].tapes is pop.tapes
    assert pop.count("AMM-ABM-0") == 2 and pop.count("AMM-ABM-0-ARCX") == 1
    drive_direct(pop, Clock(), 600 * 10**9)
    for v in venues:
        bid, _, ask, _ = v.book(SYM).top()
        assert bid and ask  # each venue has its own maker's ladder
    # value and noise orders went to both venues: each book has resting orders from them
    owners = [{v.book(SYM).owner_of(oid)[:3] for oid in list(v._agent_orders)} for v in venues]
    assert all({"VAL", "NOI"} & o for o in owners), owners
    assert len(pop.tapes[SYM]) > 0


def test_network_population_runs_deterministically_and_counts_its_messages() -> None:
    symbols = parse_scenario(BASE + "  value: {count: 1}\n").symbols

    def run() -> tuple:
        venues = [sim_venue("XNAS"), sim_venue("ARCX")]
        pop = build_agents(small(mode="network", venues=AgentVenues(rule="displayed")), symbols, venues[0],
                           SeededStreams(4).stream, start_ns=0, open_ns=0, close_ns=300 * 10**9, venues=venues)
        clock = Clock()
        pop.network.start(clock.schedule, clock.now_ns, 300 * 10**9)
        clock.run(300 * 10**9)
        tape = pop.tapes[SYM]
        return pop.summary(), list(tape.prices), [v.book(SYM).top() for v in venues]

    first = run()
    assert first == run()
    summary = first[0]
    assert summary["mode"] == "network" and summary["venue_rule"] == "displayed"
    m = summary["messages"]
    assert m["wakeups"] > 20 and m["to_venues"] >= summary["orders"] and m["to_agents"] >= summary["orders"]
    assert m["total"] == m["wakeups"] + m["to_venues"] + m["to_agents"]


def test_a_makers_news_that_a_quote_filled_arrives_after_the_way_back() -> None:
    clock, venue = Clock(), sim_venue()
    hub = hub_with([venue], clock)
    link = front(hub, "AMM-1", base_ms=4.0)
    done: list[tuple[int, str]] = []
    hub.tapes[SYM].watch("AMM-1", lambda order_id: done.append((clock.now, order_id)))
    link.submit_agent_order("AMM-1-1", "AMM-1", SYM, Side.SELL, 100, PX, TimeInForce.DAY, 0)
    clock.run(4 * MS)  # rests at the venue
    hub.fronts[0].submit_agent_order("LP-1", "LP", SYM, Side.BUY, 100, PX, TimeInForce.DAY, clock.now)  # takes it
    assert done == []
    clock.run(100 * MS)
    assert done == [(8 * MS, "AMM-1-1")]
    link.cancel_agent_order("AMM-1-1")  # known filled: no cancel goes out
    assert hub.counts.to_venues == 1


def test_a_response_that_comes_back_after_the_close_is_not_acted_on() -> None:
    clock, venue = Clock(), sim_venue()
    hub = hub_with([venue], clock)
    link = front(hub, "VAL-9", base_ms=3.0)
    agent = _Recorder(link)
    hub.drive(agent, link, agent.first_wake(0))
    hub.start(clock.schedule, clock.now_ns, 1_004 * MS)  # woke at 1,000 ms; the response is due at 1,006 ms
    clock.run(2_000 * MS)
    assert agent.seen == [] and hub.counts.wakeups == 1


def test_what_an_agent_sends_at_one_instant_travels_as_one_burst_in_the_order_sent() -> None:
    clock, venue = Clock(), sim_venue()
    hub = hub_with([venue], clock)
    link = front(hub, "AMM-1", base_ms=1.0, jitter_ms=0.5, seed=3)
    link.submit_agent_order("AMM-1-1", "AMM-1", SYM, Side.BUY, 100, PX, TimeInForce.DAY, 0)
    clock.run(10 * MS)
    link.cancel_agent_order("AMM-1-1")
    for i, price in enumerate((PX, PX - TICK, PX + TICK), start=2):
        link.submit_agent_order(f"AMM-1-{i}", "AMM-1", SYM, Side.BUY, 100 * i, price, TimeInForce.DAY, clock.now)
    assert len(clock._heap) == 1  # four messages, one arrival event
    clock.run(100 * MS)
    assert venue.book(SYM).depth(5)[0] == [(PX + TICK, 400), (PX, 200), (PX - TICK, 300)]
    assert venue.book(SYM).resting_qty("AMM-1-1") == 0  # the cancel went first
    assert hub.counts.to_venues == 5 and hub.counts.to_agents == 5  # 4 acks and a cancel confirmation


def test_an_agent_on_two_venues_queries_both_and_acts_once_on_the_consolidated_view() -> None:
    clock, xnas, arcx = Clock(), sim_venue("XNAS"), sim_venue("ARCX")
    first = TapedVenue(xnas)
    hub = AgentNetwork([first, TapedVenue(arcx, first.tapes)], [SYM], interval_ns=10**9, venue_extra_ns=[0, 4 * MS])
    link = front(hub, "VAL-9", base_ms=1.0)
    agent = _Recorder(link)
    xnas.submit_agent_order("LP-1", "LP", SYM, Side.BUY, 100, PX, TimeInForce.DAY, 0)
    arcx.submit_agent_order("LP-2", "LP", SYM, Side.BUY, 200, PX, TimeInForce.DAY, 0)
    arcx.submit_agent_order("LP-3", "LP", SYM, Side.SELL, 300, PX + TICK, TimeInForce.DAY, 0)
    hub.drive(agent, link, agent.first_wake(0))
    hub.start(clock.schedule, clock.now_ns, 1_500 * MS)
    clock.run(2_000 * MS)
    # ARCX is 4 ms further each way: the agent acts when its response is in, on both books together
    assert agent.seen == [(1_010 * MS, (PX, 300, PX + TICK, 300))]
    assert hub.counts.as_dict() == {"wakeups": 1, "to_venues": 2, "to_agents": 2, "total": 5}
