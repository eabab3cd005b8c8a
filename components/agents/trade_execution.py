"""The trade-execution agent (seed section 18A): proposal -> plan -> blocks -> approval -> submission.

The loop is explicit steps, each a method that returns what it decided (``AgentOutcome``) and
writes its steps to the hash-chained ``StepLog``:

1. ``detect(proposal, now)``: a proposal (or a drift signal turned into one by the
   ``PortfolioAdvisorAgent``) arrives (observation);
2. plan: the trade list, priced (a tool call to ``price_of`` for unpriced trades);
3. assemble: one block order per symbol and side with its allocation statement
   (``components.agents.plan``), checked against the hard limits (``components.agents.limits``);
4. request approval from the plan's advisor and wait (state ``PENDING_APPROVAL``, until
   ``approval_timeout_ns``);
5. ``decide(event)``: an ``ApprovalEvent`` naming exactly this plan (``plan_id`` *and*
   ``plan_hash``) from the plan's advisor, in time, approves it; a rejection rejects it;
6. ``submit(plan_id, now)``: only an approved plan whose approval event is recorded, with the kill
   switch off and the limits still holding, is sent through the ``BlockOrderPort`` (the platform's
   normal order entry: ``SubmitBlock`` -> validation, entitlement, pre-trade risk), block by block.

Gates that cannot be bypassed: ``submit`` is the one place the port is called, and it checks the
recorded approval itself (``decide`` calls it, it does not skip it); ``set_kill_switch(True)``
cancels every plan not yet submitted and every later ``detect``, ``decide`` and ``submit`` is
refused until the switch is cleared. A refusal is data (``RefusalCode`` plus words).

Pure domain code: no clock (every call is given ``now_ns``), no I/O, ids from an ``IdSource``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable, Protocol

from ..blocks import get_policy
from ..domain.commands import SubmitBlock
from ..portfolio.proposals import RebalanceProposal
from ..ports import IdSource
from .limits import HardLimits, LimitRefusal, Usage, check
from .plan import TradePlan, assemble
from .steps import StepKind, StepLog

NS_PER_DAY = 86_400 * 1_000_000_000


class BlockOrderPort(Protocol):
    """Where approved blocks go: the platform's order entry (twin: the advisor's link to the gateway;
    live: the runtime's dispatch). Returns what the platform answered (an outcome), or None when the
    answer comes later (the twin's network)."""

    def submit_block(self, command: SubmitBlock) -> Any: ...


class PlanState(str, Enum):
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    """Approved, not yet submitted (only while ``submit`` runs, or when the limits refused it then)."""
    SUBMITTED = "submitted"
    REJECTED = "rejected"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    """Cancelled by the kill switch before it was submitted."""
    REFUSED = "refused"
    """Refused by a hard limit (at planning or at submission)."""
    FAILED = "failed"
    """The port raised while submitting (blocks before the failing one were sent)."""


TERMINAL = frozenset({PlanState.SUBMITTED, PlanState.REJECTED, PlanState.EXPIRED, PlanState.CANCELLED,
                      PlanState.REFUSED, PlanState.FAILED})


class Verdict(str, Enum):
    APPROVE = "approve"
    REJECT = "reject"


class RefusalCode(str, Enum):
    """Why the agent refused to go on (the limit codes are ``LimitCode``'s values)."""

    KILL_SWITCH = "AGENT_KILL_SWITCH_ON"
    EMPTY_PROPOSAL = "EMPTY_PROPOSAL"
    BAD_PROPOSAL = "BAD_PROPOSAL"
    UNKNOWN_PLAN = "UNKNOWN_PLAN"
    HASH_MISMATCH = "PLAN_HASH_MISMATCH"
    WRONG_APPROVER = "APPROVER_IS_NOT_THE_PLAN_ADVISOR"
    NOT_PENDING = "PLAN_NOT_PENDING"
    APPROVAL_EXPIRED = "APPROVAL_EXPIRED"
    NO_APPROVAL = "NO_APPROVAL_EVENT"
    PER_ORDER = "NOTIONAL_EXCEEDS_MAX_PER_ORDER"
    PER_ACCOUNT = "NOTIONAL_EXCEEDS_MAX_PER_ACCOUNT"
    PER_DAY = "NOTIONAL_EXCEEDS_MAX_PER_DAY"


@dataclass(frozen=True, slots=True)
class ApprovalEvent:
    """An advisor's answer to an approval request: for ``plan_id`` with hash ``plan_hash``, at ``at_ns``."""

    plan_id: str
    plan_hash: str
    approver: str
    verdict: Verdict
    at_ns: int
    reason: str = ""

    def to_record(self) -> dict[str, Any]:
        return {"plan_id": self.plan_id, "plan_hash": self.plan_hash, "approver": self.approver,
                "verdict": self.verdict.value, "at_ns": self.at_ns, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class AgentConfig:
    """The agent's configuration: hard limits, the approval window, the allocation policy, the switch."""

    limits: HardLimits
    approval_timeout_ns: int = 30 * 60 * 1_000_000_000
    """How long a plan waits for its advisor before it expires. Default 30 minutes."""
    policy: str = "pro_rata"
    """Allocation policy of the blocks (``components.blocks.POLICIES``). Default pro_rata."""
    kill_switch: bool = False
    """The switch at start-up (live mode's flag; the twin's comes from its control plane)."""

    def __post_init__(self) -> None:
        if not isinstance(self.limits, HardLimits):
            raise ValueError(f"AgentConfig.limits: must be HardLimits, got {type(self.limits).__name__}")
        if type(self.approval_timeout_ns) is not int or self.approval_timeout_ns <= 0:
            raise ValueError(f"AgentConfig.approval_timeout_ns: must be a positive int, got {self.approval_timeout_ns!r}")
        try:
            get_policy(self.policy)
        except (KeyError, ValueError):
            raise ValueError(f"AgentConfig.policy: unknown allocation policy {self.policy!r}") from None


@dataclass(frozen=True, slots=True)
class AgentOutcome:
    """What one call decided: the plan's state after it, or the refusal and why."""

    plan_id: str
    state: PlanState | None
    refusal: RefusalCode | None = None
    problem: str = ""
    submitted: tuple[str, ...] = ()
    """Block refs sent to the port by this call."""

    @property
    def ok(self) -> bool:
        return self.refusal is None


@dataclass
class TrackedPlan:
    """A plan and where it stands (the agent's own state; the step log is the record)."""

    plan: TradePlan
    state: PlanState
    requested_ns: int
    expires_ns: int
    approval: ApprovalEvent | None = None
    refusal: str = ""
    sent: list[str] = field(default_factory=list)

    def to_record(self) -> dict[str, Any]:
        return {**self.plan.to_record(), "plan_hash": self.plan.plan_hash, "state": self.state.value,
                "requested_ns": self.requested_ns, "expires_ns": self.expires_ns, "refusal": self.refusal,
                "notional": self.plan.notional, "submitted_blocks": list(self.sent),
                "approval": None if self.approval is None else self.approval.to_record()}


def _utc_day(now_ns: int) -> int:
    return now_ns // NS_PER_DAY


class TradeExecutionAgent:
    """The agent (see the module docstring). ``port`` is the only way out; ``steps`` the record."""

    def __init__(self, config: AgentConfig, port: BlockOrderPort, ids: IdSource,
                 price_of: Callable[[str], int], steps: StepLog | None = None,
                 day_of: Callable[[int], int] = _utc_day, id_prefix: str = "PLAN") -> None:
        self.config = config
        self._port = port
        self._ids = ids
        self._price_of = price_of
        self._day_of = day_of
        self._prefix = id_prefix
        self.steps = steps if steps is not None else StepLog()
        self.plans: dict[str, TrackedPlan] = {}
        self.killed = config.kill_switch
        self._usage = Usage()

    # -- queries ----------------------------------------------------------------------------------
    def pending(self) -> tuple[TrackedPlan, ...]:
        """Plans waiting for their advisor, oldest first."""
        return tuple(t for t in self.plans.values() if t.state is PlanState.PENDING_APPROVAL)

    def funnel(self) -> dict[str, int]:
        """For the report's agent funnel: plans proposed, approved by their advisor (an approval event
        accepted), then how many are in each state (``submitted`` is executed: sent to the platform)."""
        counts = {s.value: 0 for s in PlanState if s is not PlanState.APPROVED}  # transient: never at rest
        for t in self.plans.values():
            counts[t.state.value] = counts.get(t.state.value, 0) + 1
        approved = sum(1 for t in self.plans.values() if t.approval is not None and t.approval.verdict is Verdict.APPROVE)
        return {"proposed": len(self.plans), "approved": approved, **counts}

    # -- 1-4: detect, plan, assemble, request approval --------------------------------------------
    def detect(self, proposal: RebalanceProposal, now_ns: int) -> AgentOutcome:
        """A proposal arrives: plan it, assemble its blocks, check the limits, ask for approval."""
        log = self.steps
        log.append(now_ns, StepKind.OBSERVATION, "proposal_received", "", proposal_id=proposal.proposal_id,
                   household_id=proposal.household_id, advisor_id=proposal.advisor_id, trades=len(proposal.trades))
        if self.killed:
            log.append(now_ns, StepKind.DECISION, "refused", "", proposal_id=proposal.proposal_id,
                       code=RefusalCode.KILL_SWITCH)
            return AgentOutcome("", None, RefusalCode.KILL_SWITCH, "the kill switch is on")
        if not proposal.trades:
            log.append(now_ns, StepKind.DECISION, "refused", "", proposal_id=proposal.proposal_id,
                       code=RefusalCode.EMPTY_PROPOSAL)
            return AgentOutcome("", None, RefusalCode.EMPTY_PROPOSAL, "the proposal has no trades")
        plan_id = self._ids.next_id(self._prefix)
        log.append(now_ns, StepKind.PLAN, "trade_list", plan_id, proposal_id=proposal.proposal_id,
                   trades=[[t.account_id, t.symbol, t.side.value, t.quantity, t.reason.value] for t in proposal.trades])
        try:
            plan = assemble(proposal, plan_id, now_ns, lambda symbol: self._priced(symbol, plan_id, now_ns),
                            self.config.policy)
        except ValueError as exc:
            log.append(now_ns, StepKind.DECISION, "refused", plan_id, code=RefusalCode.BAD_PROPOSAL, problem=str(exc))
            return AgentOutcome(plan_id, None, RefusalCode.BAD_PROPOSAL, str(exc))
        log.append(now_ns, StepKind.PLAN, "assemble_blocks", plan_id, plan_hash=plan.plan_hash,
                   blocks=[b.to_record() for b in plan.blocks], notional=plan.notional)
        tracked = TrackedPlan(plan, PlanState.PENDING_APPROVAL, now_ns, now_ns + self.config.approval_timeout_ns)
        self.plans[plan_id] = tracked
        breach = check(self.config.limits, plan.notionals(), self._usage.on(self._day_of(now_ns)))
        if breach is not None:
            return self._refuse_limit(tracked, breach, now_ns)
        log.append(now_ns, StepKind.DECISION, "approval_requested", plan_id, plan_hash=plan.plan_hash,
                   advisor_id=plan.advisor_id, expires_ns=tracked.expires_ns)
        return AgentOutcome(plan_id, tracked.state)

    def _priced(self, symbol: str, plan_id: str, now_ns: int) -> int:
        self.steps.append(now_ns, StepKind.TOOL_CALL, "reference_price", plan_id, symbol=symbol)
        price = self._price_of(symbol)
        self.steps.append(now_ns, StepKind.OBSERVATION, "reference_price", plan_id, symbol=symbol,
                          price=price if type(price) is int else repr(price))
        return price

    def _refuse_limit(self, tracked: TrackedPlan, breach: LimitRefusal, now_ns: int) -> AgentOutcome:
        tracked.state, tracked.refusal = PlanState.REFUSED, breach.describe()
        self.steps.append(now_ns, StepKind.DECISION, "refused", tracked.plan.plan_id, code=breach.code,
                          subject=breach.subject, limit=breach.limit, value=breach.value)
        return AgentOutcome(tracked.plan.plan_id, tracked.state, RefusalCode(breach.code.value), breach.describe())

    # -- 5: the approval event --------------------------------------------------------------------
    def decide(self, event: ApprovalEvent) -> AgentOutcome:
        """An advisor's answer. Approval of exactly a pending plan, by its advisor, in time, with the
        switch off: the plan is approved and submitted (``submit``). Anything else is refused."""
        now, log = event.at_ns, self.steps
        log.append(now, StepKind.OBSERVATION, "approval_event", event.plan_id, event=event.to_record())
        tracked = self.plans.get(event.plan_id)
        refusal = self._approval_problem(event, tracked)
        if refusal is not None:
            code, problem = refusal
            if code is RefusalCode.APPROVAL_EXPIRED and tracked is not None:
                self._expire(tracked, now)
            log.append(now, StepKind.DECISION, "approval_refused", event.plan_id, code=code, problem=problem)
            return AgentOutcome(event.plan_id, None if tracked is None else tracked.state, code, problem)
        assert tracked is not None
        tracked.approval = event
        if event.verdict is Verdict.REJECT:
            tracked.state = PlanState.REJECTED
            log.append(now, StepKind.DECISION, "rejected", event.plan_id, approver=event.approver, reason=event.reason)
            return AgentOutcome(event.plan_id, tracked.state)
        tracked.state = PlanState.APPROVED
        log.append(now, StepKind.DECISION, "approved", event.plan_id, approver=event.approver,
                   plan_hash=event.plan_hash)
        return self.submit(event.plan_id, now)

    def _approval_problem(self, event: ApprovalEvent, tracked: TrackedPlan | None) -> tuple[RefusalCode, str] | None:
        if self.killed:
            return RefusalCode.KILL_SWITCH, "the kill switch is on"
        if tracked is None:
            return RefusalCode.UNKNOWN_PLAN, f"no plan {event.plan_id!r}"
        if tracked.state is not PlanState.PENDING_APPROVAL:
            return RefusalCode.NOT_PENDING, f"plan {event.plan_id} is {tracked.state.value}"
        if event.plan_hash != tracked.plan.plan_hash:
            return RefusalCode.HASH_MISMATCH, "the event names another version of the plan"
        if event.approver != tracked.plan.advisor_id:
            return RefusalCode.WRONG_APPROVER, f"only {tracked.plan.advisor_id} may answer for this plan"
        if event.at_ns > tracked.expires_ns:
            return RefusalCode.APPROVAL_EXPIRED, f"the request expired at {tracked.expires_ns}"
        return None

    # -- 6: the one way out -----------------------------------------------------------------------
    def submit(self, plan_id: str, now_ns: int) -> AgentOutcome:
        """Send an approved plan's blocks through the port. Refused (nothing sent) unless the plan is
        APPROVED with its approval event recorded for this very plan hash, the switch is off, the
        approval is not later than ``now_ns`` and the day's limits still hold."""
        log = self.steps
        tracked = self.plans.get(plan_id)
        problem = self._submit_problem(tracked, plan_id, now_ns)
        if problem is not None:
            code, words = problem
            log.append(now_ns, StepKind.DECISION, "submit_refused", plan_id, code=code, problem=words)
            return AgentOutcome(plan_id, None if tracked is None else tracked.state, code, words)
        assert tracked is not None
        plan = tracked.plan
        usage = self._usage = self._usage.on(self._day_of(now_ns))
        breach = check(self.config.limits, plan.notionals(), usage)
        if breach is not None:
            return self._refuse_limit(tracked, breach, now_ns)
        usage.add(plan.notionals())  # counted before sending: a failure half-way must not free the room
        for block in plan.blocks:
            command = block.command(now_ns)
            log.append(now_ns, StepKind.TOOL_CALL, "submit_block", plan_id, block_ref=block.block_ref,
                       symbol=command.symbol, side=command.side, lines=[list(x) for x in command.lines])
            try:
                answer = self._port.submit_block(command)
            except Exception as exc:  # the port's failure is an observation and ends the plan, never a retry
                tracked.state, tracked.refusal = PlanState.FAILED, f"{type(exc).__name__}: {exc}"
                log.append(now_ns, StepKind.OBSERVATION, "submit_failed", plan_id, block_ref=block.block_ref,
                           error=tracked.refusal)
                return AgentOutcome(plan_id, tracked.state, None, tracked.refusal, tuple(tracked.sent))
            tracked.sent.append(block.block_ref)
            log.append(now_ns, StepKind.OBSERVATION, "platform_answer", plan_id, block_ref=block.block_ref,
                       answer="sent" if answer is None else type(answer).__name__)
        tracked.state = PlanState.SUBMITTED
        log.append(now_ns, StepKind.DECISION, "submitted", plan_id, blocks=list(tracked.sent), notional=plan.notional)
        return AgentOutcome(plan_id, tracked.state, submitted=tuple(tracked.sent))

    def _submit_problem(self, tracked: TrackedPlan | None, plan_id: str, now_ns: int) -> tuple[RefusalCode, str] | None:
        if self.killed:
            return RefusalCode.KILL_SWITCH, "the kill switch is on"
        if tracked is None:
            return RefusalCode.UNKNOWN_PLAN, f"no plan {plan_id!r}"
        if tracked.state is not PlanState.APPROVED:
            return RefusalCode.NOT_PENDING if tracked.state in TERMINAL else RefusalCode.NO_APPROVAL, \
                f"plan {plan_id} is {tracked.state.value}, not approved"
        approval = tracked.approval
        if (approval is None or approval.verdict is not Verdict.APPROVE or approval.plan_id != plan_id
                or approval.plan_hash != tracked.plan.plan_hash or approval.at_ns > now_ns):
            return RefusalCode.NO_APPROVAL, f"no approval event recorded for plan {plan_id} as planned"
        return None

    # -- waiting: expiry and the kill switch ------------------------------------------------------
    def expire(self, now_ns: int) -> tuple[AgentOutcome, ...]:
        """Expire every plan whose approval window has passed."""
        return tuple(self._expire(t, now_ns) for t in self.pending() if t.expires_ns < now_ns)

    def _expire(self, tracked: TrackedPlan, now_ns: int) -> AgentOutcome:
        tracked.state = PlanState.EXPIRED
        self.steps.append(now_ns, StepKind.DECISION, "expired", tracked.plan.plan_id, expires_ns=tracked.expires_ns)
        return AgentOutcome(tracked.plan.plan_id, tracked.state)

    def set_kill_switch(self, on: bool, now_ns: int, actor: str, reason: str = "") -> tuple[AgentOutcome, ...]:
        """Set or clear the kill switch. Setting it cancels every plan not yet submitted, at once; the
        outcomes are those cancellations. Setting it to what it already is records nothing."""
        if on == self.killed:
            return ()
        self.killed = on
        self.steps.append(now_ns, StepKind.DECISION, "kill_switch_on" if on else "kill_switch_off", "",
                          actor=actor, reason=reason)
        if not on:
            return ()
        cancelled = []
        for tracked in self.plans.values():
            if tracked.state in (PlanState.PENDING_APPROVAL, PlanState.APPROVED):
                tracked.state = PlanState.CANCELLED
                self.steps.append(now_ns, StepKind.DECISION, "cancelled", tracked.plan.plan_id, code=RefusalCode.KILL_SWITCH)
                cancelled.append(AgentOutcome(tracked.plan.plan_id, tracked.state))
        return tuple(cancelled)
