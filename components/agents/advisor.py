"""The portfolio-advisor agent: it recommends, and that is all it can do.

It turns a drift signal into a ``RebalanceProposal`` with a recommender it is given (the portfolio
engine's rebalancer, ``components.portfolio.rebalance``, as ``twin.advisor_agents`` wires it) and
logs what it saw and what it proposed. It is
*structurally* unable to trade: it is never given an order port, keeps no reference to one (its
``__slots__`` are the recommender and the step log), and its only output is a proposal, which goes
to the advisor and, through the ``TradeExecutionAgent``, to an approval request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..portfolio.proposals import RebalanceProposal
from .steps import StepKind, StepLog


@dataclass(frozen=True, slots=True)
class DriftSignal:
    """A household's portfolio has drifted (or needs attention) as of ``as_of_ns``."""

    household_id: str
    advisor_id: str
    as_of_ns: int
    detail: str = ""
    """What drifted, in words (the drift detector's explanation)."""


Recommender = Callable[[DriftSignal], "RebalanceProposal | None"]


class PortfolioAdvisorAgent:
    """Recommends only (see the module docstring)."""

    __slots__ = ("_recommend", "steps")

    def __init__(self, recommend: Recommender, steps: StepLog) -> None:
        self._recommend = recommend
        self.steps = steps

    def on_signal(self, signal: DriftSignal, now_ns: int) -> RebalanceProposal | None:
        """The proposal for ``signal`` (None when the recommender has nothing to propose), logged."""
        self.steps.append(now_ns, StepKind.OBSERVATION, "drift_signal", "", household_id=signal.household_id,
                          advisor_id=signal.advisor_id, detail=signal.detail)
        self.steps.append(now_ns, StepKind.TOOL_CALL, "recommend", "", household_id=signal.household_id)
        proposal = self._recommend(signal)
        if proposal is None:
            self.steps.append(now_ns, StepKind.DECISION, "no_recommendation", "", household_id=signal.household_id)
            return None
        self.steps.append(now_ns, StepKind.DECISION, "recommended", "", proposal_id=proposal.proposal_id,
                          household_id=proposal.household_id, trades=len(proposal.trades), summary=proposal.summary)
        return proposal
