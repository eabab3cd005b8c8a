"""reports.fact_distance: each kind of moment's distance, undefined moments, the objective and noise weights."""

from __future__ import annotations

import math

import numpy as np
import pytest

from reports.fact_distance import (
    MOMENT_NAMES,
    MOMENTS,
    NOISE_FLOOR,
    Moment,
    distance,
    fact_values,
    fit,
    mean_values,
    noise_weights,
    objective,
)
from reports.stylized_facts import NS, Tape, TopOfBook, day_facts

OPEN = 1_795_530_600 * NS


def _day(seed: int, minutes: int = 90, trade_every_s: int = 5) -> dict:
    """A random-walk day of 1-second quotes (whole cents, one- or two-tick spread) and regular trades."""
    rng = np.random.default_rng(seed)
    n = minutes * 60
    mid = 1_000_000 + np.cumsum(rng.integers(-1, 2, n)) * 100
    half = rng.integers(1, 3, n) * 50
    t = OPEN + np.arange(n, dtype=np.int64) * NS
    book = TopOfBook(t, mid - half, np.full(n, 300), mid + half, np.full(n, 200))
    trades = t[::trade_every_s]
    tape = Tape(trades, mid[::trade_every_s], np.full(len(trades), 100))
    return day_facts(book, tape, OPEN, OPEN + n * NS)


def _moment(kind: str, scale: float = 0.5) -> Moment:
    return Moment("m", "test", kind, scale, 1.0, lambda f: None)


def test_distance_by_kind():
    assert distance(_moment("absolute"), 1.5, 0.5) == pytest.approx(2.0)
    assert distance(_moment("relative"), 2.0, 1.0) == pytest.approx(math.log(2) / 0.5)
    assert distance(_moment("relative"), 1.0, 2.0) == pytest.approx(-math.log(2) / 0.5)
    assert distance(_moment("profile"), [0.5, 0.5], [0.7, 0.3]) == pytest.approx(0.8)


@pytest.mark.parametrize("kind, simulated, target", [
    ("absolute", None, 1.0), ("absolute", 1.0, None), ("absolute", math.nan, 1.0),
    ("relative", 1.0, 0.0), ("profile", [1.0], [1.0]), ("profile", [0.5, 0.5], [0.2, 0.3, 0.5]),
    ("profile", None, [0.5, 0.5]),
])
def test_undefined_moments_have_no_distance(kind, simulated, target):
    assert distance(_moment(kind), simulated, target) is None


def test_nothing_simulated_where_the_target_has_some_is_the_worst_fit():
    assert distance(_moment("relative"), 0.0, 5.0) == -math.inf
    rows = fit({**dict.fromkeys(MOMENT_NAMES), "trades_per_minute": 0.0},
               {**dict.fromkeys(MOMENT_NAMES), "trades_per_minute": 5.0})
    row = next(r for r in rows if r.name == "trades_per_minute")
    assert row.distance == -100.0 and objective(rows) == pytest.approx(10_000.0)


def test_a_day_fits_itself_and_differs_from_another():
    a, b = fact_values(_day(1)), fact_values(_day(2, trade_every_s=3))
    assert set(a) == set(MOMENT_NAMES)
    assert objective(fit(a, a)) == 0.0
    rows = fit(b, a)
    assert objective(rows) > 0.0
    tpm = next(r for r in rows if r.name == "trades_per_minute")
    assert tpm.target == pytest.approx(12.0) and tpm.simulated == pytest.approx(20.0)
    assert tpm.distance == pytest.approx(math.log(20 / 12) / 0.1)
    assert sum(r.contribution for r in rows if r.contribution is not None) == pytest.approx(objective(rows))


def test_objective_is_infinite_when_no_moment_is_defined():
    empty = dict.fromkeys(MOMENT_NAMES)
    assert objective(fit(empty, empty)) == math.inf


def test_zero_weight_keeps_a_moment_in_the_report_but_out_of_the_objective():
    a, b = fact_values(_day(1)), fact_values(_day(2, trade_every_s=3))
    weights = {m.name: 0.0 for m in MOMENTS if m.name != "trades_per_minute"}
    rows = fit(b, a, weights=weights)
    tpm = next(r for r in rows if r.name == "trades_per_minute")
    assert objective(rows) == pytest.approx(tpm.distance ** 2)
    assert all(r.distance is not None for r in rows if r.name in ("kurtosis_1min", "acf_1min_lag1"))


def test_noise_weights_favour_moments_the_seeds_do_not_move():
    days = [fact_values(_day(seed)) for seed in (1, 2, 3, 4)]
    weights = noise_weights(days)
    # every day trades every 5 s: no noise, the floor's weight; returns move from seed to seed
    assert weights["trades_per_minute"] == pytest.approx(1.0 / NOISE_FLOOR ** 2)
    assert weights["kurtosis_1min"] < weights["trades_per_minute"]
    mean = mean_values(days)
    noise = math.sqrt(np.mean([((d["acf_1min_lag1"] - mean["acf_1min_lag1"]) / 0.1) ** 2 for d in days]))
    assert weights["acf_1min_lag1"] == pytest.approx(1.0 / max(noise, NOISE_FLOOR) ** 2)
    assert noise_weights(days, base={"acf_1min_lag1": 2.0})["acf_1min_lag1"] == pytest.approx(
        2.0 * weights["acf_1min_lag1"])


def test_mean_values_skip_undefined_days():
    a, b = fact_values(_day(1)), dict.fromkeys(MOMENT_NAMES)
    mean = mean_values([a, b])
    assert mean["trades_per_minute"] == a["trades_per_minute"]
    assert mean["volume_profile"] == pytest.approx(a["volume_profile"])
