"""Scenario schema for venue fee/fill/latency models, the SIP and replay sections."""

from __future__ import annotations

import re

import pytest

from components.config.schema import ScenarioError
from scenarios.config import load_scenario, parse_scenario


def test_new_venue_models_parse_and_default_off():
    s = parse_scenario("""
name: x
venues:
  - {name: XNAS}
  - {name: WHSL, fee_model: fixed, fixed_fee: "0.0010", price_improvement: "0.0005",
     latency_model: {kind: fat_tail, p99_ms: 2.0, burst_rate_per_s: 100}}
sip: {feed_latency_ms: 2, stale_after_s: 5}
""")
    xnas, whsl = s.venues
    assert (xnas.fee_model, xnas.fixed_fee, xnas.price_improvement, xnas.latency_model) == ("maker_taker", 0, 0, None)
    assert (whsl.fee_model, whsl.fixed_fee, whsl.price_improvement) == ("fixed", 10, 5)
    assert whsl.latency_model.kind == "fat_tail" and whsl.latency_model.burst_rate_per_s == 100
    assert s.sip.feed_latency_ms == 2 and s.sip.stale_after_s == 5 and s.replay is None
    assert parse_scenario("name: y").sip is None


@pytest.mark.parametrize("body, field", [
    ('venues: [{name: X, fixed_fee: "0.001"}]', "venues[0].fixed_fee"),
    ("venues: [{name: X, fee_model: flat}]", "venues[0].fee_model"),
    ('venues: [{name: X, price_improvement: "-0.0001"}]', "venues[0].price_improvement"),
    ("venues: [{name: X, latency_model: {kind: fat}}]", "venues[0].latency_model.kind"),
    ("venues: [{name: X, latency_model: {median_ms: 2}}]", "venues[0].latency_model.median_ms"),
    ("venues: [{name: X, latency_model: {kind: fat_tail, jitter_ms: 1}}]", "venues[0].latency_model.jitter_ms"),
    ("venues: [{name: X, latency_model: {kind: fat_tail, median_ms: 2, p99_ms: 1}}]",
     "venues[0].latency_model.p99_ms"),
    ("sip: {poll_ms: 0}", "sip.poll_ms"),
    ("sip: {feed_latncy_ms: 1}", "sip.feed_latncy_ms"),
    ("replay: {quotes: q.csv}", "replay.trades"),
    ("replay: {quotes: q.txt, trades: t.csv}", "replay.quotes"),
    ("replay: {quotes: q.csv, trades: t.csv}\nagents: {}", "replay"),
])
def test_bad_market_sections_name_the_field(body, field):
    with pytest.raises(ScenarioError) as err:
        parse_scenario("name: x\n" + body)
    assert f" {field}:" in str(err.value)


def test_replay_paths_are_relative_to_the_scenario_file(tmp_path):
    (tmp_path / "sub").mkdir()
    path = tmp_path / "sub" / "s.yaml"
    path.write_text("name: x\nreplay: {quotes: data/q.csv, trades: t.parquet}\n")
    (tmp_path / "sub" / "data").mkdir()
    (tmp_path / "sub" / "data" / "q.csv").write_text("")
    (tmp_path / "sub" / "t.parquet").write_text("")
    s = load_scenario(path)
    assert s.replay.quotes == str(tmp_path / "sub" / "data" / "q.csv")
    assert s.replay.trades == str(tmp_path / "sub" / "t.parquet")


def test_a_replay_file_that_is_not_there_is_the_scenarios_error_naming_its_line(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("name: x\nreplay:\n  quotes: q.csv\n  trades: t.csv\n")
    (tmp_path / "q.csv").write_text("")
    with pytest.raises(ScenarioError, match=re.escape(f"s.yaml:4: replay.trades: no such file: {tmp_path / 't.csv'}")):
        load_scenario(path)



def test_a_caller_replacing_the_replay_section_may_load_a_scenario_whose_replay_files_are_gone(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("name: x\nreplay: {quotes: old/q.parquet, trades: old/t.parquet}\n")
    assert load_scenario(path, replay_files=False).replay.quotes == str(tmp_path / "old" / "q.parquet")
