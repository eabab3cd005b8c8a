"""The ``market_view`` and ``tape`` scenario sections: defaults, and one-line errors naming the field."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from components.config.schema import ScenarioError
from scenarios.config import parse_scenario

BASE = "name: x\n"
SIP = "sip: {poll_ms: 10}\n"


def error_of(text: str) -> str:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(BASE + text, "s.yaml")
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_defaults_read_the_books_and_print_no_own_fills():
    scenario = parse_scenario(BASE)
    assert scenario.market_view.source == "book" and not scenario.tape.own_fills


def test_direct_feed_settings_are_read():
    view = parse_scenario(BASE + "market_view: {source: direct_feed, feed_latency_ms: 3, jitter_ms: 0.5, "
                                 "poll_ms: 2}\n").market_view
    assert (view.source, view.feed_latency_ms, view.jitter_ms, view.poll_ms) == ("direct_feed", 3.0, 0.5, 2.0)


def test_sip_view_needs_a_sip_section():
    assert error_of("market_view: {source: sip}\n") == (
        "s.yaml:2: market_view.source: sip needs a sip section (the SIP whose NBBO the router reads)")
    assert parse_scenario(BASE + SIP + "market_view: {source: sip}\n").market_view.source == "sip"


@pytest.mark.parametrize("text, expected", [
    ("market_view: {source: feed}\n", "market_view.source: must be one of book, direct_feed, sip, got 'feed'"),
    ("market_view: {source: book, poll_ms: 3}\n", "market_view.poll_ms: only applies to source direct_feed"),
    ("market_view: {source: direct_feed, feed_latency_ms: -1}\n", "market_view.feed_latency_ms: must be >= 0"),
    ("market_view: {source: direct_feed, poll_ms: 0}\n", "market_view.poll_ms: must be > 0"),
    ("market_view: {sorce: book}\n", "market_view.sorce"),
    ("tape: {own_fills: maybe}\n", "tape.own_fills: must be true or false"),
    ("market_view: {source: direct_feed}\nreplay: {quotes: q.csv, trades: t.csv}\n",
     "market_view.source: direct_feed cannot be combined with replay"),
    ("tape: {own_fills: true}\nreplay: {quotes: q.csv, trades: t.csv}\n", "tape.own_fills: cannot be combined"),
])
def test_bad_settings_are_refused_in_one_line_naming_the_field(text, expected):
    assert expected in error_of(text)


@given(st.one_of(st.text(st.characters(whitelist_categories=("L", "N", "Pc")), max_size=12), st.integers(),
                 st.floats(allow_nan=False)))
def test_any_other_source_is_refused_naming_the_field(value):
    text = f"market_view: {{source: {value!r}}}\n"
    try:
        view = parse_scenario(BASE + text, "s.yaml").market_view
    except ScenarioError as exc:
        assert "market_view" in str(exc) and "\n" not in str(exc)
    else:
        assert view.source in ("book", "direct_feed")  # the only ones valid without a sip section
