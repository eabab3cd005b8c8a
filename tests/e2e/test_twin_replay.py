"""`twin replay`: recorded orders and a strategy on a recorded day, once per routing policy."""

from __future__ import annotations

import json

import pytest

from twin.cli import main
from tests.e2e.replay_days import two_venue_replay_folder
from venues_sim.synthetic_day import DEFAULT_START_NS

NS = 1_000_000_000


@pytest.fixture(scope="module")
def day(tmp_path_factory):
    """A synthetic two-venue day (XNAS, ARCX: frequent equal prices), a scenario and an orders file."""
    orders = [f"{DEFAULT_START_NS + (i + 1) * 2 * NS + 1},AC-00001,AAPL,{'BUY' if i % 2 == 0 else 'SELL'},200,MARKET,,DAY"
              for i in range(40)]
    orders.append(f"{DEFAULT_START_NS + 90 * NS + 1},AC-00002,AAPL,BUY,300,LIMIT,189.50,DAY")
    return two_venue_replay_folder(tmp_path_factory.mktemp("replay"), name="replay_policies", seed=3, day_seed=11,
                                   ticks=1200, orders=orders)


def replay(day, capsys, out: str, *extra: str) -> tuple[int, str, str]:
    status = main(["replay", "--market", str(day / "day"), "--scenario", str(day / "scenario.yaml"),
                   "--out", str(day / out), *extra])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_fee_blind_and_fee_aware_give_different_explained_results_on_the_same_day(day, capsys):
    status, out, err = replay(day, capsys, "cmp", "--orders", str(day / "orders.csv"),
                              "--policy", "fee-aware", "--policy", "fee-blind")
    assert status == 0, err
    comparison = json.loads((day / "cmp" / "comparison.json").read_text())
    aware, blind = comparison["policies"]
    assert (aware["policy"], blind["policy"]) == ("fee-aware", "fee-blind")
    assert aware["orders"] == blind["orders"] == 41  # same orders, same day
    # Fee-aware takes the cheaper ARCX ($0.0005) at equal prices; fee-blind picks by size and name and pays more.
    assert aware["shares_by_venue"] != blind["shares_by_venue"]
    assert aware["shares_by_venue"].get("ARCX", 0) > blind["shares_by_venue"].get("ARCX", 0)
    assert blind["fees_usd"] > aware["fees_usd"]
    assert blind["tca_is_fees_bps"] > aware["tca_is_fees_bps"]  # the TCA of each run folder says the same
    why = comparison["explanations"]["fee-blind"]
    assert any(line.startswith("fee-blind sent") and "XNAS" in line for line in why), why
    assert any(line.startswith("fees +$") for line in why), why
    html = (day / "cmp" / "comparison.html").read_text()
    assert "fee-blind" in html and "data:image/png;base64" in html and "fee-blind sent" in html
    for policy in ("fee-aware", "fee-blind"):  # a full run folder per policy
        assert (day / "cmp" / policy / "summary.json").exists() and (day / "cmp" / policy / "orders.parquet").exists()
    fingerprints = [line.split()[3] for line in out.splitlines() if line.startswith("policy ")]
    assert len(set(fingerprints)) == 2


def test_same_inputs_give_the_same_replay_fingerprint(day, capsys):
    runs = []
    for out in ("det1", "det2"):
        status, text, err = replay(day, capsys, out, "--orders", str(day / "orders.csv"),
                                   "--strategy", "twin.replay_orders:EveryNthQuote")
        assert status == 0, err
        runs.append(json.loads((day / out / "comparison.json").read_text())["fingerprint"])
        assert f"replay fingerprint {runs[-1]}" in text
    assert runs[0] == runs[1]


def test_the_strategy_hook_submits_an_order_every_hundredth_quote(day, capsys):
    status, out, err = replay(day, capsys, "strategy", "--strategy", "twin.replay_orders:EveryNthQuote")
    assert status == 0, err
    figures = json.loads((day / "strategy" / "comparison.json").read_text())["policies"][0]
    # 1,200 ticks x 2 venues = 2,400 recorded quotes during or before the 5-minute session: 24 orders of 100
    assert figures["orders"] == 24 and figures["ordered_shares"] == 2_400
    assert figures["filled_shares"] > 0


@pytest.mark.parametrize("edit, expected", [
    (lambda t: t.replace("AC-00001", "AC-99999", 1), "orders.csv:2: account: unknown account 'AC-99999'"),
    (lambda t: t.replace(",BUY,", ",BYU,", 1), "orders.csv:2: side: must be BUY or SELL, got 'BYU'"),
    (lambda t: t.split("\n", 1)[1], "orders.csv:1: columns must be timestamp, account"),
])
def test_a_bad_orders_file_is_one_line_naming_file_row_and_column(day, capsys, tmp_path, edit, expected):
    bad = tmp_path / "orders.csv"
    bad.write_text(edit((day / "orders.csv").read_text()))
    status, _, err = replay(day, capsys, "bad", "--orders", str(bad))
    assert status == 2
    assert expected in err and "Traceback" not in err and err.count("\n") == 1, err
