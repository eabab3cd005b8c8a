"""The order API's operations, free of any web framework.

Each operation takes the caller (a ``Principal`` from a valid token) and
returns a ``Reply``: an HTTP status and a JSON-able body. Submissions go
through the platform like any message (``SubmitOrder`` into the live
runtime), so the twin and live share every rule; what became of one is the
outcome the runtime's ``dispatch`` returns (``components.domain.outcomes``:
accepted, replayed, refused and why), and the reply shows the order as it
stands once the runtime has run every follow-up, still holding the runtime.

Error bodies always name the problem: ``{"error": code, "detail": text,
"errors": [{"field", "problem"}]}``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Iterable

from components.domain.commands import CancelOrder, SetTradingState, SubmitOrder, member_client_order_id
from components.domain.lifecycle import WORKING
from components.domain.outcomes import (
    Accepted,
    BlockAccepted,
    CancelRequested,
    RefusalReason,
    Refused,
    Replayed,
    TradingStateSet,
)
from components.order_entry import OrderRequestError, parse_order_request

from live.venue_health import venue_health
from live.entrypoints.api_schema import parse_block_request
from live.bootstrap import LiveApp
from live.security import Principal
from live.views import block_json, dollars, iso_utc

log = logging.getLogger("live")


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def problem(status: int, error: str, detail: str, errors: Iterable[tuple[str, str]] = (),
            headers: dict[str, str] | None = None) -> Reply:
    body: dict[str, Any] = {"error": error, "detail": detail}
    listed = [{"field": f, "problem": p} for f, p in errors]
    if listed:
        body["errors"] = listed
    return Reply(status, body, headers or {})


def _advisor_mismatch(body: Any, who: Principal, what: str) -> Reply | None:
    """403 if the body names an advisor other than the token's (the body is checked further later)."""
    if isinstance(body, dict):
        claimed = body.get("advisor_id")
        if isinstance(claimed, str) and claimed != who.advisor_id:
            log.info("%s refused status=403 reason=advisor_mismatch advisor=%s", what, who.advisor_id)
            return problem(403, "forbidden", "advisor_id must be the advisor the token belongs to",
                           [("advisor_id", "is not the authenticated advisor")])
    return None


def _block_conflict(who: Principal) -> Reply:
    log.info("block refused status=409 advisor=%s", who.advisor_id)
    return problem(409, "conflict", "block_ref was already used for a different block",
                   [("block_ref", "already used with a different request body")])


def _block_refused(refusal: Refused, who: Principal) -> Reply:
    """What the platform refused although the request passed the checks above (a member's
    client_order_id reused by a single order, say): the first refusal, its fields named as in the block."""
    status = refusal.reason.status
    log.info("block refused status=%d advisor=%s fields=%s", status, who.advisor_id, ",".join(refusal.fields))
    if refusal.reason is RefusalReason.CONFLICT:
        return _block_conflict(who)
    names = {"client_order_id": "block_ref", "account_id": "members", "quantity": "members"}
    return problem(status, "refused", refusal.problem, [(names.get(f, f), refusal.problem) for f in refusal.fields])


def _internal(what: str) -> Reply:
    """The handler raised instead of deciding (the runtime recorded and logged why)."""
    return problem(500, "internal", f"the {what} could not be processed")


class OrderService:
    def __init__(self, live: LiveApp) -> None:
        self._live = live

    # -- orders -------------------------------------------------------------------
    def submit(self, body: Any, who: Principal) -> Reply:
        """``POST /v1/orders``: 201 new, 200 replay, 403/409/422 refused."""
        live = self._live
        mismatch = _advisor_mismatch(body, who, "order")
        if mismatch is not None:
            return mismatch
        runtime = live.runtime
        with runtime.atomic():
            outcome = runtime.dispatch(SubmitOrder(body, live.clock.now_ns()))
            if type(outcome) is Refused:
                return self._refused(body, outcome, who)
            if type(outcome) is not Accepted and type(outcome) is not Replayed:
                return _internal("order")
            replayed = type(outcome) is Replayed
            order = live.platform.oms.get(outcome.order_id)
            view = live.views.order_json(order)
        log.info("order %s order_id=%s account_id=%s advisor=%s status=%s", "replayed" if replayed else "accepted",
                 order.order_id, order.spec.account_id, who.advisor_id, view["status"])
        return Reply(200 if replayed else 201, view)

    def _refused(self, body: Any, refusal: Refused, who: Principal) -> Reply:
        account = body.get("account_id") if isinstance(body, dict) else None
        reason, status = refusal.reason, refusal.reason.status
        log.info("order refused status=%d account_id=%s advisor=%s fields=%s", status, account,
                 who.advisor_id, ",".join(map(str, refusal.fields)))
        if reason is RefusalReason.INVALID:
            try:
                parse_order_request(body, self._live.symbols.__contains__)
            except OrderRequestError as exc:  # the same validator, for field-by-field problems
                return problem(422, "invalid_order", "the order request has invalid fields",
                               [(e.field, e.problem) for e in exc.errors])
            return problem(422, "invalid_order", refusal.problem, [(f, "is invalid") for f in refusal.fields])
        if reason is RefusalReason.NOT_ENTITLED:
            return problem(403, "forbidden", "the advisor is not entitled to this account",
                           [("account_id", "not entitled")])
        if reason is RefusalReason.CONFLICT:
            return problem(409, "conflict", "client_order_id was already used for a different order",
                           [("client_order_id", "already used with a different request body")])
        return problem(status, "refused", refusal.problem, [(f, refusal.problem) for f in refusal.fields])

    def get(self, order_id: str, who: Principal) -> Reply:
        """``GET /v1/orders/{order_id}`` (an advisor's entitled accounts; an analyst's any)."""
        live = self._live
        with live.runtime.atomic():
            order = live.platform.oms.orders.get(order_id)
            if order is None:
                return problem(404, "not_found", "no such order", [("order_id", "unknown")])
            if who.role != "analyst" and not live.accounts.entitled(who.advisor_id, order.spec.account_id):
                return problem(403, "forbidden", "the advisor is not entitled to this order's account",
                               [("order_id", "belongs to an account the advisor may not see")])
            return Reply(200, live.views.order_json(order))

    def cancel(self, order_id: str, who: Principal) -> Reply:
        """``POST /v1/orders/{order_id}/cancel``: 202 once asked of the OMS (venues confirm later)."""
        live = self._live
        runtime = live.runtime
        with runtime.atomic():
            order = live.platform.oms.orders.get(order_id)
            if order is None:
                return problem(404, "not_found", "no such order", [("order_id", "unknown")])
            spec = order.spec
            if not live.accounts.entitled(who.advisor_id, spec.account_id):
                return problem(403, "forbidden", "the advisor is not entitled to this order's account",
                               [("order_id", "belongs to an account the advisor may not see")])
            if order.status not in WORKING:
                return problem(409, "not_cancelable", f"the order is already {order.status.value}",
                               [("order_id", f"status {order.status.value} cannot be canceled")])
            outcome = runtime.dispatch(CancelOrder(spec.account_id, spec.client_order_id, live.clock.now_ns()))
            if type(outcome) is Refused:  # not once the checks above passed; the platform has the last word
                return problem(outcome.reason.status, "refused", outcome.problem,
                               [(f, outcome.problem) for f in outcome.fields])
            if type(outcome) is not CancelRequested:
                return _internal("cancel")
            view = live.views.order_json(order)
        log.info("cancel requested order_id=%s account_id=%s advisor=%s", order_id, spec.account_id, who.advisor_id)
        return Reply(202, view)

    # -- blocks -------------------------------------------------------------------
    def submit_block(self, body: Any, who: Principal) -> Reply:
        """``POST /v1/blocks``: 201 new, 200 retry, 403 (advisor or a member account), 409 (block_ref reused), 422.

        Every check that can refuse the whole block runs before anything is
        submitted, so a refused block leaves no member orders behind: that
        includes a block_ref some but not all of whose member orders exist
        (the rest would open a second block under it).
        """
        live = self._live
        mismatch = _advisor_mismatch(body, who, "block")
        if mismatch is not None:
            return mismatch
        try:
            block = parse_block_request(body, live.symbols.__contains__)
        except OrderRequestError as exc:
            log.info("block refused status=422 advisor=%s fields=%s", who.advisor_id, ",".join(exc.fields))
            return problem(422, "invalid_block", "the block request has invalid fields",
                           [(e.field, e.problem) for e in exc.errors])
        denied = [(f"members[{i}].account_id", "not entitled") for i, (account, _) in enumerate(block.lines)
                  if not live.accounts.entitled(who.advisor_id, account)]
        if denied:
            log.info("block refused status=403 advisor=%s members=%d", who.advisor_id, len(denied))
            return problem(403, "forbidden", "the advisor is not entitled to every member account", denied)
        platform, runtime, entry = live.platform, live.runtime, live.platform.entry
        keys = [(account, member_client_order_id(block.block_ref, i)) for i, (account, _) in
                enumerate(block.lines, 1)]  # fmt: skip
        with runtime.atomic():
            known = [entry.lookup(*key) is not None for key in keys]
            if any(known) and not all(known):
                return _block_conflict(who)
            outcome = runtime.dispatch(block.command(live.clock.now_ns()))
            if type(outcome) is Refused:
                return _block_refused(outcome, who)
            if type(outcome) is not BlockAccepted:
                return _internal("block")
            retry = outcome.replayed
            if retry and outcome.policy != block.policy:
                return _block_conflict(who)
            members = [platform.oms.get(order_id) for order_id in outcome.order_ids]
            desk = platform.desk  # the parent once formed (it may have formed while the runtime drained)
            parent_id = next((p for p in map(desk.block_of_member, outcome.order_ids) if p), None)
            view = block_json(block.block_ref, block.advisor_id, block.symbol, block.side, outcome.policy,
                              parent_id, [live.views.order_json(o) for o in members])
        log.info("block %s advisor=%s members=%d parent_order_id=%s", "replayed" if retry else "accepted",
                 who.advisor_id, len(members), parent_id)
        return Reply(200 if retry else 201, view)


    # -- the kill switch -----------------------------------------------------------
    def trading_state(self) -> Reply:
        """``GET /v1/trading-state``: the kill switch's state (any valid token)."""
        live = self._live
        with live.runtime.atomic():
            return Reply(200, {"state": live.platform.risk.trading_state.value})

    def set_trading_state(self, body: Any, who: Principal) -> Reply:
        """``POST /v1/trading-state`` (operator tokens): 200 with the state before and after;
        422 naming ``state``, ``reason`` or an unknown field. The change is recorded
        (``TradingStateChanged``, actor ``operator:NAME``)."""
        live = self._live
        if not isinstance(body, dict):
            return problem(422, "invalid_request", "the body must be a JSON object", [("body", "not an object")])
        errors = [(key, "unknown field") for key in body if key not in ("state", "reason")]
        state, reason = body.get("state"), body.get("reason", "")
        if not isinstance(state, str):
            errors.append(("state", "required: one of ACTIVE, REDUCING, HALTED"))
        if not isinstance(reason, str) or len(reason) > 500:
            errors.append(("reason", "must be text of at most 500 characters"))
        if errors:
            return problem(422, "invalid_request", "the trading-state request has invalid fields", errors)
        runtime = live.runtime
        with runtime.atomic():
            outcome = runtime.dispatch(SetTradingState(state, f"operator:{who.advisor_id}", reason,
                                                       live.clock.now_ns()))  # fmt: skip
        if type(outcome) is Refused:
            return problem(422, "invalid_request", outcome.problem, [("state", outcome.problem)])
        if type(outcome) is not TradingStateSet:
            return _internal("trading-state request")
        log.warning("trading state %s -> %s by operator %s", outcome.previous, outcome.state, who.advisor_id)
        return Reply(200, {"state": outcome.state, "previous": outcome.previous, "changed": outcome.changed})

    # -- accounts -----------------------------------------------------------------
    def positions(self, account_id: str, who: Principal) -> Reply:
        """``GET /v1/accounts/{account_id}/positions``: cash and holdings from the ledger (an advisor's
        entitled accounts; an analyst's any)."""
        live = self._live
        if who.role != "analyst" and not live.accounts.entitled(who.advisor_id, account_id):
            return problem(403, "forbidden", "the advisor is not entitled to this account",
                           [("account_id", "not entitled")])
        with live.runtime.atomic():
            ledger = live.platform.ledger
            cash = ledger.cash.get(account_id, 0)
            held = dict(ledger.positions.get(account_id, {}))
        return Reply(200, {
            "account_id": account_id,
            "cash": dollars(cash, 4),
            "positions": [{"symbol": s, "quantity": q} for s, q in sorted(held.items()) if q],
            "as_of": iso_utc(live.clock.now_ns()),
        })

    def health(self) -> Reply:
        live = self._live
        # Fills a venue made that never reached us (FIX session recovery): each needs booking by hand.
        lost = len(getattr(live.link.gateway, "lost_fills", ()))
        venues = venue_health(live.link.gateway)  # refused messages, flagged orders: "degraded", naming them
        statuses = live.venue_statuses()
        # No venue up: the process lives but routes nothing (every new order is rejected NO_VENUE_AVAILABLE).
        routable = any(status == "UP" for status in statuses.values())
        return Reply(200, {"status": "degraded" if venues["degraded_venues"] or not routable else "ok",
                           "venues": statuses, "handler_failures": len(live.runtime.failures),
                           "lost_fills": lost, **venues})
