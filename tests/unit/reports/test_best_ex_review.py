"""reports.best_ex_review: Welch's test and Holm's adjustment by hand and against scipy, and the review's
rule (minimum sample, materiality, direction) on made-up order sets; the HTML and tables it writes."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from reports import best_ex_review as rv


def test_welch_by_hand():
    # a = 1,2,3 (mean 2, var 1), b = 4,6 (mean 5, var 2): se^2 = 1/3 + 2/2 = 4/3
    w = rv.welch(np.array([1.0, 2.0, 3.0]), np.array([4.0, 6.0]))
    se = math.sqrt(4 / 3)
    df = (4 / 3) ** 2 / ((1 / 3) ** 2 / 2 + 1.0**2 / 1)
    assert w.diff == -3.0 and w.t == pytest.approx(-3 / se) and w.df == pytest.approx(df)
    assert w.p == pytest.approx(2 * stats.t.sf(3 / se, df))
    half = stats.t.ppf(0.975, df) * se
    assert (w.ci_low, w.ci_high) == (pytest.approx(-3 - half), pytest.approx(-3 + half))


@pytest.mark.filterwarnings("ignore:Precision loss occurred")
@settings(max_examples=50, deadline=None)
@given(a=st.lists(st.floats(-100, 100), min_size=2, max_size=30), b=st.lists(st.floats(-100, 100), min_size=2, max_size=30))
def test_welch_agrees_with_scipy(a, b):
    a, b = np.array(a), np.array(b)
    w = rv.welch(a, b)
    if a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b) > 1e-9:
        ref = stats.ttest_ind(a, b, equal_var=False)
        assert w.p == pytest.approx(ref.pvalue, rel=1e-6, abs=1e-12)
        assert w.ci_low <= w.diff <= w.ci_high


def test_welch_without_variance_and_too_few_values():
    assert rv.welch(np.array([1.0, 1.0]), np.array([1.0, 1.0])).p == 1.0
    exact = rv.welch(np.array([2.0, 2.0]), np.array([1.0, 1.0]))
    assert exact.p == 0.0 and exact.ci_low == exact.ci_high == 1.0
    with pytest.raises(ValueError, match="two values a side, got 1 and 2"):
        rv.welch(np.array([1.0]), np.array([1.0, 2.0]))


def test_holm_by_hand():
    # sorted 0.01, 0.02, 0.04 over m=3: 0.03, 0.04, max(0.04, 0.04) -> in input order
    assert rv.holm([0.04, 0.01, 0.02]) == pytest.approx([0.04, 0.03, 0.04])
    assert rv.holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])


def orders_of(groups, seed=1):
    """A made-up ``tca_orders`` frame: ``groups`` is ``(order_class, venue, n, mean effective spread)`` rows,
    each order's spread drawn around its group's mean (sd 1 bps); shortfall and slippage are half of it."""
    rng = np.random.default_rng(seed)
    rows = []
    for order_class, venue, n, mean in groups:
        for i in range(n):
            spread = float(rng.normal(mean, 1.0))
            rows.append({"order_id": f"{order_class}-{venue}-{i}", "symbol": "XYZ", "side": "BUY",
                         "order_type": "MARKET" if order_class == "MARKET" else "LIMIT",
                         "order_class": order_class, "venue": venue, "quantity": 100, "filled_qty": 100,
                         "effective_spread_bps": spread, "price_improvement_bps": 0.0,
                         "arrival_slippage_bps": spread / 2, "is_total_bps": spread / 2, "fill_rate": 1.0,
                         "time_to_first_fill_ns": 1_000_000})
    return pd.DataFrame(rows)


def _orders(n_bad=40, n_good=40, bad_mean=5.0, good_mean=1.0, seed=1):
    return orders_of([("MARKET", "BAD", n_bad, bad_mean), ("MARKET", "GOOD", n_good, good_mean)], seed)


def test_a_venue_materially_worse_is_flagged_with_its_orders():
    tests, evidence = rv.review(_orders())
    flagged = tests[tests.flagged]
    # Two venues: only the first is compared with the rest (the second is its mirror image).
    assert set(tests.group) == {"BAD"}
    assert set(flagged.metric) == {"effective_spread_bps", "arrival_slippage_bps", "is_total_bps"}
    row = flagged.set_index("metric").loc["effective_spread_bps"]
    assert row.verdict == "materially worse" and row.n == 40 and row["diff"] == pytest.approx(4.0, abs=0.6)
    assert row.diff_ci_low < row["diff"] < row.diff_ci_high and row.p_holm < 0.05
    shown = evidence[evidence.test_id == row.test_id]
    assert len(shown) == 40 and shown.value.is_monotonic_decreasing  # worst first
    # equal price improvement and fill rate: tested, nothing material
    assert tests.set_index("metric").loc["fill_rate"].verdict == "no material difference"


def test_a_small_difference_or_sample_is_not_flagged():
    small = rv.review(_orders(bad_mean=1.3, n_bad=400, n_good=400))[0]
    es = small.set_index("metric").loc["effective_spread_bps"]
    assert es.p_holm < 0.05 and es.verdict == "no material difference"  # significant but below 1 bps
    few = rv.review(_orders(n_bad=10))[0]
    assert (few.status.str.startswith("insufficient sample")).all() and not few.flagged.any()
    assert (rv.review(_orders(n_bad=10), min_orders=5)[0].status == "tested").all()


def test_review_parameters_are_checked():
    with pytest.raises(ValueError, match="alpha must be between 0 and 1"):
        rv.review(_orders(), alpha=1.5)
    with pytest.raises(ValueError, match=r"min_orders must be a whole number, 2 or more, got 1"):
        rv.review(_orders(), min_orders=1)


def test_write_review_writes_the_page_and_its_tables(tmp_path):
    _orders().to_parquet(tmp_path / "tca_orders.parquet")
    path, tests = rv.write_review(tmp_path)
    html = path.read_text()
    assert path.name == "best_ex_review.html" and "Rule 5310" in html and "BAD-" in html
    assert "materially worse" in html and "Holm" in html
    assert len(pd.read_parquet(tmp_path / rv.TESTS_FILE)) == len(tests)
    assert len(pd.read_parquet(tmp_path / rv.ORDERS_FILE)) == int(tests.flagged.sum()) * 40


@pytest.mark.parametrize("orders", [
    orders_of([("MARKET", "XNAS", 1, 1.0)]),  # one routed order (a `twin replay` policy folder)
    orders_of([("MARKET", "XNAS", 50, 1.0), ("MARKET", "XNAS", 50, 1.0)]),  # one venue, one class
    orders_of([]).reindex(columns=orders_of([("MARKET", "XNAS", 1, 1.0)]).columns),  # no order at all
], ids=["one-order", "one-group", "empty"])
def test_a_review_with_nothing_to_compare_has_every_column(orders):
    tests, evidence = rv.review(orders)
    assert tests.empty and list(tests.columns) == list(rv.TEST_COLUMNS)
    assert evidence.empty and "order_id" in evidence.columns
    assert rv.summarize(tests)[0].tests == 0


def test_a_missing_order_column_is_named():
    with pytest.raises(ValueError, match=r"missing column\(s\) venue, time_to_first_fill_ns"):
        rv.review(_orders().drop(columns=["venue", "time_to_first_fill_ns"]))


def test_review_parameters_name_the_value():
    assert rv.alpha_problem(0.05) is None and rv.min_orders_problem(2) is None
    assert rv.alpha_problem(1.0) == "must be between 0 and 1 (exclusive), got 1.0"
    assert rv.alpha_problem(float("nan")) is not None
    assert rv.min_orders_problem(1) == "must be a whole number, 2 or more, got 1"
    assert rv.min_orders_problem(2.5) is not None


def test_venues_and_order_classes_are_counted_apart_and_say_what_they_are_compared_with():
    # Order classes differ by 6 bps (a trade-off); the venues within each class do not differ.
    orders = orders_of([("MARKET", "ARCX", 40, 1.0), ("MARKET", "XNAS", 40, 1.0), ("MARKET", "BATS", 40, 1.0),
                        ("NON_MARKETABLE_LIMIT", "ARCX", 40, -5.0), ("NON_MARKETABLE_LIMIT", "XNAS", 10, -5.0)])
    tests = rv.review(orders)[0]
    venue, order_class = rv.summarize(tests)
    assert (venue.dimension, order_class.dimension) == ("venue", "order_class")
    # venues: 3 in MARKET (each tested), ARCX vs XNAS in NON_MARKETABLE_LIMIT (10 orders: not tested)
    assert (venue.comparisons, venue.tests, venue.flagged) == (4 * 6, 3 * 6, 0)
    # order classes: two, so MARKET alone against the other; spread, slippage and shortfall differ
    assert (order_class.comparisons, order_class.tests, order_class.flagged) == (6, 6, 3)
    rows = tests.set_index("test_id")
    assert rows.loc["venue:order_class=MARKET:ARCX:fill_rate", "compared_with"] == "BATS, XNAS"
    assert rows.loc["order_class:all orders:MARKET:fill_rate", "compared_with"] == "NON_MARKETABLE_LIMIT"
    assert list(tests.columns) == list(rv.TEST_COLUMNS)


def test_nothing_to_compare_says_why():
    one = orders_of([("MARKET", "XNAS", 1, 1.0)])
    assert rv.nothing_to_compare(one, rv.review(one)[0], 30) == (
        "nothing to compare: 1 routed order in 1 venue and 1 order class; a comparison needs two venues "
        "in one order class, or two order classes")
    few = _orders(n_bad=10)
    assert rv.nothing_to_compare(few, rv.review(few)[0], 30) == (
        "nothing to compare: 50 routed orders, and no comparison has 30 orders on each side "
        "(the closest: 10 vs 40; --min-orders sets the minimum)")
    assert rv.nothing_to_compare(few, rv.review(few, min_orders=10)[0], 10) is None
