"""Unit tests for venues_sim.liquidity: fair value, market maker, noise trader."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from components.domain.venues import ExecutionReport
from venues_sim.fees import MakerTakerFees
from venues_sim.liquidity import FairValue, MarketMaker, NoiseTrader
from venues_sim.venue import SimVenue

T = 100
P = 100 * 10_000
SEC = 1_000_000_000
FEES = MakerTakerFees(maker_rebate=20, taker_fee=30)


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


# ---------------------------------------------------------------- FairValue


def test_fair_value_independent_of_call_pattern():
    dense, sparse = FairValue(P, 5.0, rng(1)), FairValue(P, 5.0, rng(1))
    dense_path = [dense.at(t * SEC // 3) for t in range(3 * 600)]
    for t in (0, 7 * SEC, 7 * SEC + 1, 300 * SEC, 599 * SEC + SEC // 2):
        assert sparse.at(t) == dense_path[t * 3 // SEC]


def test_fair_value_on_tick_grid_starts_at_start_and_moves():
    fv = FairValue(P, 10.0, rng(2))
    assert fv.at(0) == P
    path = [fv.at(t * SEC) for t in range(1000)]
    assert all(p % T == 0 and p >= T for p in path)
    assert len(set(path)) > 10


def test_fair_value_never_below_one_tick_and_rejects_time_going_back():
    fv = FairValue(T, 5000.0, rng(3))
    assert min(fv.at(t * SEC) for t in range(500)) >= T
    with pytest.raises(ValueError, match="now_ns"):
        fv.at(0)
    with pytest.raises(ValueError, match="start_price"):
        FairValue(0, 1.0, rng(0))


def test_zero_vol_is_flat():
    fv = FairValue(P + 37, 0.0, rng(4))
    assert {fv.at(t * SEC) for t in range(50)} == {P}  # rounded to the tick


# ------------------------------------------------------------- MarketMaker


def make_venue(name: str = "XNAS", reports: list | None = None) -> SimVenue:
    sink = reports.append if reports is not None else (lambda r: None)
    return SimVenue(name, FEES, ["AAA"], sink)


def test_market_maker_quotes_levels_around_fair_value():
    venue = make_venue()
    fair = FairValue(P, 0.0, rng(0))
    mm = MarketMaker(venue, "AAA", fair, rng(1), spread_ticks=2, size=100, levels=3, owner="MM1")
    assert mm.requote(0) == []
    bids, asks = venue.book("AAA").depth(10)
    assert [p for p, _ in bids] == [P - T, P - 2 * T, P - 3 * T]
    assert [p for p, _ in asks] == [P + T, P + 2 * T, P + 3 * T]
    assert all(50 <= s <= 150 for _, s in bids + asks)
    assert len(mm.live_quotes) == 6


def test_market_maker_requote_replaces_quotes_and_never_self_crosses():
    venue = make_venue()
    fair = FairValue(P, 20.0, rng(5))
    mm = MarketMaker(venue, "AAA", fair, rng(6), spread_ticks=1, size=200, levels=4, owner="MM1")
    book = venue.book("AAA")
    for step in range(300):
        mm.requote(step * SEC)
        assert len(book) == 8  # old quotes gone, 4 + 4 new ones
        (bid, _), (ask, _) = book.best_bid(), book.best_ask()
        assert ask - bid == T
        book.check_invariants()


def test_market_maker_skips_non_positive_bids():
    venue = make_venue()
    mm = MarketMaker(venue, "AAA", FairValue(2 * T, 0.0, rng(0)), rng(1), 2, 10, 5, "MM1")
    mm.requote(0)
    bids, asks = venue.book("AAA").depth(10)
    assert [p for p, _ in bids] == [T]
    assert len(asks) == 5


def test_market_maker_rejects_bad_config():
    with pytest.raises(ValueError, match="spread_ticks"):
        MarketMaker(make_venue(), "AAA", FairValue(P, 1.0, rng(0)), rng(0), 0, 10, 1, "MM")
    with pytest.raises(ValueError, match="owner"):
        MarketMaker(make_venue(), "AAA", FairValue(P, 1.0, rng(0)), rng(0), 1, 10, 1, "BD")


# -------------------------------------------------------------- NoiseTrader


def run_world(seed: int, steps: int = 2000) -> tuple[str, list[SimVenue], list[ExecutionReport]]:
    """Two venues, a market maker on each, one noise trader; a fingerprint of all fills."""
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4)]
    reports: list[ExecutionReport] = []
    venues = [make_venue("XNAS", reports), make_venue("ARCA", reports)]
    fair = FairValue(P, 8.0, streams[0])
    mms = [
        MarketMaker(v, "AAA", fair, streams[1 + i], spread_ticks=2, size=300, levels=3, owner=f"MM{i}")
        for i, v in enumerate(venues)
    ]
    noise = NoiseTrader(venues, "AAA", fair, streams[3], "NOISE", market_fraction=0.3, mean_size=100)
    digest = hashlib.sha256()
    for step in range(steps):
        now = step * SEC // 10
        if step % 10 == 0:
            for mm in mms:
                for f in mm.requote(now):
                    digest.update(f"{f}".encode())
        result = noise.act(now)
        digest.update(f"{result}".encode())
        for v in venues:
            v.book("AAA").check_invariants()
    return digest.hexdigest(), venues, reports


def test_noise_world_is_deterministic_and_seed_sensitive():
    a, _, _ = run_world(11, 500)
    b, _, _ = run_world(11, 500)
    c, _, _ = run_world(12, 500)
    assert a == b
    assert a != c


def test_noise_world_books_stay_live_and_bounded():
    _, venues, _ = run_world(7)
    for v in venues:
        book = v.book("AAA")
        bid, ask = book.best_bid(), book.best_ask()
        assert bid is not None and ask is not None and bid[0] < ask[0]
        # 6 market maker quotes plus at most max_resting noise orders in all.
        assert len(book) <= 6 + 20


def test_noise_trader_mixes_order_kinds_and_trades():
    venue = make_venue()
    fair = FairValue(P, 0.0, rng(0))
    mm = MarketMaker(venue, "AAA", fair, rng(1), spread_ticks=2, size=1000, levels=5, owner="MM")
    noise = NoiseTrader([venue], "AAA", fair, rng(2), "NOISE", market_fraction=0.5, mean_size=50)
    rested = filled = 0
    for step in range(400):
        if step % 20 == 0:
            mm.requote(step * SEC)
        result = noise.act(step * SEC)
        rested += result.rested_qty > 0
        filled += result.filled_qty > 0
    assert rested > 20 and filled > 100
    assert noise.resting_count <= noise.max_resting


def test_noise_trader_cancels_stale_orders_by_age():
    venue = make_venue()
    fair = FairValue(P, 0.0, rng(0))
    noise = NoiseTrader(
        [venue], "AAA", fair, rng(3), "NOISE", 0.0, 10, limit_range_ticks=0, max_age_ns=5 * SEC, max_resting=100
    )
    for step in range(5):
        noise.act(step * SEC)
    before = len(venue.book("AAA"))
    assert before >= 1
    noise.act(100 * SEC)  # everything older than 5 s is pulled first
    assert noise.resting_count <= 1
    assert len(venue.book("AAA")) <= 1


def test_our_resting_order_gets_filled_in_a_live_world():
    from components.domain.orders import OrderType, Side, TimeInForce
    from components.domain.venues import ChildOrder, ExecKind, Liquidity

    reports: list[ExecutionReport] = []
    venue = make_venue("XNAS", reports)
    fair = FairValue(P, 0.0, rng(0))
    noise = NoiseTrader([venue], "AAA", fair, rng(9), "NOISE", market_fraction=1.0, mean_size=30)
    venue.submit(ChildOrder("c1", "O1", "XNAS", "AAA", Side.BUY, 500, OrderType.LIMIT, P, TimeInForce.DAY), 0)
    for step in range(200):
        noise.act(step * SEC)
    maker_fills = [r for r in reports if r.kind is ExecKind.FILL]
    assert maker_fills and all(r.liquidity is Liquidity.MAKER and r.fee < 0 for r in maker_fills)
    assert sum(r.last_qty for r in maker_fills) == 500 - venue.leaves("c1")
