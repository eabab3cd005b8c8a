"""The trade-execution agent over HTTP in live mode: the explicit approval API and the kill switch.

``agent_router(advisor, operator, member, live, read_json, respond)`` builds the routes
(``http_api.create_app`` mounts them with its role dependencies):

* ``POST /v1/agent/proposals`` (advisors): a rebalancing proposal for the advisor's own accounts;
  the agent plans it into block orders with allocation statements, checks its hard limits and
  asks the advisor for approval. 201 with the plan (its ``plan_hash``, its state: pending, or
  refused by a limit and why); 403 for an account the advisor may not trade; 409 while the kill
  switch is on; 422 naming the field.
* ``GET /v1/agent/plans`` (advisors: their own plans; operators: all): the plans, pending first.
* ``POST /v1/agent/plans/{plan_id}/approve`` and ``/reject`` (advisors) with
  ``{"plan_hash": ..., "reason": ...}``: the approval *event*. The approver is the token's
  advisor, never a body field; the hash must be the plan's, so an approval is for exactly the plan
  the advisor saw. An approval submits the plan's blocks at once through the platform's normal
  order path (``SubmitBlock`` dispatched into the live runtime: validation, entitlement, risk).
  404 unknown plan, 403 another advisor's plan, 409 not pending / other hash / expired / kill
  switch on, 422 a hard limit refused it at submission.
* ``GET /v1/agent/kill-switch`` (any role) and ``POST /v1/agent/kill-switch`` (operators) with
  ``{"on": true|false, "reason": ...}``: live mode has no control plane, so the switch is the
  agent's own flag (``AgentConfig.kill_switch``, off at start) set through this call. Setting it
  cancels every pending plan at once; nothing is submitted while it is on.
* ``GET /v1/agent/steps`` (operators): the hash-chained step log, its head and whether it verifies.

The agent is the same code as the twin's (``components.agents``). Faked for now, said in
docs/trade_execution_agent.md: live.toml has no ``[agent]`` section (the limits are
``DEFAULT_LIMITS``), and the plans and steps live in memory (each new step is also appended to
``agent_steps.jsonl`` in the run folder, but a restart does not rebuild pending plans from it).
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any, Callable

from fastapi import APIRouter, Depends, Request

from components.agents import (AgentConfig, ApprovalEvent, HardLimits, PlanState, RefusalCode,
                               TradeExecutionAgent, Verdict)
from components.domain.commands import SubmitBlock
from components.domain.money import to_units
from components.domain.orders import Side
from components.portfolio.proposals import ProposalReason, ProposedTrade, RebalanceProposal

from .api_schema import ORDER_REQUEST_SCHEMA, problems
from .service import Reply, problem

log = logging.getLogger("live")

DEFAULT_LIMITS = HardLimits(to_units("150000"), to_units("250000"), to_units("2000000"))
"""The agent's hard limits in live mode until live.toml has an ``[agent]`` section."""
MAX_TRADES = 100

_ORDER = ORDER_REQUEST_SCHEMA["properties"]
_ID = {"type": "string", "pattern": _ORDER["account_id"]["pattern"], "maxLength": 40}
_HASH = {"type": "string", "pattern": "^[0-9a-f]{64}$", "description": "The plan's plan_hash, as listed"}
# The parser checks what the published schema says, so a body the schema refuses is refused here too.
_ID_RE, _HASH_RE = re.compile(_ID["pattern"]), re.compile(_HASH["pattern"])
_PRICE_RE = re.compile(_ORDER["limit_price"]["pattern"])
PROPOSAL_REQUEST_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False, "required": ["proposal_id", "trades"],
    "properties": {
        "proposal_id": {**_ID, "description": "The proposal's id (from the portfolio engine)"},
        "household_id": {**_ID, "description": "The household the proposal is for"},
        "summary": {"type": "string", "maxLength": 2000, "description": "Why, for the advisor"},
        "trades": {"type": "array", "minItems": 1, "maxItems": MAX_TRADES, "items": {
            "type": "object", "additionalProperties": False, "required": ["account_id", "symbol", "side", "quantity"],
            "properties": {
                "account_id": _ORDER["account_id"], "symbol": _ORDER["symbol"], "side": _ORDER["side"],
                "quantity": _ORDER["quantity"],
                "reason": {"type": "string", "enum": [r.value for r in ProposalReason]},
                "explanation": {"type": "string", "maxLength": 500},
                "est_price": {**_ORDER["limit_price"], "type": "string",
                              "description": "Decimal dollars the trade was costed at; the reference price if absent"},
            }}},
    },
}
DECISION_REQUEST_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False, "required": ["plan_hash"],
    "properties": {"plan_hash": _HASH, "reason": {"type": "string", "maxLength": 2000}},
}
KILL_SWITCH_REQUEST_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False, "required": ["on"],
    "properties": {"on": {"type": "boolean", "description": "true stops the agent and cancels pending plans"},
                   "reason": {"type": "string", "maxLength": 500}},
}

_STATUS = {RefusalCode.UNKNOWN_PLAN: 404, RefusalCode.WRONG_APPROVER: 403, RefusalCode.HASH_MISMATCH: 409,
           RefusalCode.NOT_PENDING: 409, RefusalCode.APPROVAL_EXPIRED: 409, RefusalCode.KILL_SWITCH: 409,
           RefusalCode.NO_APPROVAL: 409}


class LiveOrderPort:
    """The agent's way to the platform in live mode: ``SubmitBlock`` dispatched into the runtime, the
    same command ``POST /v1/blocks`` sends; the platform's outcome is returned to the agent."""

    def __init__(self, live: Any) -> None:
        self._live = live

    def submit_block(self, command: SubmitBlock) -> Any:
        runtime = self._live.runtime
        with runtime.atomic():
            return runtime.dispatch(command)


class AgentDesk:
    """The live agent, its expiry on every call, and its step log written through to the run folder."""

    def __init__(self, live: Any, config: AgentConfig | None = None) -> None:
        self._live = live
        self.agent = TradeExecutionAgent(config or AgentConfig(DEFAULT_LIMITS), LiveOrderPort(live), live.ids,
                                         live.market_data.reference_price)
        self._written = 0
        self._path = Path(live.run_dir) / "agent_steps.jsonl"

    def now(self) -> int:
        """The wall clock (never before the last step: the step log's time only moves forward, and a wall
        clock may be stepped back); plans past their window expire first."""
        steps = self.agent.steps.steps
        now = max(self._live.clock.now_ns(), steps[-1].at_ns if steps else 0)
        self.agent.expire(now)
        return now

    def flush(self) -> None:
        """Append the steps made since the last flush to ``agent_steps.jsonl`` (the audit copy)."""
        steps = self.agent.steps.steps[self._written:]
        if not steps:
            return
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            with self._path.open("a", encoding="utf-8") as out:
                out.writelines(json.dumps(s.to_record(), sort_keys=True, separators=(",", ":")) + "\n" for s in steps)
            self._written += len(steps)
        except OSError as exc:  # the in-memory log stays the record; the next call retries the write
            log.warning("agent: steps not written to %s: %s", self._path, exc)


def parse_proposal(body: Any, advisor_id: str, known_symbol: Callable[[str], bool],
                   as_of_ns: int) -> RebalanceProposal | list:
    """The proposal in ``body`` for ``advisor_id`` as of ``as_of_ns``, or the (field, problem) list of
    what is wrong."""
    if not isinstance(body, dict):
        return [("body", "must be a JSON object")]
    errors: list[tuple[str, str]] = [(k, "unknown field") for k in body if k not in PROPOSAL_REQUEST_SCHEMA["properties"]]
    pid, household, summary = body.get("proposal_id"), body.get("household_id", ""), body.get("summary", "")
    if not isinstance(pid, str) or len(pid) > 40 or not _ID_RE.fullmatch(pid):
        errors.append(("proposal_id", "required: an id of at most 40 letters, digits or ._:-"))
    if "household_id" in body and (not isinstance(household, str) or len(household) > 40
                                   or not _ID_RE.fullmatch(household)):
        errors.append(("household_id", "must be an id of at most 40 letters, digits or ._:-"))
    if not isinstance(summary, str) or len(summary) > 2000:
        errors.append(("summary", "must be text of at most 2000 characters"))
    raw = body.get("trades")
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_TRADES:
        return errors + [("trades", f"required: a list of 1 to {MAX_TRADES} trades")]
    trades = []
    for i, t in enumerate(raw):
        where = f"trades[{i}]"
        if not isinstance(t, dict):
            errors.append((where, "must be an object"))
            continue
        allowed = PROPOSAL_REQUEST_SCHEMA["properties"]["trades"]["items"]["properties"]
        errors += [(f"{where}.{k}", "unknown field") for k in t if k not in allowed]
        account, symbol, side, qty = t.get("account_id"), t.get("symbol"), t.get("side"), t.get("quantity")
        if type(qty) is float and qty.is_integer():
            qty = int(qty)  # JSON's 100.0 is the integer 100, as JSON Schema's "integer" and the order API say
        reason, words, price = t.get("reason", "drift"), t.get("explanation", ""), t.get("est_price")
        bad = len(errors)
        if not isinstance(account, str) or len(account) > 64 or not _ID_RE.fullmatch(account):
            errors.append((f"{where}.account_id", "required: an account id (letters, digits or ._:-)"))
        if not isinstance(symbol, str) or not known_symbol(symbol):
            errors.append((f"{where}.symbol", f"not a configured symbol: {symbol!r}"))
        if side not in ("BUY", "SELL"):
            errors.append((f"{where}.side", "must be BUY or SELL"))
        if type(qty) is not int or not 1 <= qty <= 1_000_000:
            errors.append((f"{where}.quantity", "must be an integer from 1 to 1000000"))
        if not isinstance(reason, str) or reason not in {r.value for r in ProposalReason}:
            errors.append((f"{where}.reason", f"must be one of {', '.join(r.value for r in ProposalReason)}"))
        if not isinstance(words, str) or len(words) > 500:
            errors.append((f"{where}.explanation", "must be text of at most 500 characters"))
        units = 0
        if "est_price" in t:
            if isinstance(price, str) and _PRICE_RE.fullmatch(price):
                units = to_units(price)
            else:
                errors.append((f"{where}.est_price", "must be decimal dollars as a string on a cent tick, "
                                                     "like \"190.25\""))
        if len(errors) == bad:
            trades.append(ProposedTrade(account, symbol, Side(side), qty, ProposalReason(reason), words, (), units))
    if errors:
        return errors
    return RebalanceProposal(pid, household or pid, advisor_id, as_of_ns, tuple(trades), summary)


def agent_router(advisor: Callable[..., Any], operator: Callable[..., Any], member: Callable[..., Any], live: Any,
                 read_json: Callable[[Request, int], Any], respond: Callable[[Reply], Any],
                 config: AgentConfig | None = None) -> APIRouter:
    """The agent routes; ``advisor``, ``operator`` and ``member`` (advisors and operators) are the app's
    role dependencies, ``read_json`` its body reader, ``respond`` its reply-to-response function."""
    router = APIRouter(prefix="/v1/agent", tags=["agent"])
    desk = AgentDesk(live, config)
    agent = desk.agent

    def done(reply: Reply) -> Any:
        desk.flush()
        return respond(reply)

    def refused(code: RefusalCode, words: str, field: str) -> Reply:
        status = _STATUS.get(code, 422)
        return problem(status, code.value.lower(), words, [(field, words)])

    @router.post("/proposals", status_code=201, summary="Hand the agent a rebalancing proposal (advisors)",
                 description="Planned into block orders with allocation statements, checked against the agent's "
                             "hard limits, then waiting for the advisor's approval (or refused by a limit, said in "
                             "the plan's state and refusal).",
                 responses={201: {"description": "The plan: pending approval, or refused by a hard limit"},
                            **problems(400, 401, 403, 409, 413, 415, 422, 429)},
                 openapi_extra={"requestBody": {"required": True, "content": {
                     "application/json": {"schema": PROPOSAL_REQUEST_SCHEMA}}}})
    async def propose(request: Request, who: Any = Depends(advisor)) -> Any:
        body = await read_json(request, live.config.max_body_bytes)
        now = desk.now()
        parsed = parse_proposal(body, who.advisor_id, live.symbols.__contains__, now)
        if isinstance(parsed, list):
            return done(problem(422, "invalid_proposal", "the proposal has invalid fields", parsed))
        denied = [(f"trades[{i}].account_id", "not entitled") for i, t in enumerate(parsed.trades)
                  if not live.accounts.entitled(who.advisor_id, t.account_id)]
        if denied:
            return done(problem(403, "forbidden", "the advisor is not entitled to every account", denied))
        outcome = agent.detect(parsed, now)
        if outcome.refusal is RefusalCode.KILL_SWITCH or outcome.plan_id not in agent.plans:
            return done(refused(outcome.refusal or RefusalCode.BAD_PROPOSAL, outcome.problem, "proposal"))
        log.info("agent plan %s advisor=%s state=%s", outcome.plan_id, who.advisor_id, outcome.state)
        return done(Reply(201, agent.plans[outcome.plan_id].to_record()))

    @router.get("/plans", summary="The agent's plans (advisors: their own; operators: all)",
                responses={200: {"description": "Plans, pending approval first"}, **problems(401, 403, 429)})
    async def plans(who: Any = Depends(member)) -> Any:
        desk.now()
        mine = [t for t in agent.plans.values() if who.role == "operator" or t.plan.advisor_id == who.advisor_id]
        mine.sort(key=lambda t: t.state is not PlanState.PENDING_APPROVAL)
        return done(Reply(200, {"plans": [t.to_record() for t in mine], "kill_switch": agent.killed}))

    async def decide(plan_id: str, request: Request, who: Any, verdict: Verdict) -> Any:
        body = await read_json(request, live.config.max_body_bytes)
        if not isinstance(body, dict):
            return done(problem(422, "invalid_request", "the body must be a JSON object", [("body", "not an object")]))
        errors = [(k, "unknown field") for k in body if k not in ("plan_hash", "reason")]
        plan_hash, reason = body.get("plan_hash"), body.get("reason", "")
        if not isinstance(plan_hash, str) or not _HASH_RE.fullmatch(plan_hash):
            errors.append(("plan_hash", "required: the plan's 64-hex-digit plan_hash"))
        if not isinstance(reason, str) or len(reason) > 2000:
            errors.append(("reason", "must be text of at most 2000 characters"))
        if errors:
            return done(problem(422, "invalid_request", "the decision has invalid fields", errors))
        outcome = agent.decide(ApprovalEvent(plan_id, plan_hash, who.advisor_id, verdict, desk.now(), reason))
        if outcome.refusal is not None:
            return done(refused(outcome.refusal, outcome.problem, "plan_hash" if outcome.refusal is
                                RefusalCode.HASH_MISMATCH else "plan_id"))
        log.info("agent plan %s %s by %s: %s", plan_id, verdict.value, who.advisor_id, outcome.state)
        return done(Reply(200, agent.plans[plan_id].to_record()))

    decision_doc = dict(
        responses={200: {"description": "The plan after the decision (submitted, or rejected)"},
                   **problems(400, 401, 403, 404, 409, 413, 415, 422, 429)},
        openapi_extra={"requestBody": {"required": True, "content": {
            "application/json": {"schema": DECISION_REQUEST_SCHEMA}}}})

    @router.post("/plans/{plan_id}/approve", summary="Approve a plan: its blocks are submitted (the plan's advisor)",
                 description="The approval event for exactly the plan with this plan_hash; the approver is the "
                             "token's advisor. The blocks go through the normal order path at once.", **decision_doc)
    async def approve(plan_id: str, request: Request, who: Any = Depends(advisor)) -> Any:
        return await decide(plan_id, request, who, Verdict.APPROVE)

    @router.post("/plans/{plan_id}/reject", summary="Reject a plan (the plan's advisor)", **decision_doc)
    async def reject(plan_id: str, request: Request, who: Any = Depends(advisor)) -> Any:
        return await decide(plan_id, request, who, Verdict.REJECT)

    @router.get("/kill-switch", summary="The agent's kill switch",
                responses={200: {"description": "on: the agent is stopped"}, **problems(401, 403, 429)})
    async def get_kill_switch(_who: Any = Depends(member)) -> Any:
        return done(Reply(200, {"on": agent.killed}))

    @router.post("/kill-switch", summary="Stop or restart the agent (operators)",
                 description="On: every pending plan is cancelled and nothing is submitted until it is off again.",
                 responses={200: {"description": "The switch before and after, and the plans cancelled"},
                            **problems(400, 401, 403, 413, 415, 422, 429)},
                 openapi_extra={"requestBody": {"required": True, "content": {
                     "application/json": {"schema": KILL_SWITCH_REQUEST_SCHEMA}}}})
    async def set_kill_switch(request: Request, who: Any = Depends(operator)) -> Any:
        body = await read_json(request, live.config.max_body_bytes)
        if not isinstance(body, dict):
            return done(problem(422, "invalid_request", "the body must be a JSON object", [("body", "not an object")]))
        errors = [(k, "unknown field") for k in body if k not in ("on", "reason")]
        on, reason = body.get("on"), body.get("reason", "")
        if not isinstance(on, bool):
            errors.append(("on", "required: true or false"))
        if not isinstance(reason, str) or len(reason) > 500:
            errors.append(("reason", "must be text of at most 500 characters"))
        if errors:
            return done(problem(422, "invalid_request", "the kill-switch request has invalid fields", errors))
        previous = agent.killed
        cancelled = agent.set_kill_switch(on, desk.now(), f"operator:{who.advisor_id}", reason)
        log.warning("agent kill switch %s -> %s by operator %s", previous, on, who.advisor_id)
        return done(Reply(200, {"on": agent.killed, "previous": previous,
                                "cancelled": [o.plan_id for o in cancelled]}))

    @router.get("/steps", summary="The agent's step log (operators)",
                responses={200: {"description": "Every step, the chain head and whether it verifies"},
                           **problems(401, 403, 429)})
    async def steps(_who: Any = Depends(operator)) -> Any:
        log_ = agent.steps
        return done(Reply(200, {"steps": [s.to_record() for s in log_.steps], "head": log_.head,
                                "verified": log_.verify().ok}))

    router.desk = desk  # type: ignore[attr-defined]  # create_app keeps it on app.state.agent_desk
    return router
