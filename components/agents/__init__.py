"""Agents with human gates (issue 21, seed section 18A).

``TradeExecutionAgent`` (``trade_execution``) turns a rebalancing proposal into block orders and
submits them through the platform's normal order entry only after an approval event for exactly
that plan, within hard limits (``limits``), and never while its kill switch is on.
``PortfolioAdvisorAgent`` (``advisor``) only recommends. Every step of both is written to a
hash-chained ``StepLog`` (``steps``). Pure domain code: no clock, no I/O; time is passed in.
"""

from .advisor import DriftSignal, PortfolioAdvisorAgent
from .limits import HardLimits, LimitCode, LimitRefusal
from .plan import PlannedBlock, TradePlan, assemble
from .steps import Step, StepKind, StepLog, verify_records
from .trade_execution import (AgentConfig, AgentOutcome, ApprovalEvent, BlockOrderPort, PlanState, RefusalCode,
                              TrackedPlan, TradeExecutionAgent, Verdict)

__all__ = [
    "DriftSignal", "PortfolioAdvisorAgent", "HardLimits", "LimitCode", "LimitRefusal", "PlannedBlock", "TradePlan",
    "assemble", "Step", "StepKind", "StepLog", "verify_records", "AgentConfig", "AgentOutcome", "ApprovalEvent",
    "BlockOrderPort", "PlanState", "RefusalCode", "TrackedPlan", "TradeExecutionAgent", "Verdict",
]
