"""Stylised facts of a day (reports.stylized_facts): synthetic series whose facts are known."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reports.realism import symbol_realism
from reports.stylized_facts import (
    NS,
    TopOfBook,
    Tape,
    acf_figures,
    day_facts,
    interval_mids,
    intraday_profile,
    nbbo_from_venue_quotes,
    sample_grid,
)

OPEN = 1_795_530_600_000_000_000  # 2026-11-24 09:30 New York
DAY_NS = 23_400 * NS  # 09:30-16:00
PRICE = 1_000_000  # $100.00 in units
HALF_SPREAD = 50  # half a cent: a one-cent quote around the mid


def book_from_mid(t_ns: np.ndarray, mid: np.ndarray) -> TopOfBook:
    """A one-cent quote around an integer mid (units), 100 shares a side."""
    mid = np.round(mid).astype(np.int64)
    size = np.full(len(t_ns), 100, dtype=np.int64)
    return TopOfBook(t_ns.astype(np.int64), mid - HALF_SPREAD, size, mid + HALF_SPREAD, size)


def no_trades() -> Tape:
    return Tape(*(np.empty(0, np.int64) for _ in range(3)))


def minute_book(log_returns: np.ndarray, step_ns: int = 60 * NS) -> TopOfBook:
    """A book whose mid changes once per step, by the given log returns."""
    mid = PRICE * np.exp(np.concatenate([[0.0], np.cumsum(log_returns)]))
    return book_from_mid(OPEN + np.arange(len(mid)) * step_ns, mid)


def test_a_random_walk_mid_has_its_return_acf_inside_the_band_at_most_lags():
    rng = np.random.default_rng(7)
    seconds = DAY_NS // NS
    mid = PRICE + np.cumsum(rng.normal(0, 40, seconds))  # a martingale, 0.4 cent per second
    facts = day_facts(book_from_mid(OPEN + np.arange(seconds) * NS, mid), no_trades(), OPEN, OPEN + DAY_NS)
    one_min = facts["returns"]["1min"]
    assert one_min["count"] == 389  # 390 minutes, 389 returns between them
    assert one_min["acf"]["outside_band"] <= 2
    assert abs(one_min["acf"]["values"][0]) < one_min["acf"]["band_95"] * 1.5
    assert facts["returns"]["1s"]["count"] == seconds - 1
    assert facts["returns"]["5min"]["count"] == 77
    assert abs(facts["returns"]["1min"]["excess_kurtosis"]) < 1  # Gaussian steps: thin tails


def test_an_ar1_return_series_shows_its_lag1_autocorrelation():
    rng = np.random.default_rng(11)
    n, phi = 1_440, 0.6
    returns = np.zeros(n)
    shocks = rng.normal(0, 2e-4, n)
    for i in range(1, n):
        returns[i] = phi * returns[i - 1] + shocks[i]
    facts = day_facts(minute_book(returns), no_trades(), OPEN, OPEN + n * 60 * NS)
    acf = facts["returns"]["1min"]["acf"]
    assert acf["values"][0] == pytest.approx(phi, abs=0.08)
    assert acf["values"][1] == pytest.approx(phi ** 2, abs=0.1)
    assert acf["outside_band"] >= 3  # momentum: the early lags are far outside the band
    direct = acf_figures(returns)
    assert direct["values"][0] == pytest.approx(phi, abs=0.08)
    assert direct["band_95"] == pytest.approx(1.96 / 1440 ** 0.5)


def test_student_t_returns_are_fat_tailed_and_their_absolute_values_need_not_cluster():
    rng = np.random.default_rng(3)
    returns = rng.standard_t(4, 390 * 4) * 1e-4
    facts = day_facts(minute_book(returns), no_trades(), OPEN, OPEN + len(returns) * 60 * NS)
    assert facts["returns"]["1min"]["excess_kurtosis"] > 1
    assert facts["returns"]["1min"]["abs_acf"]["outside_band"] <= 3  # independent draws: no clustering


def test_day_facts_one_minute_figures_equal_the_run_summary_figures():
    # The same samples through reports.realism (summary.json) and through day_facts give the same numbers.
    rng = np.random.default_rng(5)
    book = book_from_mid(OPEN + np.arange(3_600) * NS, PRICE + np.cumsum(rng.normal(0, 30, 3_600)))
    facts = day_facts(book, no_trades(), OPEN, OPEN + 3_600 * NS)
    samples = sample_grid(book, OPEN, OPEN + 3_600 * NS)
    summary = symbol_realism(samples, None)
    assert facts["returns"]["1min"]["excess_kurtosis"] == summary["returns_1min"]["excess_kurtosis"]
    assert facts["returns"]["1min"]["abs_acf"]["values"] == summary["abs_return_acf"]["values"]
    assert facts["spread_ticks"]["p50"] == summary["spread_ticks"]["p50"] == 1.0


def _volume_tape(shares_per_bucket: list[int]) -> Tape:
    t = [OPEN + i * 1_800 * NS + 60 * NS for i in range(len(shares_per_bucket))]
    return Tape(np.array(t, np.int64), np.full(len(t), PRICE, np.int64), np.array(shares_per_bucket, np.int64))


def test_a_u_shaped_volume_profile_is_detected_and_a_flat_one_is_not():
    book = book_from_mid(OPEN + np.arange(DAY_NS // NS) * NS, np.full(DAY_NS // NS, PRICE))
    samples = sample_grid(book, OPEN, OPEN + DAY_NS)
    u_shape = [300, 150, 100, 100, 100, 100, 100, 100, 100, 100, 100, 150, 200]
    profile = intraday_profile(samples, _volume_tape(u_shape), OPEN, OPEN + DAY_NS)
    assert len(profile["volume"]) == 13 and profile["volume"] == u_shape
    assert profile["volume_u"] == {"first_over_median": 3.0, "last_over_median": 2.0, "u_shaped": True}
    assert profile["volume_share"][0] == pytest.approx(300 / sum(u_shape))
    flat = intraday_profile(samples, _volume_tape([100] * 13), OPEN, OPEN + DAY_NS)
    assert flat["volume_u"]["u_shaped"] is False and flat["volume_u"]["first_over_median"] == 1.0
    one_end = intraday_profile(samples, _volume_tape([300] + [100] * 12), OPEN, OPEN + DAY_NS)
    assert one_end["volume_u"]["u_shaped"] is False  # both ends must be high


def test_a_volatility_profile_higher_at_both_ends_is_u_shaped():
    rng = np.random.default_rng(9)
    scale = np.full(390, 1e-4)
    scale[:30] = scale[-30:] = 3e-4
    returns = rng.normal(0, 1, 390) * scale
    book = minute_book(returns)
    profile = intraday_profile(sample_grid(book, OPEN, OPEN + DAY_NS), no_trades(), OPEN, OPEN + DAY_NS)
    assert profile["volatility_u"]["u_shaped"] is True
    assert profile["volatility_bps"][6] == pytest.approx(1.0, rel=0.35)


def test_order_to_trade_and_quote_updates_per_trade():
    book = book_from_mid(OPEN + np.arange(10) * NS, np.full(10, PRICE) + np.arange(10) * 100)
    tape = Tape(np.array([OPEN + NS, OPEN + 2 * NS], np.int64), np.full(2, PRICE, np.int64), np.array([100, 300]))
    facts = day_facts(book, tape, OPEN, OPEN + 60 * NS, orders=50)
    assert facts["order_to_trade"] == 25.0
    assert facts["quote_updates_per_trade"] == 5.0
    assert facts["trades"]["volume"] == 400 and facts["trades"]["orders"] == 50
    assert day_facts(book, tape, OPEN, OPEN + 60 * NS)["order_to_trade"] is None  # orders unknown
    # the grid stops one interval after the last row: a recording that ends early is not padded
    assert facts["samples"] == 10  # 0 s .. 9 s, the last row included


def test_sample_grid_takes_the_row_in_force_and_leaves_earlier_times_empty():
    book = TopOfBook(np.array([OPEN + NS, OPEN + 2 * NS + 1]), np.array([10, 20]), np.array([1, 2]),
                     np.array([30, 40]), np.array([3, 4]))
    s = sample_grid(book, OPEN, OPEN + 4 * NS)
    assert s["bid"].tolist() == [0, 10, 10, 20] and s["ask_size"].tolist() == [0, 3, 3, 4]


def test_interval_mids_are_the_last_mid_of_each_bucket_from_the_origin():
    t = OPEN + np.arange(0, 600) * NS
    mid = PRICE + np.arange(600)
    buckets, mids = interval_mids(t, mid - 50, mid + 50, 300 * NS, OPEN)
    assert buckets.tolist() == [0, 1] and mids.tolist() == [PRICE + 299, PRICE + 599]
    bid = (mid - 50).copy()
    bid[:400] = 0  # one-sided until 400 s: the first bucket is dropped
    buckets, mids = interval_mids(t, bid, mid + 50, 300 * NS, OPEN)
    assert buckets.tolist() == [1] and mids.tolist() == [PRICE + 599]


# --- the NBBO from per-venue quotes ------------------------------------------------------------------


def test_nbbo_from_a_hand_made_multi_venue_quote_set():
    #            t  venue  bid bsz  ask asz
    rows = [(1, 0, 100, 5, 104, 5),     # venue 0 alone
            (2, 1, 101, 3, 103, 2),     # venue 1 improves both sides
            (3, 2, 101, 4, 103, 6),     # venue 2 joins both: sizes add up
            (3, 0, 100, 5, 104, 5),     # same time, unchanged quote of venue 0: no new row
            (4, 1, 0, 0, 0, 0),         # venue 1 empties both sides
            (5, 2, 99, 1, 0, 0),        # venue 2: bid down, ask empty -> venue 0's ask is best
            (6, 0, 100, 5, 104, 5),     # nothing changes: dropped
            (7, 0, 0, 0, 0, 0)]         # venue 0 empty: ask side empty
    t, v, b, bs, a, az = (np.array(c, dtype=np.int64) for c in zip(*rows))
    nbbo = nbbo_from_venue_quotes(t, v, b, bs, a, az)
    got = list(zip(*(x.tolist() for x in (nbbo.t_ns, nbbo.bid, nbbo.bid_size, nbbo.ask, nbbo.ask_size))))
    assert got == [(1, 100, 5, 104, 5), (2, 101, 3, 103, 2), (3, 101, 7, 103, 8), (4, 101, 4, 103, 6),
                   (5, 100, 5, 104, 5), (7, 99, 1, 0, 0)]


def _nbbo_by_loop(rows: list[tuple[int, int, int, int, int, int]]) -> list[tuple[int, int, int, int, int]]:
    """The obvious per-row consolidation, as the reference."""
    current: dict[int, tuple[int, int, int, int]] = {}
    out: list[tuple[int, int, int, int, int]] = []
    for i, (t, v, b, bs, a, az) in enumerate(rows):
        current[v] = (b, bs, a, az)
        if i + 1 < len(rows) and rows[i + 1][0] == t:
            continue
        bid = max((q[0] for q in current.values()), default=0)
        asks = [q[2] for q in current.values() if q[2] > 0]
        ask = min(asks) if asks else 0
        bid_size = sum(q[1] for q in current.values() if bid > 0 and q[0] == bid)
        ask_size = sum(q[3] for q in current.values() if ask > 0 and q[2] == ask)
        row = (t, bid, bid_size, ask, ask_size)
        if not out or out[-1][1:] != row[1:]:
            out.append(row)
    return out


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 3), st.integers(0, 4), st.integers(0, 4)),
                min_size=1, max_size=60))
def test_nbbo_matches_a_per_row_consolidation(draws):
    rows = []
    for t, v, b, a in sorted(draws, key=lambda d: d[0]):
        bid, ask = (100 + b if b else 0), (102 + a if a else 0)
        rows.append((t, v, bid, 10 * b, ask, 10 * a))
    t, v, b, bs, a, az = (np.array(c, dtype=np.int64) for c in zip(*rows))
    nbbo = nbbo_from_venue_quotes(t, v, b, bs, a, az)
    got = list(zip(*(x.tolist() for x in (nbbo.t_ns, nbbo.bid, nbbo.bid_size, nbbo.ask, nbbo.ask_size))))
    assert got == _nbbo_by_loop(rows)


def test_an_empty_quote_set_gives_an_empty_nbbo_and_empty_facts():
    empty = np.empty(0, np.int64)
    nbbo = nbbo_from_venue_quotes(empty, empty, empty, empty, empty, empty)
    assert len(nbbo) == 0
    facts = day_facts(nbbo, no_trades(), OPEN, OPEN + DAY_NS)
    assert facts["samples"] == 0 and facts["returns"]["1min"]["count"] == 0
    assert facts["intraday"]["volume_u"]["u_shaped"] is None
