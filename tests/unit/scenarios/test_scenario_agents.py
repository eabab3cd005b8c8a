"""Agent populations: each agent's decisions on hand-built books, determinism per
stream, the fundamental process, the trade tape, and the ``agents`` config section."""

from __future__ import annotations

import numpy as np
import pytest

from components.domain.money import CENT, to_units
from components.domain.orders import Side, TimeInForce
from components.memory import SeededStreams
from scenarios.agents import (
    AdaptiveMarketMaker,
    BookMid,
    MeanRevertingFundamental,
    MomentumTrader,
    NoiseAgent,
    OrderSizeModel,
    TapedVenue,
    ValueTrader,
    build_agents,
)
from components.config.schema import ScenarioError
from scenarios.config import parse_scenario
from scenarios.config_agents import Agents, MomentumAgents, NoiseAgents, ValueAgents
from venues_sim.fees import MakerTakerFees
from venues_sim.liquidity import NoiseTrader
from venues_sim.venue import SimVenue

SYM = "ABM"
S = 1_000_000_000
PX = to_units("100.00")


def rng(seed: int = 1) -> np.random.Generator:
    return np.random.default_rng(seed)


def venue() -> TapedVenue:
    return TapedVenue(SimVenue("XNAS", MakerTakerFees(20, 30), [SYM], lambda report: None))


_lp_seq = [0]


def quote(front: TapedVenue, bid: int | None, ask: int | None, size: int = 500) -> None:
    """Replace the liquidity provider "LP"'s quotes with one bid and one ask."""
    book = front.book(SYM)
    for order_id, _, _ in book.cancel_all("LP"):
        front.venue.cancel_agent_order(order_id)
    for side, price in ((Side.BUY, bid), (Side.SELL, ask)):
        if price:
            _lp_seq[0] += 1
            front.venue.submit_agent_order(f"LP-{_lp_seq[0]}", "LP", SYM, side, size, price, TimeInForce.DAY, 0)


def fundamental(mean: int = PX, *, vol: float = 0.0, shocks: float = 0.0, seed: int = 3,
                end_ns: int = 3600 * S, **kw) -> MeanRevertingFundamental:
    params = dict(vol_bps_per_sqrt_s=vol, half_life_s=600.0, megashocks_per_hour=shocks,
                  megashock_mean_bps=100.0, megashock_std_bps=0.0, start_ns=0, end_ns=end_ns)
    params.update(kw)
    return MeanRevertingFundamental(mean, rng(seed), **params)


def value_trader(front: TapedVenue, fund: MeanRevertingFundamental, seed: int = 5, **kw) -> ValueTrader:
    params = dict(mean_wake_s=60.0, observation_noise_bps=0.0, horizon_s=0.0, aggressive_fraction=0.0)
    params.update(kw)
    return ValueTrader(front, SYM, fund, rng(seed), "VAL-0", OrderSizeModel(), **params)


# --------------------------------------------------------------------------- fundamental


def test_fundamental_is_deterministic_and_independent_of_how_it_is_asked() -> None:
    a = fundamental(vol=2.0, shocks=5.0)
    b = fundamental(vol=2.0, shocks=5.0)
    dense = [a.at(t * S) for t in range(0, 3600, 7)]
    sparse = {t: b.at(t * S) for t in range(0, 3600, 7 * 50)}
    assert all(dense[t // 7] == v for t, v in sparse.items())
    assert all(v % CENT == 0 and v >= CENT for v in dense)
    assert len(set(dense)) > 10  # it moves


def test_fundamental_refuses_to_go_back_in_time() -> None:
    f = fundamental(vol=1.0)
    f.at(100 * S)
    with pytest.raises(ValueError):
        f.at(50 * S)


def test_fundamental_mean_reverts_after_a_megashock() -> None:
    f = fundamental(shocks=3.0, end_ns=3 * 3600 * S)  # no diffusion: only shocks and reversion
    assert f.shock_steps, "expected a megashock at 3 per hour over 3 hours"
    first = f.shock_steps[0]
    before = f.value_at((first - 1) * S)
    after = f.value_at(first * S)
    assert abs(after - before) == pytest.approx(PX * 100 / 10_000, rel=0.01)  # one 100 bps shock
    assert f.shocks_before(first * S) == 1
    # Half-life 600 s: ten minutes on, the gap to the mean has about halved.
    if len(f.shock_steps) == 1 or f.shock_steps[1] > first + 600:
        later = f.value_at((first + 600) * S)
        assert abs(later - PX) == pytest.approx(abs(after - PX) / 2, rel=0.02)


def test_fundamental_without_shocks_or_vol_stays_at_the_mean() -> None:
    f = fundamental()
    assert f.shock_steps == [] and f.at(3000 * S) == PX


# --------------------------------------------------------------------------- sizes and tape


def test_order_sizes_are_mostly_round_lots_and_deterministic() -> None:
    def draw(model: OrderSizeModel, seed: int) -> np.ndarray:
        r = rng(seed)
        return np.array([model.sample(r) for _ in range(2000)])

    sizes = draw(OrderSizeModel(), 9)
    assert (sizes == draw(OrderSizeModel(), 9)).all()
    assert (sizes >= 1).all()
    assert 0.6 < np.mean(sizes == 100) < 0.8
    assert 0.6 < np.mean(draw(OrderSizeModel(2.0), 9) == 200) < 0.8


def test_tape_records_trades_positions_and_done_quotes() -> None:
    front = venue()
    tape = front.tapes[SYM]
    tape.track("MM")
    done: list[str] = []
    tape.watch("MM", done.append)
    front.submit_agent_order("MM-1", "MM", SYM, Side.SELL, 100, PX, TimeInForce.DAY, 1)
    front.submit_agent_order("T-1", "T", SYM, Side.BUY, 60, PX, TimeInForce.IOC, 2)
    front.submit_agent_order("T-2", "T", SYM, Side.BUY, 60, None, TimeInForce.IOC, 3)
    assert list(tape.quantities) == [60, 40] and list(tape.prices) == [PX, PX]
    assert list(tape.aggressor) == [1, 1] and tape.volume == 100 == tape.buy_volume
    assert tape.orders == 3
    assert tape.position("MM") == -100 and tape.position("T") == 0  # T is not tracked
    assert done == ["MM-1"]


# --------------------------------------------------------------------------- value trader


def test_value_trader_buys_when_the_market_is_below_its_value() -> None:
    front = venue()
    quote(front, PX - 100 * CENT, PX - 99 * CENT)  # market at 99.00 / 99.01, value 100.00
    trader = value_trader(front, fundamental(), aggressive_fraction=1.0)
    result = trader.act(60 * S)
    assert result is not None and result.fills  # aggressive: lifts the ask
    assert result.fills[0].taker_side is Side.BUY and result.fills[0].price == PX - 99 * CENT


def test_value_trader_sells_passively_when_the_market_is_above_its_value() -> None:
    front = venue()
    bid, ask = PX + 100 * CENT, PX + 104 * CENT  # spread 4 ticks
    trader = value_trader(front, fundamental(), depth_spread=2)
    rested = []
    for t in range(1, 40):
        quote(front, bid, ask)
        result = trader.act(t * 60 * S)
        assert result is not None
        if result.fills:  # priced at the bid itself: it trades there
            assert {f.price for f in result.fills} == {bid} and result.fills[0].taker_side is Side.SELL
            continue
        assert result.rested_qty
        assert front.book(SYM).owner_of(f"VAL-0-{t - 1}") is None  # one resting order at a time
        _, asks = front.book(SYM).depth(20)
        (price,) = [p for p, q in asks if (p, q) != (ask, 500)]
        rested.append(price)
        assert bid < price < bid + 2 * 4 * CENT  # inside the spread, or up to two spreads back
    assert any(p < ask for p in rested) and any(p >= ask for p in rested)


def test_value_trader_does_nothing_when_value_is_at_the_mid() -> None:
    front = venue()
    quote(front, PX - CENT, PX + CENT)
    assert value_trader(front, fundamental()).act(60 * S) is None


def test_value_trader_on_an_empty_book_prices_at_its_value() -> None:
    front = venue()
    trader = value_trader(front, fundamental())
    result = trader.act(60 * S)
    assert result is not None and result.rested_qty
    assert front.book(SYM).top() in ((PX, result.rested_qty, 0, 0), (0, 0, PX, result.rested_qty))


def test_value_trader_estimate_follows_noisy_observations() -> None:
    f = fundamental(vol=1.0, shocks=3.0, end_ns=4 * 3600 * S)
    trader = value_trader(venue(), f, observation_noise_bps=3.0)
    errors = []
    for t in range(60, 4 * 3600, 60):
        trader.observe(t * S)
        errors.append(abs(trader.estimate - f.value_at(t * S)))
    assert f.shock_steps  # the value moved by 100 bps at least once
    assert np.median(errors) < PX * 5 / 10_000  # typically within 5 bps of the truth


def test_value_trader_is_deterministic_per_stream() -> None:
    def orders(seed: int) -> list[tuple]:
        front = venue()
        quote(front, PX - 3 * CENT, PX + 2 * CENT)
        trader = value_trader(front, fundamental(vol=3.0), seed=seed, observation_noise_bps=3.0,
                              aggressive_fraction=0.3)
        out, t = [], trader.first_wake(0)
        for _ in range(40):
            r = trader.act(t)
            out.append((t, None if r is None else (r.rested_qty, tuple(f.price for f in r.fills))))
            t = trader.wake(t)
            quote(front, PX - 3 * CENT, PX + 2 * CENT)
        return out

    assert orders(5) == orders(5)
    assert orders(5) != orders(6)


# --------------------------------------------------------------------------- momentum trader


def momentum(front: TapedVenue, seed: int = 2) -> MomentumTrader:
    return MomentumTrader(front, SYM, rng(seed), "MOM-0", OrderSizeModel(), mean_wake_s=30.0,
                          short_window=2, long_window=4)


@pytest.mark.parametrize(("step", "side"), [(1, Side.BUY), (-1, Side.SELL)])
def test_momentum_trades_with_the_trend(step: int, side: Side) -> None:
    front = venue()
    trader = momentum(front)
    for i in range(6):
        mid = PX + step * i * 5 * CENT
        quote(front, mid - CENT, mid + CENT)
        result = trader.act(i * S)
        if i < 3:
            assert result is None  # not enough history for the long average
            continue
        assert result is not None and result.fills and result.fills[0].taker_side is side
        assert result.fills[0].price == mid + side.sign * CENT  # buys the ask, sells the bid


def test_momentum_stays_out_of_a_flat_market_and_cancels_leftovers() -> None:
    front = venue()
    trader = momentum(front)
    for i in range(6):
        quote(front, PX - CENT, PX + CENT)
        assert trader.act(i * S) is None
    assert trader.signal() == 0
    # An up-trend with a thin ask: the remainder rests, then is canceled next time.
    for i in range(4):
        quote(front, PX + i * 10 * CENT - CENT, PX + i * 10 * CENT + CENT, size=1)
        r = trader.act((10 + i) * S)
    assert r is not None and r.rested_qty
    resting = f"MOM-0-{trader.orders.sent}"
    assert resting in front.book(SYM)
    trader.act(20 * S)
    assert resting not in front.book(SYM)


# --------------------------------------------------------------------------- adaptive market maker


def maker(front: TapedVenue, **kw) -> AdaptiveMarketMaker:
    params = dict(reference_price=PX, tick=CENT, mean_wake_s=60.0, levels=3, min_size=100, pov=0.1,
                  vol_spread_mult=1.0, imbalance_skew_ticks=0.0, inventory_skew_ticks_per_1000=1.0)
    params.update(kw)
    return AdaptiveMarketMaker(front, SYM, rng(4), "AMM-0", **params)


def test_market_maker_quotes_a_ladder_around_the_reference_on_an_empty_book() -> None:
    front = venue()
    mm = maker(front)
    assert mm.requote(0) == []
    bids, asks = front.book(SYM).depth(10)
    assert [p for p, _ in bids] == [PX - CENT, PX - 2 * CENT, PX - 3 * CENT]
    assert [p for p, _ in asks] == [PX, PX + CENT, PX + 2 * CENT]
    assert all(q == 100 for _, q in bids + asks)
    assert max(p for p, _ in bids) < min(p for p, _ in asks)


def test_market_maker_sizes_by_traded_volume_and_widens_with_volatility() -> None:
    front = venue()
    mm = maker(front, pov=0.5)
    mm.requote(0)
    assert (mm.size, mm.spread_ticks) == (100, 1)
    front.submit_agent_order("T-1", "T", SYM, Side.BUY, 250, None, TimeInForce.IOC, 1)  # 250 shares trade
    quote(front, PX + 50 * CENT, PX + 52 * CENT)
    mm.requote(60 * S)
    assert mm.size == 125  # 0.5 * 250
    assert mm.spread_ticks == 1  # first two-sided look: nothing to compare with yet
    quote(front, PX + 100 * CENT, PX + 102 * CENT)  # the market jumps 50 ticks in a minute
    mm.requote(120 * S)
    assert mm.size == 100  # nothing traded on the tape since: back to min_size
    assert mm.spread_ticks > 10  # the jump raised its volatility estimate
    quote(front, None, None)  # leave only its own ladder
    bids, asks = front.book(SYM).depth(1)
    assert asks[0][0] - bids[0][0] == mm.spread_ticks * CENT


def test_market_maker_leans_against_inventory_and_stops_at_its_limit() -> None:
    front = venue()
    mm = maker(front, max_inventory=150, inventory_skew_ticks_per_1000=10.0)
    mm.requote(0)
    # Someone sells into its bids: it gets long 200 shares.
    front.submit_agent_order("T-1", "T", SYM, Side.SELL, 200, None, TimeInForce.IOC, 1)
    assert mm.inventory == 200
    mm.requote(60 * S)
    bids, asks = front.book(SYM).depth(10)
    assert bids == [] and len(asks) == 3  # at its limit: offers only
    assert asks[0][0] < PX  # and leans lower to get rid of it


def test_market_maker_raises_an_alarm_once_a_side_is_used_up() -> None:
    front = venue()
    mm = maker(front)
    alarms: list[AdaptiveMarketMaker] = []
    mm.on_side_empty = alarms.append
    mm.requote(0)
    front.submit_agent_order("T-1", "T", SYM, Side.BUY, 200, None, TimeInForce.IOC, 1)
    assert alarms == []  # one ask level left
    front.submit_agent_order("T-2", "T", SYM, Side.BUY, 150, None, TimeInForce.IOC, 2)
    assert alarms == [mm]  # its last ask went
    front.submit_agent_order("T-3", "T", SYM, Side.SELL, 300, None, TimeInForce.IOC, 3)
    assert alarms == [mm]  # once, until it requotes
    mm.requote(4)
    assert len(front.book(SYM).depth(10)[1]) == 3


# --------------------------------------------------------------------------- noise


def test_noise_agent_prices_off_the_book_mid() -> None:
    front = venue()
    ref = BookMid(front.book(SYM), PX, CENT)
    assert ref.at(0) == PX  # empty book: the reference price
    quote(front, PX + 40 * CENT, PX + 42 * CENT, size=100_000)
    assert ref.at(0) == PX + 41 * CENT
    r = rng(8)
    trader = NoiseTrader([front], SYM, ref, r, "NOISE-0", market_fraction=0.0, mean_size=50, limit_range_ticks=2)
    agent = NoiseAgent(trader, r, mean_wake_s=10.0)
    t = agent.first_wake(0)
    for _ in range(20):
        t = agent.wake(t)
    assert front.tapes[SYM].orders == 20
    bids, asks = front.book(SYM).depth(50)
    # Limits sit within two ticks of the mid, which stays near 100.41.
    assert all(PX + 38 * CENT <= p <= PX + 44 * CENT for p, _ in bids + asks)
    assert len(bids) + len(asks) > 2


# --------------------------------------------------------------------------- populations


def test_adding_an_agent_does_not_change_another_agents_draws() -> None:
    symbols = parse_scenario("name: x\nsymbols: [{symbol: ABM, reference_price: '100.00'}]\n").symbols

    def population(value_count: int):
        sim = SimVenue("XNAS", MakerTakerFees(20, 30), [SYM], lambda report: None)
        return build_agents(Agents(value=ValueAgents(count=value_count)), symbols, sim, SeededStreams(7).stream,
                            start_ns=0, open_ns=60 * S, close_ns=3600 * S)

    small, big = population(3), population(4)
    assert small.count("VAL-") == 3 and big.count("VAL-") == 4
    assert small.count("AMM-") == 2 and small.count("MOM-") == 12 and small.count("NOISE-") == 1000
    wakes = lambda p: {a.owner: w for a, w in zip(p.agents, p.first_wakes)}  # noqa: E731
    ws, wb = wakes(small), wakes(big)
    assert all(ws[o] == wb[o] for o in ws)
    assert all(w >= 60 * S for o, w in ws.items() if not o.startswith("AMM-"))
    assert all(w < 2 * S for o, w in ws.items() if o.startswith("AMM-"))  # makers quote pre-open


def run_population(seed: int, minutes: int = 20) -> tuple:
    """A small population driven by a plain heap of wake-ups (no simpy): its tape."""
    import heapq

    config = Agents(value=ValueAgents(count=10, mean_wake_s=20.0), noise=NoiseAgents(count=50, mean_wake_s=60.0),
                    momentum=MomentumAgents(count=3, mean_wake_s=5.0, short_window=3, long_window=6))
    symbols = parse_scenario("name: x\nsymbols: [{symbol: ABM, reference_price: '100.00'}]\n").symbols
    sim = SimVenue("XNAS", MakerTakerFees(20, 30), [SYM], lambda report: None)
    end = minutes * 60 * S
    pop = build_agents(config, symbols, sim, SeededStreams(seed).stream, start_ns=0, open_ns=0, close_ns=end)
    heap = [(t, i) for i, t in enumerate(pop.first_wakes)]
    heapq.heapify(heap)
    while heap:
        t, i = heapq.heappop(heap)
        nxt = pop.agents[i].wake(t)
        if nxt < end:
            heapq.heappush(heap, (nxt, i))
    tape = pop.tapes[SYM]
    senders = {a.owner.split("-")[0] for a in pop.agents if _orders_sent(a)}
    return senders, tape.orders, tuple(tape.times), tuple(tape.prices), tuple(tape.quantities)


def _orders_sent(agent) -> int:
    # Noise agents wrap a venues_sim NoiseTrader, which numbers its own orders.
    return agent.trader._seq if hasattr(agent, "trader") else agent.orders.sent


def test_a_population_is_deterministic_per_seed() -> None:
    first = run_population(1)
    assert first[0] == {"AMM", "VAL", "MOM", "NOISE"}  # every kind of agent sent orders
    assert len(first[2]) > 50
    assert run_population(1) == first
    assert run_population(2) != first


# --------------------------------------------------------------------------- config


def test_agents_section_is_optional_and_defaults_to_rmsc04_counts() -> None:
    assert parse_scenario("name: x\n").agents is None
    assert parse_scenario("name: x\nagents:\n").agents is None
    a = parse_scenario("name: x\nagents: {}\n").agents
    assert a == Agents()
    assert (a.value.count, a.momentum.count, a.noise.count, a.market_makers.count) == (102, 12, 1000, 2)
    assert a.value.mean_wake_s == 175.0 and a.momentum.mean_wake_s == 37.0 and a.market_makers.mean_wake_s == 60.0


def test_agents_section_overlays_given_fields_on_defaults() -> None:
    a = parse_scenario("name: x\nagents:\n  value: {count: 5}\n  fundamental: {megashocks_per_hour: 2}\n").agents
    assert a.value.count == 5 and a.value.mean_wake_s == 175.0
    assert a.fundamental.megashocks_per_hour == 2.0 and a.fundamental.half_life_min == 120.0


def test_market_only_day_is_allowed() -> None:
    assert parse_scenario("name: x\norder_flow: {orders: 0}\n").order_flow.orders == 0


@pytest.mark.parametrize(
    ("text", "field", "line"),
    [
        ("name: x\nagents:\n  value:\n    cout: 3\n", "agents.value.cout", 4),
        ("name: x\nagents:\n  value: {count: -1}\n", "agents.value.count", 3),
        ("name: x\nagents:\n  momentum:\n    short_window: 50\n    long_window: 20\n",
         "agents.momentum.long_window", 5),
        ("name: x\nagents:\n  market_makers: {min_size: 500, max_size: 100}\n", "agents.market_makers.max_size", 3),
        ("name: x\nagents:\n  noise: {market_fraction: 1.5}\n", "agents.noise.market_fraction", 3),
        ("name: x\nagents:\n  fundamental: {half_life_min: 0}\n", "agents.fundamental.half_life_min", 3),
        ("name: x\nagents:\n  market_makers: {refill_on_empty: maybe}\n", "agents.market_makers.refill_on_empty", 3),
        ("name: x\nagents: [1, 2]\n", "agents", 2),
        ("name: x\nagents:\n  traders: {count: 3}\n", "agents.traders", 3),
    ],
)
def test_agents_section_errors_name_field_and_line(text: str, field: str, line: int) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, "t.yaml")
    assert info.value.field == field
    assert info.value.line == line
    assert str(info.value).startswith(f"t.yaml:{line}: {field}: ")
