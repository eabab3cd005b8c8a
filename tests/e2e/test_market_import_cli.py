"""`twin market import` on a real-shaped messy day, `twin market summary`, then `twin run` on the imported day."""

from __future__ import annotations

import contextlib
import io
import json

import pytest

from scenarios.config import load_scenario
from tests.unit.venues_sim.importers.messy_feed import VENUES, write_feed
from twin.cli import main
from twin.runner import run_scenario

SCENARIO = """
name: imported_day
seed: 3
session: {{date: "2026-11-24", open: "09:30", close: "09:35"}}
symbols: [{{symbol: AAPL, reference_price: "190.00"}}]
venues: [{venues}]
population: {{advisors: 2, clients_per_advisor: 3, sanctioned_clients: 0}}
order_flow: {{orders: 40}}
replay: {{quotes: day/quotes.parquet, trades: day/trades.parquet}}
"""


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    """The messy one-sided feed imported through the CLI: (folder, stdout)."""
    folder = tmp_path_factory.mktemp("market")
    quotes, trades = write_feed(folder)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(["market", "import", "one-sided", str(quotes), "--trades", str(trades),
                       "--out", str(folder / "day")])
    assert status == 0
    return folder, out.getvalue()


def test_the_messy_day_imports_with_counts_of_what_was_cleaned(imported):
    folder, printed = imported
    meta = json.loads((folder / "day" / "import.json").read_text())
    cleaned, summary = meta["cleaned"], meta["summary"]
    assert len(summary["venues"]) == len(VENUES) >= 10
    assert cleaned["crossed_rows"] > 0 and cleaned["locked_rows"] > 0 and cleaned["sides_cleared"] > 0
    assert summary["crossed_share"] == 0.0 and summary["locked_share"] == 0.0  # clear-older leaves none
    raw_rows = sum(1 for _ in (folder / "quotes.csv").open()) - 1
    assert summary["quotes"] == raw_rows  # nothing dropped under the default policy: sides cleared instead
    assert f"crossed_rows {cleaned['crossed_rows']}" in printed and "venues 12:" in printed
    assert summary["gaps"]["AAPL"] and summary["first"].startswith("2026-11-24T09:30")


def test_summary_prints_the_day(imported, capsys):
    folder, _ = imported
    assert main(["market", "summary", str(folder / "day")]) == 0
    out = capsys.readouterr().out
    assert "venues 12:" in out and "largest quoting gaps AAPL" in out and "cleaned: crossed_rows" in out
    assert main(["market", "summary", str(folder / "nowhere")]) == 2
    assert capsys.readouterr().err.startswith("invalid: ")


def test_a_scenario_on_the_imported_day_runs_and_reports(imported, capsys):
    folder, _ = imported
    path = folder / "imported_day.yaml"
    path.write_text(SCENARIO.format(venues=", ".join(f"{{name: {v}}}" for v in VENUES)))
    status = main(["run", str(path), "--out", str(folder / "run"), "--quiet"])
    assert status == 0, capsys.readouterr().err
    summary = json.loads((folder / "run" / "summary.json").read_text())
    assert summary["market_realism"]["source"] == "recorded"
    assert (folder / "run" / "report.html").stat().st_size > 0
    scenario = load_scenario(path)
    first = run_scenario(scenario)
    assert first.passed and first.world.gateway.venue_fills
    assert run_scenario(scenario).fingerprint == first.fingerprint
