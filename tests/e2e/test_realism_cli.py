"""`twin realism`: a simulated run and a recorded day side by side, and bad input refused in one line."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import SCENARIOS
from tests.e2e.replay_days import two_venue_replay_folder
from twin.cli import main
from twin.cli_realism import parse_session


@pytest.fixture(scope="module")
def rmsc_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("realism") / "rmsc"
    assert main(["run", str(SCENARIOS / "rmsc_like.yaml"), "--seed", "1", "--out", str(out), "--quiet"]) == 0
    return out


@pytest.fixture(scope="module")
def recorded_day(tmp_path_factory):
    # 6,000 ticks 100 ms apart: ten minutes of a two-venue day from 09:30
    folder = two_venue_replay_folder(tmp_path_factory.mktemp("day"), name="realism", seed=1, day_seed=4,
                                     ticks=6_000, orders=[])
    return folder / "day"


def test_a_run_and_a_recorded_day_side_by_side(rmsc_run, recorded_day, tmp_path, capsys):
    out = tmp_path / "page" / "realism.html"
    assert main(["realism", str(rmsc_run), str(recorded_day), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "rmsc (simulated, ABM): 1-min returns 389" in printed and "day (recorded, AAPL)" in printed
    report = json.loads((out.parent / "realism.json").read_text())
    sim, rec = report["sources"]
    assert (sim["kind"], sim["symbol"], rec["kind"], rec["symbol"]) == ("simulated", "ABM", "recorded", "AAPL")

    # the run's 1-minute figures are its own summary.json's (same samples, same code)
    summary = json.loads((rmsc_run / "summary.json").read_text())["market_realism"]["symbols"]["ABM"]
    facts = sim["facts"]
    assert facts["returns"]["1min"]["excess_kurtosis"] == pytest.approx(summary["returns_1min"]["excess_kurtosis"])
    assert facts["returns"]["1min"]["abs_acf"]["values"] == pytest.approx(summary["abs_return_acf"]["values"])
    assert facts["trades"]["count"] == summary["trades"]["count"]
    assert facts["order_to_trade"] == pytest.approx(summary["trades"]["orders"] / summary["trades"]["count"])
    assert len(facts["intraday"]["volume"]) == 13 and sum(facts["intraday"]["volume"]) == summary["trades"]["volume"]
    assert facts["returns"]["1s"]["count"] == 23_399 and facts["returns"]["5min"]["count"] == 77

    # the recorded day: NBBO over both venues, ten minutes of 1-minute returns, orders unknown
    day = rec["facts"]
    assert day["order_to_trade"] is None and day["trades"]["orders"] is None
    assert 8 <= day["returns"]["1min"]["count"] <= 10
    assert day["spread_ticks"]["p50"] >= 1 and day["trades"]["count"] > 1_000
    assert any("2 venue(s)" in note for note in rec["notes"])

    html = out.read_text()
    assert html.count("<img src=\"data:image/png;base64,") == 5
    assert "1min return ACF lag 1" in html and "order-to-trade ratio" in html
    assert "<th>rmsc (simulated, ABM)</th>" in html and "<th>day (recorded, AAPL)</th>" in html


def test_symbol_option_picks_the_symbol_in_every_source(recorded_day, tmp_path, capsys):
    out = tmp_path / "one.html"
    assert main(["realism", str(recorded_day), "--symbol", "AAPL", "--out", str(out)]) == 0
    assert json.loads((tmp_path / "realism.json").read_text())["sources"][0]["symbol"] == "AAPL"


def _refused(capsys, argv: list[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


def test_bad_sources_are_one_line_and_exit_2(recorded_day, tmp_path, capsys):
    out = str(tmp_path / "x.html")
    missing = tmp_path / "nowhere"
    assert _refused(capsys, ["realism", str(missing), "--out", out]) == f"realism: {missing}: no such folder\n"
    neither = tmp_path / "empty"
    neither.mkdir()
    assert "neither a run folder" in _refused(capsys, ["realism", str(neither), "--out", out])
    assert "not in the day (it has AAPL)" in _refused(capsys, ["realism", str(recorded_day), "--symbol", "MSFT",
                                                              "--out", out])
    assert "--session" in _refused(capsys, ["realism", str(recorded_day), "--session", "16:00-09:30", "--out", out])
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "quotes.parquet").write_bytes(b"not parquet")
    (broken / "trades.parquet").write_bytes(b"not parquet")
    err = _refused(capsys, ["realism", str(broken), "--out", out])
    assert err.startswith("invalid: ") and "quotes.parquet" in err
    run_without_timeline = tmp_path / "oldrun"
    run_without_timeline.mkdir()
    (run_without_timeline / "summary.json").write_text("{}")
    assert "run folder without market_nbbo.parquet" in _refused(capsys, ["realism", str(run_without_timeline),
                                                                         "--out", out])
    assert not (tmp_path / "x.html").exists()


@settings(max_examples=80, deadline=None)
@given(st.text(max_size=20))
def test_session_text_is_parsed_or_refused_naming_the_option(text):
    try:
        start, end = parse_session(text)
    except ValueError as exc:
        assert str(exc).startswith("--session: ") and "\n" not in str(exc)
    else:
        assert start < end
