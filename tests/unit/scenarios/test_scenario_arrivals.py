"""Order arrivals: exact counts, U-shaped timing, determinism, and well-formed intents."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.arrivals import OrderIntent, arrival_times_ns, order_intents
from scenarios.config import load_scenario, parse_scenario
from scenarios.population import build_population

SCENARIO_DIR = Path(__file__).resolve().parents[3] / "scenarios"
MINUTE = 60 * 10**9


@pytest.fixture(scope="module")
def day():
    return load_scenario(SCENARIO_DIR / "trading_day.yaml")


@pytest.fixture(scope="module")
def day_population(day):
    return build_population(day, np.random.default_rng(11), ["BOUT, Viktor"])


@pytest.fixture(scope="module")
def day_intents(day, day_population):
    return order_intents(day, day_population, np.random.default_rng(11))


# --------------------------------------------------------------------------- arrival times


def test_arrival_times_exact_count_sorted_in_session(day) -> None:
    t = arrival_times_ns(5000, day.session_open_ns, day.session_close_ns, 3.0, np.random.default_rng(0))
    assert t.dtype == np.int64 and t.shape == (5000,)
    assert np.all(np.diff(t) >= 0)
    assert t[0] >= day.session_open_ns and t[-1] < day.session_close_ns


def test_arrival_times_deterministic(day) -> None:
    args = (1000, day.session_open_ns, day.session_close_ns, 3.0)
    a = arrival_times_ns(*args, np.random.default_rng(5))
    assert np.array_equal(a, arrival_times_ns(*args, np.random.default_rng(5)))
    assert not np.array_equal(a, arrival_times_ns(*args, np.random.default_rng(6)))


def test_u_shape_busier_at_open_and_close(day) -> None:
    open_ns, close_ns = day.session_open_ns, day.session_close_ns
    t = arrival_times_ns(5000, open_ns, close_ns, 3.0, np.random.default_rng(1))
    mid = open_ns + (close_ns - open_ns) // 2
    first = np.count_nonzero(t < open_ns + 30 * MINUTE)
    last = np.count_nonzero(t >= close_ns - 30 * MINUTE)
    middle = np.count_nonzero((t >= mid - 15 * MINUTE) & (t < mid + 15 * MINUTE))
    assert first > 1.5 * middle and last > 1.5 * middle


def test_flat_when_u_shape_is_one() -> None:
    t = arrival_times_ns(20_000, 0, 10**12, 1.0, np.random.default_rng(2))
    counts, _ = np.histogram(t, bins=10, range=(0, 10**12))
    assert counts.min() > 0.85 * 2000 and counts.max() < 1.15 * 2000


@settings(max_examples=50, deadline=None)
@given(
    n=st.integers(min_value=0, max_value=300),
    span=st.integers(min_value=1, max_value=10**13),
    u=st.floats(min_value=0.05, max_value=100.0),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_arrival_times_always_in_range(n: int, span: int, u: float, seed: int) -> None:
    open_ns = 1_795_530_600_000_000_000
    t = arrival_times_ns(n, open_ns, open_ns + span, u, np.random.default_rng(seed))
    assert len(t) == n
    assert np.all((t >= open_ns) & (t < open_ns + span))
    assert np.all(np.diff(t) >= 0)


def test_arrival_times_reject_bad_arguments() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError):
        arrival_times_ns(10, 5, 5, 3.0, rng)
    with pytest.raises(ValueError):
        arrival_times_ns(10, 0, 5, 0.0, rng)
    with pytest.raises(ValueError):
        arrival_times_ns(-1, 0, 5, 3.0, rng)


# --------------------------------------------------------------------------- intents


def test_intents_deterministic_and_seed_sensitive(day, day_population, day_intents) -> None:
    assert order_intents(day, day_population, np.random.default_rng(11)) == day_intents
    assert order_intents(day, day_population, np.random.default_rng(12)) != day_intents


def test_intents_well_formed(day, day_population, day_intents) -> None:
    accounts = {a.account_id: a for a in day_population.accounts}
    symbols = set(day.symbol_names)
    times = [i.submit_ns for i in day_intents]
    assert times == sorted(times)
    for it in day_intents:
        assert isinstance(it, OrderIntent)
        assert day.session_open_ns <= it.submit_ns < day.session_close_ns
        assert type(it.submit_ns) is int and type(it.quantity) is int and type(it.limit_offset_bps) is int
        assert it.account_id in accounts and accounts[it.account_id].advisor_id == it.advisor_id
        assert it.symbol in symbols and it.side in ("BUY", "SELL") and it.quantity > 0
        assert it.order_type in ("MARKET", "LIMIT") and it.time_in_force in ("DAY", "IOC")
        if it.order_type == "MARKET":
            assert it.limit_offset_bps == 0
        assert abs(it.limit_offset_bps) <= day.order_flow.limit_offset_bps
        assert it.kind in ("normal", "duplicate", "resubmit", "cancel")
        assert (it.ref_client_order_id is None) == (it.kind == "normal")


def test_counts_and_mix(day, day_intents) -> None:
    kinds = Counter(i.kind for i in day_intents)
    normals = [i for i in day_intents if i.kind == "normal"]
    assert kinds["normal"] == day.order_flow.orders
    assert kinds["cancel"] > 0 and kinds["duplicate"] > 0 and kinds["resubmit"] > 0
    market = sum(i.order_type == "MARKET" for i in normals) / len(normals)
    ioc = sum(i.time_in_force == "IOC" for i in normals) / len(normals)
    assert abs(market - day.order_flow.market_fraction) < 0.05
    assert abs(ioc - day.order_flow.ioc_fraction) < 0.05
    lots = sum(i.quantity % 100 == 0 for i in normals) / len(normals)
    # Buys are sized to the account (BUY_CASH_FRACTION), so small budgets give odd lots.
    assert 0.5 < lots < 1.0, "mostly round lots, some odd lots"
    assert any(i.side == "SELL" for i in normals) and any(i.side == "BUY" for i in normals)


def test_client_order_ids(day_intents) -> None:
    by_id = {i.client_order_id: i for i in day_intents if i.kind == "normal"}
    non_resubmit = [i.client_order_id for i in day_intents if i.kind != "resubmit"]
    assert len(non_resubmit) == len(set(non_resubmit)), "every request but a retry has a fresh id"
    for it in day_intents:
        if it.kind == "normal":
            continue
        original = by_id[it.ref_client_order_id]
        assert it.submit_ns > original.submit_ns
        same_fields = (it.account_id, it.symbol, it.side, it.quantity, it.order_type, it.limit_offset_bps)
        assert same_fields == (original.account_id, original.symbol, original.side, original.quantity,
                               original.order_type, original.limit_offset_bps)
        if it.kind == "resubmit":
            assert it.client_order_id == original.client_order_id
        else:
            assert it.client_order_id != original.client_order_id
        if it.kind == "duplicate":
            assert it.submit_ns - original.submit_ns <= 50_000_000
        if it.kind == "cancel":
            assert it.submit_ns - original.submit_ns >= 1_000_000_000


def test_sells_covered_by_starting_positions(day_population, day_intents) -> None:
    held = {a.account_id: dict(a.positions) for a in day_population.accounts}
    for it in day_intents:
        if it.kind == "normal" and it.side == "SELL":
            held[it.account_id][it.symbol] = held[it.account_id].get(it.symbol, 0) - it.quantity
    assert all(qty >= 0 for pos in held.values() for qty in pos.values())


def test_smoke_scenario_intents() -> None:
    s = load_scenario(SCENARIO_DIR / "smoke.yaml")
    pop = build_population(s, np.random.default_rng(s.seed), ["BOUT, Viktor"])
    intents = order_intents(s, pop, np.random.default_rng(s.seed))
    assert sum(i.kind == "normal" for i in intents) == 200
    assert all(s.session_open_ns <= i.submit_ns < s.session_close_ns for i in intents)


def test_fractions_zero_means_no_extras() -> None:
    s = parse_scenario(
        "name: x\npopulation: {sanctioned_clients: 0}\n"
        "order_flow: {orders: 300, cancel_fraction: 0, duplicate_fraction: 0, resubmit_fraction: 0,"
        " market_fraction: 1, ioc_fraction: 0}\n"
    )
    pop = build_population(s, np.random.default_rng(0), [])
    intents = order_intents(s, pop, np.random.default_rng(0))
    assert len(intents) == 300
    assert all(i.kind == "normal" and i.order_type == "MARKET" and i.time_in_force == "DAY" for i in intents)
