"""`twin replay` says what became of the orders (final states, blocked/rejected reasons), warns when most
never reached a venue, and says why fee-aware and fee-blind cannot differ when the venues' fees are the same."""

from __future__ import annotations

import json

import pytest

from tests.e2e.replay_days import two_venue_replay_folder
from twin.cli import main
from venues_sim.synthetic_day import DEFAULT_START_NS

NS = 1_000_000_000

ALL_SANCTIONED = """
name: all_sanctioned
seed: 1
session: {date: "2026-11-24", open: "09:30", close: "09:35"}
symbols: [{symbol: AAPL, reference_price: "190.00"}]
venues:
  - {name: XNAS, maker_rebate: "0.0020", taker_fee: "0.0030"}
  - {name: ARCX, fee_model: fixed, fixed_fee: "0.0005"}
population: {advisors: 1, clients_per_advisor: 1, sanctioned_clients: 1}
"""


@pytest.fixture(scope="module")
def day(tmp_path_factory):
    """A two-venue AAPL day; orders: one buy, then three sells of more than the account holds."""
    orders = [f"{DEFAULT_START_NS + (i + 1) * 2 * NS + 1},AC-00001,AAPL,{'BUY' if i == 0 else 'SELL'},100,MARKET,,DAY"
              for i in range(2)]
    orders += [f"{DEFAULT_START_NS + (i + 3) * 2 * NS + 1},AC-00002,AAPL,SELL,100,MARKET,,DAY" for i in range(2)]
    folder = two_venue_replay_folder(tmp_path_factory.mktemp("replay_blocked"), name="blocked", seed=1,
                                     day_seed=11, ticks=300, orders=orders)
    (folder / "all_sanctioned.yaml").write_text(ALL_SANCTIONED)
    return folder


def replay(day, capsys, out: str, *extra: str) -> tuple[str, str, dict, str]:
    status = main(["replay", "--market", str(day / "day"), "--out", str(day / out),
                   "--policy", "fee-aware", "--policy", "fee-blind", *extra])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    return (captured.out, captured.err, json.loads((day / out / "comparison.json").read_text()),
            (day / out / "comparison.html").read_text())


def test_blocked_orders_are_counted_by_state_and_reason_and_warned_about(day, capsys):
    out, err, comparison, html = replay(day, capsys, "default", "--orders", str(day / "orders.csv"))
    for figures in comparison["policies"]:
        assert figures["orders"] == 4 and "fills" in figures  # the existing keys stay
        assert figures["orders_by_state"] == {"BLOCKED": 2, "SETTLED": 2}, figures
        assert figures["reasons_by_state"] == {"BLOCKED": {"INSUFFICIENT_POSITION": 2}}, figures
        assert figures["reached_venue"] == 2
    assert "reached a venue 2 of 4; BLOCKED 2 (INSUFFICIENT_POSITION 2), SETTLED 2" in out, out
    assert "INSUFFICIENT_POSITION" in html and "BLOCKED" in html
    assert comparison["warnings"] == [], comparison["warnings"]  # half reached a venue: not "most" missing


def test_a_replay_where_nothing_reached_a_venue_says_so_and_not_that_the_policies_agree(day, capsys):
    out, err, comparison, html = replay(day, capsys, "sanctioned", "--strategy", "twin.replay_orders:EveryNthQuote",
                                        "--scenario", str(day / "all_sanctioned.yaml"))
    aware, blind = comparison["policies"]
    assert aware["orders"] > 0 and aware["orders_by_state"] == {"BLOCKED": aware["orders"]}, aware
    assert aware["reasons_by_state"] == {"BLOCKED": {"SANCTIONED_PARTY": aware["orders"]}}, aware
    assert aware["reached_venue"] == blind["reached_venue"] == 0
    n = aware["orders"]
    warning = (f"fee-aware: {n} of {n} orders never reached a venue (BLOCKED {n}: SANCTIONED_PARTY {n}); "
               "the comparison says nothing about routing")
    assert warning in comparison["warnings"], comparison["warnings"]
    assert f"warning: {warning}" in err and warning in html
    why = comparison["explanations"]["fee-blind"]
    assert not any("made the same routing decisions" in line for line in why), why
    assert why == ["no order reached a venue under either policy, so their routing cannot be compared"]


def test_identical_venue_fees_are_named_as_why_the_policies_agree(day, capsys):
    _, _, comparison, html = replay(day, capsys, "same_fees", "--orders", str(day / "orders.csv"))
    why = comparison["explanations"]["fee-blind"]
    assert len(why) == 1 and why[0].startswith("fee-blind made the same routing decisions as fee-aware"), why
    assert ("the venues' fees are identical (ARCX, XNAS: maker rebate $0.0020, taker fee $0.0030 a share), "
            "so fee-aware and fee-blind cannot differ; give --scenario with a fee schedule per venue") in why[0], why
    assert "the venues&#x27; fees are identical" in html


def test_different_venue_fees_give_no_such_reason(day, capsys):
    _, _, comparison, _ = replay(day, capsys, "own_fees", "--orders", str(day / "orders.csv"),
                                 "--scenario", str(day / "scenario.yaml"))
    assert not any("identical" in line for line in comparison["explanations"]["fee-blind"])
