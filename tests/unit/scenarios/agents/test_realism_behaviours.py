"""Issue 18's agent behaviours do what they claim: the intraday arrival profile, volatility that
follows it and clusters after news, market makers quoting around fair value, and their config."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.config.schema import ScenarioError
from components.domain.money import CENT, to_units
from components.domain.orders import Side, TimeInForce
from scenarios.agents import AdaptiveMarketMaker, MeanRevertingFundamental, TapedVenue
from scenarios.agents.base import PoissonWaking
from scenarios.agents.fundamental import FairValueReading
from scenarios.agents.intraday import IntradayProfile, ProfiledWaking
from scenarios.config import parse_scenario
from venues_sim.fees import MakerTakerFees
from venues_sim.venue import SimVenue

S = 1_000_000_000
MIN = 60 * S
OPEN, CLOSE = 1000 * S, 1000 * S + 390 * MIN
U = (3.5, 1.6, 1.2, 1.0, 0.9, 0.85, 0.85, 0.85, 0.9, 1.0, 1.1, 1.4, 2.4)
SYM = "ABM"
PX = to_units("100.00")


# --------------------------------------------------------------------------- the profile


def test_profile_is_normalised_to_average_one_and_flat_outside_the_session() -> None:
    p = IntradayProfile([2, 1, 1, 4], OPEN, CLOSE)
    assert p.weights == [1.0, 0.5, 0.5, 2.0]
    assert p.weight_at(OPEN) == 1.0 and p.weight_at(CLOSE - 1) == 2.0
    assert p.weight_at(OPEN - 1) == 1.0 and p.weight_at(CLOSE) == 1.0
    assert p.edges[0] == OPEN and p.edges[-1] == CLOSE


def test_advance_spends_activity_time_at_each_slices_rate() -> None:
    p = IntradayProfile([2, 1, 1, 4], OPEN, CLOSE)
    quarter = (CLOSE - OPEN) // 4
    # the first slice runs at weight 1.0: a quarter of activity time is a quarter of clock time
    assert p.advance(OPEN, quarter) == OPEN + quarter
    # half a quarter of activity in the second slice (weight 0.5) takes a whole quarter of clock time
    assert p.advance(OPEN + quarter, quarter / 2) == OPEN + 2 * quarter
    # across the close the rest runs at weight 1
    assert p.advance(CLOSE - 10 * S, 20 * S * 2.0) == CLOSE + 20 * S
    # before the open: weight 1 until the open, then the first slice
    assert p.advance(OPEN - 5 * S, 10 * S) == OPEN + 5 * S


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=0.1, max_value=10.0), min_size=1, max_size=20),
       st.integers(min_value=0, max_value=390 * 60 - 1), st.floats(min_value=0.0, max_value=5_000.0))
def test_advance_is_monotonic_and_never_goes_back(weights, start_s, gap_s) -> None:
    p = IntradayProfile(weights, OPEN, CLOSE)
    now = OPEN + start_s * S
    later = p.advance(now, gap_s * S)
    assert later >= now
    assert p.advance(now, gap_s * S + 1_000 * S) >= later


@pytest.mark.parametrize("weights", [[], [1.0, 0.0], [1.0, -2.0]])
def test_profile_refuses_empty_or_non_positive_weights(weights) -> None:
    with pytest.raises(ValueError, match="weights"):
        IntradayProfile(weights, OPEN, CLOSE)


class _Counter(ProfiledWaking):
    def __init__(self, seed: int, mean_wake_s: float, profile: IntradayProfile | None):
        self._rng = np.random.default_rng(seed)
        self.mean_gap_ns = mean_wake_s * S
        self.profile = profile
        self.times: list[int] = []

    def act(self, now_ns: int) -> None:
        self.times.append(now_ns)


def _arrivals(profile: IntradayProfile | None, seed: int = 7, agents: int = 40) -> np.ndarray:
    times: list[int] = []
    for i in range(agents):
        agent = _Counter(seed + i, 120.0, profile)
        t = agent.first_wake(OPEN)
        while t < CLOSE:
            t = agent.wake(t)
        times.extend(agent.times)
    return np.array(times)


def test_a_u_shaped_profile_puts_more_arrivals_in_the_first_and_last_half_hour() -> None:
    profile = IntradayProfile(U, OPEN, CLOSE)
    buckets = np.bincount((_arrivals(profile) - OPEN) // (30 * MIN), minlength=13)[:13]
    median = np.median(buckets)
    assert buckets[0] >= 2.5 * median and buckets[-1] >= 1.8 * median  # weights 3.5 and 2.4 over ~0.9
    flat = np.bincount((_arrivals(None) - OPEN) // (30 * MIN), minlength=13)[:13]
    assert flat[0] < 1.3 * np.median(flat) and flat[-1] < 1.3 * np.median(flat)
    # the same expected number of arrivals: the profile moves them, it does not add any
    assert abs(buckets.sum() - flat.sum()) < 0.05 * flat.sum()


def test_without_a_profile_wakes_are_exactly_poisson_wakings() -> None:
    class Plain(PoissonWaking):
        def __init__(self):
            self._rng = np.random.default_rng(3)
            self.mean_gap_ns = 60.0 * S

        def act(self, now_ns: int) -> None:
            pass

    plain, profiled = Plain(), _Counter(3, 60.0, None)
    t1, t2 = plain.first_wake(OPEN), profiled.first_wake(OPEN)
    for _ in range(50):
        assert t1 == t2
        t1, t2 = plain.wake(t1), profiled.wake(t2)


# --------------------------------------------------------------------------- the fundamental


def _fundamental(seed: int = 5, **kw) -> MeanRevertingFundamental:
    params = dict(vol_bps_per_sqrt_s=1.0, half_life_s=1e9, megashocks_per_hour=0.0, megashock_mean_bps=100.0,
                  megashock_std_bps=0.0, start_ns=OPEN, end_ns=CLOSE)
    params.update(kw)
    return MeanRevertingFundamental(PX * 10, np.random.default_rng(seed), **params)


def _one_second_moves(f: MeanRevertingFundamental) -> np.ndarray:
    return np.diff([f.value_at(OPEN + i * S) for i in range(390 * 60)])


def test_a_flat_profile_or_no_boost_gives_the_plain_path() -> None:
    plain = _one_second_moves(_fundamental())
    assert np.array_equal(plain, _one_second_moves(_fundamental(profile=IntradayProfile([1.0] * 13, OPEN, CLOSE))))
    assert np.array_equal(plain, _one_second_moves(_fundamental(shock_vol_boost=5.0)))  # no shocks: no boost


def test_volatility_follows_the_profile() -> None:
    moves = _one_second_moves(_fundamental(profile=IntradayProfile(U, OPEN, CLOSE)))
    first, midday, last = moves[: 30 * 60].std(), moves[180 * 60: 210 * 60].std(), moves[-30 * 60:].std()
    w = IntradayProfile(U, OPEN, CLOSE).weights
    assert first / midday == pytest.approx((w[0] / w[6]) ** 0.5, rel=0.1)  # variance scales with the weight
    assert last / midday == pytest.approx((w[-1] / w[6]) ** 0.5, rel=0.1)


def test_volatility_rises_after_a_megashock_and_decays() -> None:
    f = _fundamental(megashocks_per_hour=0.3, shock_vol_boost=15.0, shock_vol_half_life_s=600.0, seed=11)
    assert f.shock_steps, "the seed must draw at least one megashock"
    first = f.shock_steps[0]
    moves = _one_second_moves(f)
    shock_at = first - 1  # the move into the shock's step
    before = moves[max(0, shock_at - 600): shock_at].std()
    after = moves[shock_at + 1: shock_at + 301].std()
    later = moves[shock_at + 3000: shock_at + 3600].std() if shock_at + 3600 < len(moves) else None
    assert after > 2.5 * before  # sqrt(1 + 15) = 4 right after, decaying
    if later is not None and len(f.shock_steps) == 1:
        assert later < after


def test_shock_vol_parameters_are_checked() -> None:
    with pytest.raises(ValueError, match="shock_vol_boost"):
        _fundamental(shock_vol_boost=-1.0)


# --------------------------------------------------------------------------- market makers and fair value


def _front() -> TapedVenue:
    return TapedVenue(SimVenue("XNAS", MakerTakerFees(20, 30), [SYM], lambda report: None))


class _Fixed:
    """A fundamental stand-in whose value is set by the test."""

    def __init__(self, value: float):
        self.value = value
        self.mean_price = PX

    def value_at(self, now_ns: int) -> float:
        return self.value


def _maker(front: TapedVenue, fair, weight: float) -> AdaptiveMarketMaker:
    return AdaptiveMarketMaker(front, SYM, np.random.default_rng(4), "AMM-0", reference_price=PX, tick=CENT,
                               mean_wake_s=60.0, levels=3, min_size=100, vol_spread_mult=0.0,
                               imbalance_skew_ticks=0.0, inventory_skew_ticks_per_1000=0.0,
                               fair_value=fair, fair_value_weight=weight)


def _others_quote(front: TapedVenue, bid: int, ask: int) -> None:
    for i, (side, price) in enumerate(((Side.BUY, bid), (Side.SELL, ask))):
        front.venue.submit_agent_order(f"LP-{i}", "LP", SYM, side, 100, price, TimeInForce.DAY, 0)


@pytest.mark.parametrize(("weight", "centre"), [(0.0, PX), (1.0, PX + 40 * CENT), (0.5, PX + 20 * CENT)])
def test_maker_centres_between_the_mid_and_its_fair_value_by_weight(weight: float, centre: int) -> None:
    front = _front()
    _others_quote(front, PX - 100 * CENT, PX + 100 * CENT)  # others' mid: PX, far enough that nothing crosses
    fair = FairValueReading(_Fixed(float(PX + 40 * CENT)), np.random.default_rng(1)) if weight else None
    mm = _maker(front, fair, weight)
    mm.requote(S)
    bids = [o for o in front.book(SYM).depth(10)[0] if o[0] != PX - 100 * CENT]
    asks = [o for o in front.book(SYM).depth(10)[1] if o[0] != PX + 100 * CENT]
    best_bid, best_ask = max(p for p, _ in bids), min(p for p, _ in asks)
    assert best_ask - best_bid == CENT
    assert best_bid == centre - CENT and best_ask == centre  # a 1-tick ladder straddling the centre


def test_a_watching_maker_requotes_when_fair_value_moves_and_keeps_its_poisson_requotes() -> None:
    front = _front()
    fixed = _Fixed(float(PX))
    mm = AdaptiveMarketMaker(front, SYM, np.random.default_rng(4), "AMM-0", reference_price=PX, tick=CENT,
                             mean_wake_s=60.0, levels=2, min_size=100, vol_spread_mult=0.0,
                             imbalance_skew_ticks=0.0, inventory_skew_ticks_per_1000=0.0,
                             fair_value=FairValueReading(fixed, np.random.default_rng(1)), fair_value_weight=1.0,
                             fair_value_watch_s=5.0, fair_value_requote_ticks=10)
    plain = np.random.default_rng(4)
    t = mm.first_wake(0)
    plain.integers(0, S)  # the same first-wake draw
    nxt = mm.wake(t)  # the first wake always quotes
    regular = t + int(plain.exponential(60.0 * S)) + 1
    assert nxt == min(regular, t + 5 * S)
    sent = mm.orders.sent
    fixed.value = float(PX + 5 * CENT)  # a move under the threshold: no requote at the watch
    assert regular > t + 10 * S  # this stream's first gap leaves room for two watches
    nxt2 = mm.wake(nxt)
    assert mm.orders.sent == sent
    fixed.value = float(PX + 12 * CENT)  # past the threshold: requote around the new value
    mm.wake(nxt2)
    assert mm.orders.sent == sent + 4
    assert min(p for p, _ in front.book(SYM).depth(1)[1]) == PX + 12 * CENT
    assert mm._next_regular_ns == regular  # watching draws no extra Poisson gaps


@pytest.mark.parametrize(("now", "trades"), [(0, False), (10 * S, True)])
def test_before_the_open_a_fair_value_ladder_never_crosses_others(now: int, trades: bool) -> None:
    front = _front()
    _others_quote(front, PX - 10 * CENT, PX + 2 * CENT)  # a stale ask below the maker's fair value
    fair = FairValueReading(_Fixed(float(PX + 5 * CENT)), np.random.default_rng(1))
    mm = AdaptiveMarketMaker(front, SYM, np.random.default_rng(4), "AMM-0", reference_price=PX, tick=CENT,
                             mean_wake_s=60.0, levels=3, min_size=100, vol_spread_mult=0.0,
                             imbalance_skew_ticks=0.0, inventory_skew_ticks_per_1000=0.0,
                             fair_value=fair, fair_value_weight=1.0, post_only_before_ns=5 * S)
    taken = mm.requote(now)
    assert bool(taken) is trades  # after the open it may take the stale ask, as any order may
    if not trades:
        bids, asks = front.book(SYM).depth(10)
        assert max(p for p, _ in bids) == PX + CENT  # one tick behind the stale ask
        assert min(p for p, _ in asks) == PX + 2 * CENT


def test_maker_refuses_a_weight_without_a_reading_or_out_of_range() -> None:
    with pytest.raises(ValueError, match="fair_value_weight > 0 needs"):
        _maker(_front(), None, 0.5)
    with pytest.raises(ValueError, match=r"fair_value_weight must be in \[0, 1\]"):
        _maker(_front(), FairValueReading(_Fixed(float(PX)), np.random.default_rng(1)), 1.5)


def test_fair_value_reading_draws_nothing_without_noise_and_is_noisy_with_it() -> None:
    rng = np.random.default_rng(9)
    exact = FairValueReading(_Fixed(float(PX)), rng)
    assert [exact.at(i) for i in range(3)] == [float(PX)] * 3
    assert rng.random() == np.random.default_rng(9).random()  # the stream was not touched
    noisy = FairValueReading(_Fixed(float(PX)), np.random.default_rng(9), noise_bps=10.0)
    readings = np.array([noisy.at(i) for i in range(2000)])
    assert readings.std() == pytest.approx(10 / 10_000 * PX, rel=0.1)


# --------------------------------------------------------------------------- config


def test_the_new_settings_default_to_todays_behaviour() -> None:
    agents = parse_scenario("name: x\nagents: {}\n", "t.yaml").agents
    assert agents.intraday_profile == ()
    assert agents.fundamental.vol_follows_profile is False and agents.fundamental.shock_vol_boost == 0.0
    assert agents.market_makers.fair_value_weight == 0.0 and agents.market_makers.fair_value_noise_bps == 0.0


@pytest.mark.parametrize(
    ("text", "field", "line"),
    [
        ("name: x\nagents:\n  intraday_profile: [2, 0, 1]\n", "agents.intraday_profile[1]", 3),
        ("name: x\nagents:\n  market_makers: {fair_value_weight: 1.5}\n", "agents.market_makers.fair_value_weight", 3),
        ("name: x\nagents:\n  fundamental: {shock_vol_boost: -1}\n", "agents.fundamental.shock_vol_boost", 3),
        ("name: x\nagents:\n  market_makers:\n    fair_value_requote_ticks: 0\n",
         "agents.market_makers.fair_value_requote_ticks", 4),
        ("name: x\nagents:\n  fundamental: {shock_vol_half_life_min: 0}\n",
         "agents.fundamental.shock_vol_half_life_min", 3),
    ],
)
def test_new_settings_errors_name_field_and_line(text: str, field: str, line: int) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, "t.yaml")
    assert info.value.field == field and info.value.line == line
