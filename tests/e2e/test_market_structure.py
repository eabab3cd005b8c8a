"""Scenarios opting in to the SIP, a wholesaler, fat-tailed latency, and a replayed day."""

from __future__ import annotations

import pytest

from components.domain.venues import Liquidity
from scenarios.config import load_scenario
from tests.conftest import SCENARIOS
from tests.e2e.test_fingerprint_baselines import BASELINES, assert_baseline
from tests.e2e.test_twin_determinism import fingerprint_in_new_process
from twin.runner import run_scenario
from venues_sim.replay_format import write_csv
from venues_sim.synthetic_day import synthetic_day


@pytest.fixture(scope="module")
def sip_run():
    return run_scenario(load_scenario(SCENARIOS / "sip_day.yaml"), seed=3)


def test_sip_day_is_deterministic_across_processes():
    first = fingerprint_in_new_process("sip_day.yaml")
    assert_baseline("sip_day.yaml", first)
    assert first != BASELINES["smoke.yaml"]  # the SIP and the third venue change the day


def test_sip_day_passes_and_risk_reads_the_sips_nbbo(sip_run):
    assert sip_run.passed
    world = sip_run.world
    published = world.sip.published("AAPL")
    assert published is not None and published.sequence > 10
    assert set(published.bid_venues) | set(published.ask_venues) <= {"XNAS", "BATS", "WHSL"}
    assert world.market_data.reference_price("AAPL") in (published.mid, world.market_data.last_good_mid("AAPL"))


def test_wholesaler_fills_carry_the_fixed_fee_and_price_improvement(sip_run):
    whsl = [f for f in sip_run.world.gateway.venue_fills if f.venue == "WHSL"]
    assert whsl, "the cheaper fixed fee should draw flow to the wholesaler"
    for f in whsl:
        assert f.fee == 10 * f.last_qty  # $0.0010 a share whatever the liquidity
    takers = [f for f in whsl if f.liquidity is Liquidity.TAKER]
    assert any(f.last_px % 100 for f in takers)  # improved by $0.0010: off the cent grid


def test_a_scenario_runs_on_a_replayed_synthetic_day(tmp_path):
    day = synthetic_day(5, prices={"AAPL": 190 * 10_000}, ticks=300)
    write_csv(day, tmp_path / "quotes.csv", tmp_path / "trades.csv")
    path = tmp_path / "replay_day.yaml"
    path.write_text("""
name: replay_day
seed: 5
session: {date: "2026-11-24", open: "09:30", close: "09:35"}
symbols: [{symbol: AAPL, reference_price: "190.00"}]
venues:
  - {name: XNAS, latency_model: {kind: fat_tail, p99_ms: 2.0}}
  - {name: ARCX, fee_model: fixed, fixed_fee: "0.0005"}
population: {advisors: 2, clients_per_advisor: 3, sanctioned_clients: 0}
order_flow: {orders: 60}
replay: {quotes: quotes.csv, trades: trades.csv}
""")
    scenario = load_scenario(path)
    result = run_scenario(scenario)
    assert result.passed, [r for r in result.invariants if not r.passed]
    world = result.world
    assert not world.makers and not world.noise and world.agents is None
    assert world.gateway.venue_fills  # our orders traded against the recording
    assert run_scenario(scenario).fingerprint == result.fingerprint


REPLAY_SCENARIO = """
name: replay_day
seed: 5
session: {{date: "{date}", open: "09:30", close: "09:35"}}
symbols: [{{symbol: AAPL, reference_price: "190.00"}}]
venues: [{{name: XNAS}}, {{name: ARCX}}]
population: {{advisors: 1, clients_per_advisor: 2, sanctioned_clients: 0}}
order_flow: {{orders: 5}}
replay: {{quotes: quotes.csv, trades: trades.csv}}
"""


def replay_run(tmp_path, capsys, *, date="2026-11-24", quotes_edit=None) -> tuple[int, str]:
    """``twin run`` on a replayed synthetic day, the quotes file edited first; (exit status, stderr)."""
    from twin.cli import main

    write_csv(synthetic_day(5, prices={"AAPL": 190 * 10_000}, ticks=50), tmp_path / "quotes.csv",
              tmp_path / "trades.csv")
    if quotes_edit is not None:
        quotes = tmp_path / "quotes.csv"
        quotes.write_text(quotes_edit(quotes.read_text()))
    (tmp_path / "day.yaml").write_text(REPLAY_SCENARIO.format(date=date))
    status = main(["run", str(tmp_path / "day.yaml"), "--out", str(tmp_path / "out"), "--quiet"])
    return status, capsys.readouterr().err


@pytest.mark.parametrize("edit, expected", [
    (lambda text: text.split("\n", 1)[1], ":1: columns must be timestamp_ns"),  # no header row
    (lambda text: text.replace(",190.", ",190.00001", 1), ":2: bid: must be a decimal dollar amount"),
    (lambda text: text.replace("XNAS", "XXXX").replace("ARCX", "XXXX"), ": venue: no quotes for scenario venue"),
])
def test_a_bad_recorded_day_is_one_line_naming_file_row_and_column(tmp_path, capsys, edit, expected):
    status, err = replay_run(tmp_path, capsys, quotes_edit=edit)
    assert status == 2
    assert err.startswith(f"invalid: {tmp_path / 'quotes.csv'}") and expected in err, err
    assert "Traceback" not in err and err.count("\n") == 1


def test_a_session_date_that_is_not_the_recorded_day_is_refused(tmp_path, capsys):
    status, err = replay_run(tmp_path, capsys, date="2026-11-25")
    assert status == 2
    assert "the recorded day is 2026-11-24 (New York) but session.date is 2026-11-25" in err


def test_the_report_of_a_replayed_day_speaks_of_recorded_data(tmp_path, capsys):
    """Realism figures of a replayed day say "recorded" and count the venue's recorded prints."""
    import json

    status, _ = replay_run(tmp_path, capsys)
    assert status == 0
    realism = json.loads((tmp_path / "out" / "summary.json").read_text())["market_realism"]
    assert realism["source"] == "recorded"
    trades = realism["symbols"]["AAPL"]["trades"]
    assert trades is not None and trades["count"] > 0 and trades["orders"] == 0
    html = (tmp_path / "out" / "report.html").read_text()
    assert "recorded market" in html and "recorded prints" in html
