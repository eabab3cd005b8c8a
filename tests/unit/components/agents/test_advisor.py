"""The portfolio-advisor agent recommends and cannot trade: it is never given an order port."""

from __future__ import annotations

import inspect

from components.agents import DriftSignal, PortfolioAdvisorAgent, StepKind, StepLog
from tests.unit.components.agents.agent_kit import proposal, trade


def test_it_turns_a_signal_into_a_proposal_and_logs_what_it_saw_and_proposed():
    steps = StepLog()
    advisor = PortfolioAdvisorAgent(lambda s: proposal(trade("A1"), household=s.household_id), steps)
    got = advisor.on_signal(DriftSignal("HH-9", "ADV-1", 5, "AAPL 4% over target"), 5)
    assert got is not None and got.household_id == "HH-9"
    assert [(s.kind, s.name) for s in steps.steps] == [
        (StepKind.OBSERVATION, "drift_signal"), (StepKind.TOOL_CALL, "recommend"), (StepKind.DECISION, "recommended")]
    assert PortfolioAdvisorAgent(lambda s: None, steps).on_signal(DriftSignal("HH-1", "ADV-1", 6), 6) is None
    assert steps.steps[-1].name == "no_recommendation"


def test_it_has_no_way_to_submit_an_order():
    params = set(inspect.signature(PortfolioAdvisorAgent.__init__).parameters)
    assert params == {"self", "recommend", "steps"}  # no port can be handed to it
    assert PortfolioAdvisorAgent.__slots__ == ("_recommend", "steps")  # and none can be attached later
    advisor = PortfolioAdvisorAgent(lambda s: None, StepLog())
    try:
        advisor.port = object()  # type: ignore[attr-defined]
        attached = True
    except AttributeError:
        attached = False
    assert not attached
    public = {name for name in dir(advisor) if not name.startswith("_")}
    assert public == {"on_signal", "steps"}
