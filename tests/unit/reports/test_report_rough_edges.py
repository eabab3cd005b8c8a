"""The run report read by a new user: the funnel's exits explained against the final-status
table, money with thousands separators, the trade date in the header, log axes labelled,
histograms scaled to their data."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
from hypothesis import given, strategies as st

from components.domain.events import EventType as E
from reports import plots
from reports.html import _money, write_report
from reports.summary import build_summary
from tests.unit.reports.test_report_summary import MS, T0, event, fill, front


def canceled_after_a_partial_fill() -> tuple[pd.DataFrame, pd.DataFrame]:
    """P1: partly filled, rest canceled, filled part settled. P2: canceled unfilled. Big notional."""
    rows = front("P1", T0) + [
        fill(E.ORDER_PARTIALLY_FILLED, "P1", T0 + 70 * MS, 5, "NYSE", 12_000, 1_900_000, 3_600, "TAKER"),
        event(E.ORDER_CANCELED, "P1", T0 + 80 * MS, 6),
        event(E.ORDER_ALLOCATED, "P1", T0 + 90 * MS, 7),
        event(E.ORDER_CONFIRMED, "P1", T0 + 95 * MS, 8),
        event(E.ORDER_SETTLED, "P1", T0 + 99 * MS, 9),
    ] + front("P2", T0 + 1000 * MS) + [event(E.ORDER_CANCELED, "P2", T0 + 1100 * MS, 5)]
    orders = pd.DataFrame({"order_id": ["P1", "P2"], "final_status": ["SETTLED", "CANCELED"]})
    return pd.DataFrame.from_records(rows), orders


def report(tmp_path) -> str:
    events, orders = canceled_after_a_partial_fill()
    summary = build_summary(scenario="edges", seed=1, fingerprint="cd" * 32, invariants=[], events=events,
                            orders=orders, wall_seconds=1.0, sim_seconds=60.0)
    assert summary["funnel"]["exits"]["CANCELED"] == 2 and summary["order_counts"]["CANCELED"] == 1
    return write_report(summary, events, orders, tmp_path).read_text(encoding="utf-8")


def test_the_funnel_says_why_it_counts_more_cancels_than_the_final_status_table(tmp_path):
    html = report(tmp_path)
    assert ("CANCELED: 2 orders had their rest canceled; 1 of them were partly filled, so their filled part "
            "went on to allocation, confirmation and settlement") in html
    assert "(CANCELED there: 1)" in html


def test_no_note_when_the_funnel_and_the_table_agree(tmp_path):
    events, orders = canceled_after_a_partial_fill()
    events = events[events["order_id"] == "P2"]
    orders = orders[orders["order_id"] == "P2"]
    summary = build_summary(scenario="edges", seed=1, fingerprint="cd" * 32, invariants=[], events=events,
                            orders=orders, wall_seconds=1.0, sim_seconds=60.0)
    assert "funnel-note" not in write_report(summary, events, orders, tmp_path).read_text(encoding="utf-8")


def test_money_has_thousands_separators_and_stays_exact(tmp_path):
    html = report(tmp_path)
    assert "2,280,000.0000" in html  # 12,000 shares x 190.0000 on NYSE
    assert "12,000" in html
    assert _money("1000000000.0001") == "1,000,000,000.0001"
    assert _money("-20.5000") == "-20.5000"
    assert _money(None) == "-"


@given(st.decimals(min_value=-10**12, max_value=10**12, places=4, allow_nan=False, allow_infinity=False))
def test_money_printing_loses_nothing(value):
    assert Decimal(_money(str(value)).replace(",", "")) == value


def test_the_header_names_the_trade_date(tmp_path):
    html = report(tmp_path)
    # T0 is 2023-11-14 22:13 UTC, 17:13 in New York
    assert "<h1>Twin run report: edges, trade date 2023-11-14</h1>" in html
    assert "<tr><td>trade date</td><td>2023-11-14</td></tr>" in html


def realism_section(spread_counts: list[int]) -> dict:
    return {"returns_1min": {"histogram": {"edges": [-0.001, 0.0, 0.001], "counts": [3, 4]}, "mean": 0.0,
                             "std": 0.0008, "excess_kurtosis": 1.0},
            "spread_ticks": {"histogram": {"ticks": list(range(1, len(spread_counts) + 1)),
                                           "counts": spread_counts, "last_includes_wider": True}},
            "top_depth": {"histogram": {"edges": [0, 100, 200, 300, 400], "counts": [5, 2, 0, 0]}}}


def test_log_axes_are_labelled_and_histograms_end_at_their_data():
    fig = plots.plot_market_realism("AAPL", realism_section([50, 20, 5, 0, 1] + [0] * 25))
    ret_ax, _acf, spread_ax, depth_ax = fig.axes
    for ax in (ret_ax, spread_ax):
        assert ax.get_yscale() == "log" and "log scale" in ax.get_ylabel() and ax.get_xlabel()
    assert spread_ax.get_xlim()[1] < 6  # the widest spread seen is 5 ticks, not the 30 bins
    assert "includes wider" not in spread_ax.get_title()  # the overflow bin is empty
    assert depth_ax.get_xlim() == (0.0, 200.0) and depth_ax.get_xlabel()


def test_an_occupied_overflow_bin_is_still_drawn_and_said():
    fig = plots.plot_market_realism("AAPL", realism_section([50, 0, 0, 2]))
    spread_ax = fig.axes[2]
    assert spread_ax.get_xlim()[1] > 4 and "last bar includes wider" in spread_ax.get_title()
