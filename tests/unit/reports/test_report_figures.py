"""The report's figures draw the same pixels with titles fixed on top of their axes (``reports.plots``
sets ``axes.titley``) as with matplotlib's automatic title placement, which is much slower."""

from __future__ import annotations

import base64
import io

import matplotlib
import numpy as np
import pandas as pd
import pytest

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
