"""Property: whatever order approvals, rejections, forged or late answers, expiries, kill-switch flips
and direct submission attempts come in, the trade-execution agent never sends a block without a
prior approval event for exactly that plan (its hash, its advisor), never while the switch is on
(the very next event after the switch is refused), never twice, and never past a hard limit."""

from __future__ import annotations

import pytest
from hypothesis import event as note_event, given, settings
from hypothesis import strategies as st

from components.agents import ApprovalEvent, PlanState, StepKind, Verdict
from tests.unit.components.agents.agent_kit import PRICES, agent, limits, proposal, trade

ACCOUNTS = ("A1", "A2", "A3")
DAY = 86_400 * 10**9
LIM = limits(order="40000", account="60000", day="100000")

MOSTLY = st.sampled_from((True, True, True, False))
PROPOSE = st.tuples(st.just("propose"), st.lists(st.sampled_from(ACCOUNTS), min_size=1, max_size=3),
                    st.sampled_from(("AAPL", "SPY")), st.integers(1, 60))
op = st.one_of(
    PROPOSE, PROPOSE,
    st.tuples(st.just("approve"), st.integers(0, 9), MOSTLY, MOSTLY),
    st.tuples(st.just("approve"), st.just(-1), MOSTLY, MOSTLY),  # the latest plan, the usual case
    st.tuples(st.just("reject"), st.integers(0, 9)),
    st.tuples(st.just("forge"), st.integers(0, 9), st.integers(0, 9)),
    st.tuples(st.just("submit"), st.integers(0, 9)),
    st.tuples(st.just("advance"), st.sampled_from((1, 50, 400, DAY))),
    st.tuples(st.just("kill"), st.sampled_from((False, False, True))),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(op, min_size=6, max_size=40))
def test_no_submission_without_a_matching_prior_approval_and_never_with_the_switch_on(ops):
    a, port = agent(lim=LIM, timeout_ns=300)
    now, killed, plan_ids = 0, False, []
    approvals: list[ApprovalEvent] = []  # every genuine approval the test delivered, in order
    for step in ops:
        now += 1
        before = len(port.sent)
        kind = step[0]
        if kind == "propose":
            _, accounts, symbol, qty = step
            out = a.detect(proposal(*(trade(acc, symbol, qty) for acc in accounts), pid=f"P{now}"), now)
            if out.plan_id and out.plan_id in a.plans:
                plan_ids.append(out.plan_id)
        elif kind in ("approve", "reject", "forge", "submit") and plan_ids:
            pid = plan_ids[step[1] % len(plan_ids)]
            plan = a.plans[pid].plan
            if kind == "approve":
                _, _, right_hash, right_advisor = step
                event = ApprovalEvent(pid, plan.plan_hash if right_hash else "f" * 64,
                                      "ADV-1" if right_advisor else "ADV-2", Verdict.APPROVE, now)
                if right_hash and right_advisor:
                    approvals.append(event)
                a.decide(event)
            elif kind == "reject":
                a.decide(ApprovalEvent(pid, plan.plan_hash, "ADV-1", Verdict.REJECT, now))
            elif kind == "forge":  # another plan's hash, or the right hash under another plan id
                other = a.plans[plan_ids[step[2] % len(plan_ids)]].plan
                if other.plan_hash != plan.plan_hash:
                    a.decide(ApprovalEvent(pid, other.plan_hash, "ADV-1", Verdict.APPROVE, now))
            else:
                a.submit(pid, now)
        elif kind == "advance":
            now += step[1]
            a.expire(now)
        elif kind == "kill":
            a.set_kill_switch(step[1], now, "operator:test")
            killed = step[1]
        sent_now = port.sent[before:]
        assert not (killed and sent_now), "a block went out with the kill switch on"
        assert all(command.submitted_ns == now and agent_killed is False for command, agent_killed in sent_now)
    note_event(f"blocks sent: {min(len(port.sent), 3)}+")  # the statistics show submissions do happen
    audit(a, port, approvals)


def audit(a, port, approvals: list[ApprovalEvent]) -> None:
    """Every block sent has a matching prior approval, went out once, within the limits, and the step
    record shows the approval before the tool call."""
    for command, _ in port.sent:
        pid = command.block_ref.rsplit("-B", 1)[0]
        plan = a.plans[pid].plan
        assert any(e.plan_id == pid and e.plan_hash == plan.plan_hash and e.at_ns <= command.submitted_ns
                   for e in approvals), f"{command.block_ref} sent without a matching approval"
    refs = [c.block_ref for c, _ in port.sent]
    assert len(refs) == len(set(refs)), "a block was sent twice"
    by_day: dict[int, int] = {}
    by_account: dict[tuple[int, str], int] = {}
    for command, _ in port.sent:
        d = command.submitted_ns // DAY
        for account, qty in command.lines:
            notional = qty * PRICES[command.symbol]
            assert notional <= LIM.max_order_notional
            by_day[d] = by_day.get(d, 0) + notional
            by_account[d, account] = by_account.get((d, account), 0) + notional
    assert all(v <= LIM.max_day_notional for v in by_day.values())
    assert all(v <= LIM.max_account_notional for v in by_account.values())
    # The record agrees: each submit_block tool call follows an `approved` decision naming that plan's hash.
    steps = a.steps.steps
    for i, s in enumerate(steps):
        if s.kind is StepKind.TOOL_CALL and s.name == "submit_block":
            h = a.plans[s.plan_id].plan.plan_hash
            assert any(p.name == "approved" and p.plan_id == s.plan_id and p.get("plan_hash") == h for p in steps[:i])
    assert a.steps.verify().ok
    assert sum(1 for t in a.plans.values() if t.state is PlanState.SUBMITTED) == len({r.rsplit("-B", 1)[0] for r in refs})


def test_the_audit_can_fail_a_block_sent_around_the_gate_is_caught():
    """The audit above is not vacuous: a block that reached the port without an approval trips it."""
    a, port = agent(lim=LIM)
    pid = a.detect(proposal(trade("A1")), 1).plan_id
    port.submit_block(a.plans[pid].plan.blocks[0].command(1))  # what a bypass of the gate would look like
    with pytest.raises(AssertionError, match="without a matching approval"):
        audit(a, port, [])
