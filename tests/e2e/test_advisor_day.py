"""advisor_day: the trade-execution agent in a twin run, gated by simulated advisors.

Same seed, same fingerprint and the same step log (in a fresh process too); agent_steps.jsonl lands
in the run folder and verifies as a hash chain; every agent order reached the platform after its
plan's approval event and none after the kill switch (the run's invariants, which also catch a
tampered step record); the funnel has approvals, rejections, expiries, limit refusals and the
kill switch's cancellations; the proposals are the portfolio engine's, for the twin's own accounts
and listed symbols only, and most submitted blocks fill (none refused for overselling or cash).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from components.agents import verify_records
from components.domain.events import EventType
from scenarios.config import load_scenario
from tests.conftest import SCENARIOS
from tests.e2e.test_fingerprint_baselines import assert_baseline
from twin.advisor_agents import PLAN_PREFIX, check_agent_orders
from twin.runner import run_scenario

pytestmark = pytest.mark.slow

SCRIPT = (
    "import sys, json; from scenarios.config import load_scenario; from twin.runner import run_scenario;"
    "r = run_scenario(load_scenario(sys.argv[1]));"
    "print(json.dumps([r.fingerprint, r.world.advisor_agents.steps.head]))"
)


@pytest.fixture(scope="module")
def day(tmp_path_factory):
    return run_scenario(load_scenario(SCENARIOS / "advisor_day.yaml"), out_dir=tmp_path_factory.mktemp("advisor_day"))


def test_same_seed_same_fingerprint_and_step_log_in_a_fresh_process(day):
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(SCENARIOS / "advisor_day.yaml")],
                         capture_output=True, text=True, check=True)
    fingerprint, head = json.loads(out.stdout.strip().splitlines()[-1])
    assert_baseline("advisor_day.yaml", day.fingerprint)
    assert fingerprint == day.fingerprint
    assert head == day.world.advisor_agents.steps.head


def test_every_invariant_passes_including_the_agents(day):
    names = {r.name: r.passed for r in day.invariants}
    assert names["agent_orders_approved_first"] and names["agent_none_after_kill_switch"]
    assert all(names.values()), [r for r in day.invariants if not r.passed]


def test_the_funnel_shows_every_gate_at_work(day):
    summary = json.loads((day.out_dir / "summary.json").read_text())["agent"]
    funnel = summary["funnel"]
    for state in ("submitted", "rejected", "expired", "refused", "cancelled"):
        assert funnel[state] > 0, (state, funnel)
    assert funnel["pending_approval"] == 0  # nothing left hanging at the end
    assert funnel["approved"] >= funnel["submitted"] and funnel["proposed"] == sum(
        funnel[s] for s in ("submitted", "rejected", "expired", "cancelled", "refused", "failed"))
    assert summary["kill_switch"]["applied_ns"] >= summary["kill_switch"]["requested_ns"]
    assert summary["blocks_submitted"] == len(day.world.advisor_agents.port.sent) > 0
    report = (day.out_dir / "report.html").read_text()
    assert "Trade-execution agent" in report and f"<td class=\"num\">{funnel['submitted']}</td>" in report


def test_the_portfolio_engine_proposes_for_real_accounts_and_most_agent_blocks_fill(day):
    summary = json.loads((day.out_dir / "summary.json").read_text())["agent"]
    engine, fills = summary["engine"], summary["fills"]
    assert engine["tradable"] == ["AAPL", "SPY", "AGG", "VEA"] and engine["outcomes"]["offered"] > 0
    assert engine["asked"] + engine["skipped_pending_plan"] <= summary["signals"]
    accounts = {a.account_id for a in day.world.population.accounts}
    plans = json.loads((day.out_dir / "agent_plans.json").read_text())
    for plan in plans:
        for block in plan["blocks"]:
            assert block["statement"]["symbol"] in engine["tradable"]
            assert {acct for acct, _ in block["statement"]["requests"]} <= accounts
    # most submitted blocks fill in full; none is refused for selling more than is held or buying past cash
    assert fills["blocks"] == summary["blocks_submitted"] and 2 * fills["blocks_filled"] > fills["blocks"]
    assert fills["member_orders_filled"] + fills["member_orders_blocked_by_risk"] <= fills["member_orders"]
    agent_orders = {e.order_id for e in day.world.log.read() if e.event_type is EventType.ORDER_RECEIVED
                    and (e.detail("block_ref") or "").startswith(PLAN_PREFIX)}
    reasons = [e.detail("reason") for e in day.world.log.read()
               if e.event_type is EventType.ORDER_BLOCKED and e.order_id in agent_orders]
    assert len(reasons) == fills["member_orders_blocked_by_risk"]
    assert not {"INSUFFICIENT_POSITION", "INSUFFICIENT_BUYING_POWER"} & set(reasons), reasons


def test_agent_orders_are_in_the_log_and_none_was_submitted_after_the_kill_switch(day):
    agents = day.world.advisor_agents
    kill = agents.kill_applied_ns()
    received = [e for e in day.world.log.read() if e.event_type is EventType.ORDER_RECEIVED
                and (e.detail("block_ref") or "").startswith(PLAN_PREFIX)]
    sent_lines = sum(len(c.lines) for _, c in agents.port.sent)
    assert len(received) == sent_lines > 0
    assert max(e.detail("submitted_ns") for e in received) < kill
    approved_at = {s.plan_id: s.at_ns for s in agents.steps.steps if s.name == "approved"}
    for e in received:
        assert e.detail("submitted_ns") >= approved_at[e.detail("block_ref").rsplit("-B", 1)[0]]


def test_the_step_log_file_verifies_and_a_tampered_record_fails_the_invariant(day):
    lines = (day.out_dir / "agent_steps.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert verify_records(records, day.world.advisor_agents.steps.head).ok
    events = list(day.world.log.read())
    # Erase the first approval from the record: the orders of that plan now have no prior approval.
    first = next(i for i, r in enumerate(records) if r["name"] == "approved")
    forged = records[:first] + records[first + 1:]
    approved_first, _ = check_agent_orders(events, forged)
    assert not approved_first.passed and "without a prior approval event" in approved_first.detail
    # Move the kill switch back before the first submission: those orders are now after it.
    kill = next(i for i, r in enumerate(records) if r["name"] == "kill_switch_on")
    early = [dict(r) for r in records]
    early[kill]["at_ns"] = 0
    _, after_kill = check_agent_orders(events, early)
    assert not after_kill.passed and "after the kill switch" in after_kill.detail


def test_every_file_of_the_run_folder_is_a_run_file(day):
    """``twin.outputs.RUN_FILES`` names what a run writes (a folder run again is cleared by it)."""
    from twin.outputs import RUN_FILES

    assert {p.name for p in day.out_dir.iterdir()} <= set(RUN_FILES)
