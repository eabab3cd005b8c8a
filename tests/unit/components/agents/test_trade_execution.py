"""The trade-execution agent: the approval gate, the hard limits, the kill switch, the step record."""

from __future__ import annotations

import pytest

from components.agents import (AgentConfig, ApprovalEvent, HardLimits, PlanState, RefusalCode, StepKind, Verdict)
from components.blocks import AllocationStatement
from components.domain.money import to_units
from components.domain.orders import Side

from tests.unit.components.agents.agent_kit import PRICES, RecordingPort, agent, limits, proposal, trade


def approve(a, plan_id, at, approver="ADV-1", plan_hash=None, verdict=Verdict.APPROVE):
    plan_hash = a.plans[plan_id].plan.plan_hash if plan_hash is None else plan_hash
    return a.decide(ApprovalEvent(plan_id, plan_hash, approver, verdict, at))


def test_a_proposal_becomes_blocks_with_statements_and_waits_for_its_advisor():
    a, port = agent()
    out = a.detect(proposal(trade("A1", qty=100), trade("A2", qty=50), trade("A1", "SPY", 10, price=to_units("561"))), 5)
    assert out.ok and out.state is PlanState.PENDING_APPROVAL and port.sent == []
    plan = a.plans[out.plan_id].plan
    assert [b.statement for b in plan.blocks] == [
        AllocationStatement("AAPL", Side.BUY, (("A1", 100), ("A2", 50)), "ADV-1", 5),
        AllocationStatement("SPY", Side.BUY, (("A1", 10),), "ADV-1", 5)]
    assert [b.price for b in plan.blocks] == [PRICES["AAPL"], to_units("561")]  # unpriced -> the reference price
    names = [(s.kind, s.name) for s in a.steps.steps]
    assert (StepKind.TOOL_CALL, "reference_price") in names and names[-1] == (StepKind.DECISION, "approval_requested")
    assert [p.plan.plan_id for p in a.pending()] == [out.plan_id]


def test_only_an_approval_of_exactly_that_plan_by_its_advisor_submits_it():
    a, port = agent()
    pid = a.detect(proposal(trade("A1"), trade("A2")), 0).plan_id
    assert approve(a, pid, 1, plan_hash="0" * 64).refusal is RefusalCode.HASH_MISMATCH
    assert approve(a, pid, 2, approver="ADV-2").refusal is RefusalCode.WRONG_APPROVER
    assert approve(a, "PLAN-9999999", 3, plan_hash="1" * 64).refusal is RefusalCode.UNKNOWN_PLAN
    assert a.submit(pid, 4).refusal is RefusalCode.NO_APPROVAL  # no approval event: no submission
    assert port.sent == []
    out = approve(a, pid, 5)
    assert out.ok and out.state is PlanState.SUBMITTED and out.submitted == (f"{pid}-B1",)
    (command, killed), = port.sent
    assert (command.block_ref, command.lines, command.submitted_ns, killed) == (f"{pid}-B1", (("A1", 100), ("A2", 100)), 5, False)
    assert approve(a, pid, 6).refusal is RefusalCode.NOT_PENDING  # a second approval sends nothing more
    assert a.submit(pid, 7).refusal is RefusalCode.NOT_PENDING and len(port.sent) == 1
    assert a.steps.verify().ok


def test_a_rejection_or_a_late_answer_submits_nothing():
    a, port = agent(timeout_ns=100)
    p1 = a.detect(proposal(trade("A1"), pid="P1"), 0).plan_id
    p2 = a.detect(proposal(trade("A2"), pid="P2"), 0).plan_id
    assert approve(a, p1, 10, verdict=Verdict.REJECT).state is PlanState.REJECTED
    late = approve(a, p2, 101)
    assert late.refusal is RefusalCode.APPROVAL_EXPIRED and a.plans[p2].state is PlanState.EXPIRED
    p3 = a.detect(proposal(trade("A3"), pid="P3"), 200).plan_id
    assert [o.plan_id for o in a.expire(301)] == [p3]
    assert a.submit(p1, 400).refusal is RefusalCode.NOT_PENDING and port.sent == []
    assert a.funnel() == {"proposed": 3, "approved": 0, "pending_approval": 0, "submitted": 0, "rejected": 1,
                          "expired": 2, "cancelled": 0, "refused": 0, "failed": 0}


def test_hard_limits_refuse_with_the_code_limit_and_value():
    a, port = agent(lim=limits(order="20000", account="30000", day="50000"))
    big = a.detect(proposal(trade("A1", qty=200), pid="P1"), 0)  # 200 x 190 = 38,000 > 20,000 per order
    assert big.refusal is RefusalCode.PER_ORDER and a.plans[big.plan_id].state is PlanState.REFUSED
    step = a.steps.steps[-1]
    assert (step.get("code"), step.get("limit"), step.get("value")) == \
        ("NOTIONAL_EXCEEDS_MAX_PER_ORDER", to_units("20000"), to_units("38000"))
    acct = a.detect(proposal(trade("A1", qty=100), trade("A1", "SPY", 30), pid="P2"), 0)  # 19,000 + 16,800 on A1
    assert acct.refusal is RefusalCode.PER_ACCOUNT
    p3 = a.detect(proposal(trade("A1", qty=100), trade("A2", qty=100), pid="P3"), 0).plan_id  # 38,000 in total
    p4 = a.detect(proposal(trade("A3", qty=100), pid="P4"), 0).plan_id  # 19,000: fits alone
    assert approve(a, p3, 1).state is PlanState.SUBMITTED
    day = approve(a, p4, 2)  # 38,000 + 19,000 > 50,000: the day's room was used in between
    assert day.refusal is RefusalCode.PER_DAY and a.plans[p4].state is PlanState.REFUSED and len(port.sent) == 1


def test_the_day_rolls_over():
    day = 86_400 * 10**9
    a, port = agent(lim=limits(order="20000", account="20000", day="20000"), timeout_ns=2 * day)
    p1 = a.detect(proposal(trade("A1"), pid="P1"), 0).plan_id
    p2 = a.detect(proposal(trade("A1"), pid="P2"), 0).plan_id
    assert approve(a, p1, 1).ok and approve(a, p2, 2).refusal is RefusalCode.PER_ACCOUNT  # A1 checked first
    p3 = a.detect(proposal(trade("A1"), pid="P3"), day + 1).plan_id
    assert approve(a, p3, day + 2).state is PlanState.SUBMITTED and len(port.sent) == 2


def test_the_kill_switch_cancels_pending_plans_and_stops_everything_at_once():
    a, port = agent()
    p1 = a.detect(proposal(trade("A1"), pid="P1"), 0).plan_id
    p2 = a.detect(proposal(trade("A2"), pid="P2"), 0).plan_id
    cancelled = a.set_kill_switch(True, 3, "operator:ops", "runaway")
    assert [o.plan_id for o in cancelled] == [p1, p2] and all(o.state is PlanState.CANCELLED for o in cancelled)
    assert approve(a, p1, 4).refusal is RefusalCode.KILL_SWITCH
    assert a.submit(p2, 4).refusal is RefusalCode.KILL_SWITCH
    assert a.detect(proposal(trade("A3"), pid="P3"), 5).refusal is RefusalCode.KILL_SWITCH
    assert port.sent == []
    a.set_kill_switch(False, 6, "operator:ops")
    assert approve(a, p1, 7).refusal is RefusalCode.NOT_PENDING  # a cancelled plan stays cancelled
    p4 = a.detect(proposal(trade("A4"), pid="P4"), 8).plan_id
    assert approve(a, p4, 9).ok and len(port.sent) == 1
    assert [s.name for s in a.steps.steps if s.name.startswith("kill_switch")] == ["kill_switch_on", "kill_switch_off"]


def test_a_failing_port_ends_the_plan_as_failed_and_is_recorded():
    a, port = agent()
    port.fail = True
    pid = a.detect(proposal(trade("A1")), 0).plan_id
    out = approve(a, pid, 1)
    assert out.state is PlanState.FAILED and "ConnectionError" in out.problem
    assert a.steps.steps[-1].name == "submit_failed"


def test_bad_configuration_and_bad_proposals_are_refused_naming_the_field():
    with pytest.raises(ValueError, match=r"HardLimits.max_day_notional"):
        HardLimits(1, 1, 0)
    with pytest.raises(ValueError, match=r"AgentConfig.policy"):
        AgentConfig(limits(), 10, "no_such_policy")
    with pytest.raises(ValueError, match=r"AgentConfig.approval_timeout_ns"):
        AgentConfig(limits(), 0)
    a, _ = agent()
    assert a.detect(proposal(pid="EMPTY"), 0).refusal is RefusalCode.EMPTY_PROPOSAL
    a2, _ = agent()
    a2._price_of = lambda symbol: 0  # a price source that has nothing
    out = a2.detect(proposal(trade("A1")), 0)
    assert out.refusal is RefusalCode.BAD_PROPOSAL and "price of AAPL" in out.problem
