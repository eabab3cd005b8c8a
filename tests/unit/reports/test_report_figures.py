"""The report's figures draw the same pixels with titles fixed on top of their axes (``reports.plots``
sets ``axes.titley``) as with matplotlib's automatic title placement, which is much slower; and the realism
figure's lean ticks (``reports.plots.lean_ticks``) and its bars as one collection (``unlabelled_bars``) draw
the same pixels as matplotlib's own ticks and ``ax.bar``."""

from __future__ import annotations

import base64
import io

import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from matplotlib.ticker import NullLocator

from reports import plots, slo_plots
from reports.html import figure_to_data_uri
from reports.tca import plot_tca_by_venue
from tests.unit.reports.test_report_html import make_summary, run_frames


def _pixels(build) -> np.ndarray:
    fig = build()
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba()).copy()


def _builders() -> dict[str, object]:
    events, orders = run_frames()
    summary = make_summary(events, orders, [])
    tca = pd.DataFrame({"venue": ["ARCA", "ARCA", "BATS"], "effective_spread_bps": [1.5, -0.5, 2.0],
                        "price_improvement_bps": [0.2, 0.0, -1.0]})
    return {
        "latency": lambda: plots.plot_latency(summary["latency"]),
        "funnel": lambda: plots.plot_funnel(summary["funnel"]),
        "fills": lambda: plots.plot_fills_by_venue(summary["fills_by_venue"]),
        "risk blocks": lambda: plots.plot_risk_blocks(summary["risk_blocks_by_reason"]),
        "tca": lambda: plot_tca_by_venue(tca),
        "empty budget burn": lambda: slo_plots.plot_budget_burn({}),
    }


def test_reports_fix_titles_on_top_of_their_axes():
    assert matplotlib.rcParams["axes.titley"] == 1.0


@pytest.mark.parametrize("name", list(_builders()))
def test_a_fixed_title_draws_the_pixels_automatic_placement_draws(name):
    build = _builders()[name]
    fixed = _pixels(build)
    with matplotlib.rc_context({"axes.titley": None}):  # matplotlib's default: placed at each draw
        automatic = _pixels(build)
    assert fixed.shape == automatic.shape
    assert np.array_equal(fixed, automatic), f"{name}: {np.count_nonzero((fixed != automatic).any(axis=2))} pixels differ"


def test_a_title_above_top_ticks_is_where_automatic_placement_differs():
    """The check above can fail: an axes with tick labels on top is exactly what automatic placement
    moves the title for, so there the two drawings differ (no report figure has one)."""
    def build():
        fig = plots.new_figure()
        ax = fig.add_subplot(1, 1, 1)
        ax.plot([0, 1], [0, 1])
        ax.xaxis.tick_top()
        ax.set_title("a title over top ticks")
        return fig

    fixed = _pixels(build)
    with matplotlib.rc_context({"axes.titley": None}):
        automatic = _pixels(build)
    assert not np.array_equal(fixed, automatic)


@pytest.mark.parametrize("name", list(_builders()))
def test_a_tight_figure_is_written_as_the_same_png_without_a_second_layout_pass(name):
    build = _builders()[name]
    fig = build()
    plain = io.BytesIO()
    fig.savefig(plain, format="png", metadata={"Software": None})  # lays the tight figure out again
    uri = figure_to_data_uri(build())
    assert base64.b64decode(uri.split(",", 1)[1]) == plain.getvalue()


def test_a_tight_figure_is_drawn_once_per_png():
    fig = _builders()["funnel"]()
    draws = []
    real = fig.draw
    fig.draw = lambda renderer: (draws.append(1), real(renderer))[1]
    figure_to_data_uri(fig)
    assert len(draws) == 1


def test_log_axes_are_labelled_without_mathtext(monkeypatch):
    """Matplotlib's default log labels (10^k) are mathtext, whose parser costs about a second the first
    time a process draws one: the report's log axes are labelled with plain numbers instead."""
    from matplotlib import mathtext

    from reports.realism import realism_section
    from tests.unit.reports.test_report_realism import PX, samples_from_mids
    from components.domain.money import CENT

    def no_mathtext(*_args, **_kwargs):
        raise AssertionError("a report label was parsed as mathtext")

    monkeypatch.setattr(mathtext.MathTextParser, "parse", no_mathtext)
    mids = PX // CENT + np.cumsum(np.random.default_rng(4).integers(-3, 4, 240))
    section = realism_section({"ABM": samples_from_mids(mids)}, venue="XNAS", sample_interval_s=1.0)
    fig = plots.plot_market_realism("ABM", section["symbols"]["ABM"])
    fig.canvas.draw()
    labels = [t.get_text() for ax in fig.axes for t in ax.get_yticklabels() if t.get_text()]
    assert labels and not any("$" in label for label in labels), labels

    plain = plots.new_figure()
    ax = plain.add_subplot(1, 1, 1)
    ax.plot([1, 2], [1e-5, 1e3])
    ax.set_yscale("log")
    with pytest.raises(AssertionError, match="mathtext"):  # the check can fail: the default labels are
        plain.canvas.draw()


def _section(ret_counts, ret_start, ret_width, acf, band, spread_counts, depth_counts, depth_step) -> dict:
    """A ``market_realism`` symbol section (reports.realism's shape) from drawn numbers."""
    edges = [ret_start + i * ret_width for i in range(len(ret_counts) + 1)]
    mid = (edges[0] + edges[-1]) / 2
    return {
        "returns_1min": {"histogram": {"edges": edges, "counts": ret_counts}, "mean": mid,
                         "std": ret_width * len(ret_counts) / 5, "excess_kurtosis": 1.5},
        "abs_return_acf": {"values": acf, "lags": list(range(1, len(acf) + 1)), "band_95": band},
        "spread_ticks": {"histogram": {"ticks": list(range(1, len(spread_counts) + 1)), "counts": spread_counts,
                                       "last_includes_wider": True}},
        "top_depth": {"histogram": {"edges": [i * depth_step for i in range(len(depth_counts) + 1)],
                                    "counts": depth_counts}, "last_includes_larger": True},
    }


sections = st.builds(
    _section,
    ret_counts=st.lists(st.integers(0, 100_000), min_size=2, max_size=40).filter(any),
    ret_start=st.floats(-2e-3, -1e-6),
    ret_width=st.floats(1e-6, 2e-4),
    acf=st.lists(st.one_of(st.none(), st.floats(-0.4, 0.6)), min_size=1, max_size=12),
    band=st.one_of(st.none(), st.floats(0.01, 0.3)),
    spread_counts=st.lists(st.integers(0, 10**7), min_size=1, max_size=30),
    depth_counts=st.lists(st.integers(0, 50_000), min_size=1, max_size=30),
    depth_step=st.sampled_from([1, 50, 100, 2_500]),
)


def _realism_pixels(section: dict) -> np.ndarray:
    return _pixels(lambda: plots.plot_market_realism("ABM", section))


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow], phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(sections)
def test_lean_ticks_draw_the_pixels_of_matplotlibs_own_ticks(section):
    lean = _realism_pixels(section)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(plots, "lean_ticks", lambda fig: None)  # matplotlib's ticks, built and dropped at draw time
        plain = _realism_pixels(section)
    assert lean.shape == plain.shape
    assert np.array_equal(lean, plain), f"{np.count_nonzero((lean != plain).any(axis=2))} pixels differ"


def test_lean_ticks_build_fewer_ticks_and_draw_minor_marks_as_one_line():
    spread = [10**7, 10**6, 10**5, 10**4, 1_000, 100, 10, 1]  # seven decades of log minor ticks
    section = _section([5, 50, 500, 50, 5], -1e-4, 4e-5, [0.2, 0.1], 0.05, spread, [3, 2, 1], 100)
    fig = plots.plot_market_realism("ABM", section)
    figure_to_data_uri(fig)
    spread_ax = fig.axes[2]
    marks = [line for line in spread_ax.lines if line.get_label() == "_minor ticks"]
    assert len(marks) == 1 and len(marks[0].get_ydata()) >= 40
    assert len(spread_ax.yaxis.minorTicks) == 1  # matplotlib's lazily made first one only
    ticks = sum(len(a.majorTicks) + len(a.minorTicks) for ax in fig.axes for a in (ax.xaxis, ax.yaxis))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(plots, "lean_ticks", lambda fig: None)
        plain = plots.plot_market_realism("ABM", section)
        figure_to_data_uri(plain)
    assert ticks < sum(len(a.majorTicks) + len(a.minorTicks) for ax in plain.axes for a in (ax.xaxis, ax.yaxis)) - 40


def test_the_pixel_check_sees_missing_minor_marks():
    """The comparison above can fail: the same figure without its minor tick marks differs."""
    section = _section([5, 50, 500, 50, 5], -1e-4, 4e-5, [0.2, 0.1], 0.05, [10**5, 10, 1], [3, 2, 1], 100)
    lean = _realism_pixels(section)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(plots, "_minor_marks_as_one_line", lambda ax, axis, major, locs: axis.set_minor_locator(NullLocator()))
        bare = _realism_pixels(section)
    assert not np.array_equal(lean, bare)


def _ax_bar(ax, xs, heights, widths=0.8, align="center", zorder=1):
    """What ``plots.unlabelled_bars`` replaces: a Rectangle per bar."""
    return ax.bar(xs, heights, widths, align=align, color=plots._MAIN, zorder=zorder)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(sections)
def test_bars_as_one_collection_draw_the_pixels_of_ax_bar(section):
    one = _realism_pixels(section)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(plots, "unlabelled_bars", _ax_bar)
        per_bar = _realism_pixels(section)
    assert one.shape == per_bar.shape
    assert np.array_equal(one, per_bar), f"{np.count_nonzero((one != per_bar).any(axis=2))} pixels differ"


def test_the_bar_check_sees_a_missing_zero_line():
    """The comparison above can fail: bars without ax.bar's sticky zero line get a margin below it."""
    real = plots.unlabelled_bars

    def no_sticky_zero(*args, **kwargs):
        bars = real(*args, **kwargs)
        bars.sticky_edges.y.clear()
        return bars

    section = _section([5, 50, 500, 50, 5], -1e-4, 4e-5, [0.2, 0.1], 0.05, [10**5, 10, 1], [3, 2, 1], 100)
    one = _realism_pixels(section)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(plots, "unlabelled_bars", no_sticky_zero)
        loose = _realism_pixels(section)
    assert not np.array_equal(one, loose)
