"""router_view_day (scenarios/variants): the router on 4 ms direct feeds instead of the venue books.

Same seed, same fingerprint (in a fresh process too); and the view matters: against the same day with
``book``, the fingerprint differs and some shares the router's view showed fill at a worse price than
it showed, which never happens when the router reads the books (``twin.router_view_study``)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import pytest

from scenarios.config import load_scenario
from scenarios.config_market import MarketView
from tests.conftest import SCENARIOS
from twin.router_view_study import view_figures

PATH = SCENARIOS / "variants" / "router_view_day.yaml"
SCRIPT = ("import sys; from scenarios.config import load_scenario; from twin.runner import run_scenario; "
          "s = load_scenario(sys.argv[1]); print(run_scenario(s, seed=s.seed).fingerprint)")


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(PATH)


@pytest.fixture(scope="module")
def direct(scenario):
    return view_figures(scenario)


@pytest.fixture(scope="module")
def book(scenario):
    return view_figures(replace(scenario, market_view=MarketView()))


def test_the_variant_reads_direct_feeds(scenario):
    assert scenario.market_view.source == "direct_feed" and scenario.market_view.feed_latency_ms == 4.0


def test_same_seed_same_fingerprint_in_a_fresh_process(scenario, direct):
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(PATH)], capture_output=True, text=True, check=True)
    fingerprint = out.stdout.strip().splitlines()[-1]
    assert len(fingerprint) == 64 and fingerprint == direct.fingerprint


def test_on_the_books_the_router_gets_what_it_saw(book):
    assert book.marketable_children > 100
    assert book.worse_than_view_shares == 0 and book.missed_shares == 0 and book.slippage_vs_view_bps == 0


def test_on_delayed_feeds_some_shares_fill_worse_than_the_view_showed(book, direct):
    assert direct.fingerprint != book.fingerprint
    assert direct.worse_than_view_shares > 0 and direct.slippage_vs_view_bps > 0


def test_the_summary_and_report_say_which_view_the_router_read(tmp_path):
    import json

    from twin.runner import run_scenario

    smoke = load_scenario(SCENARIOS / "smoke.yaml")
    fed = replace(smoke, market_view=MarketView(source="direct_feed", feed_latency_ms=4.0, poll_ms=5.0))
    run_scenario(fed, seed=smoke.seed, out_dir=tmp_path)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["market_view"] == {"source": "direct_feed", "feed_latency_ms": 4.0, "jitter_ms": 0.1,
                                      "poll_ms": 5.0}
    assert "The router read direct feeds delayed 4.0 ms, published every 5.0 ms" in (
        tmp_path / "report.html").read_text()
