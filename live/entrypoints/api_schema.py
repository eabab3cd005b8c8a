"""The order API's documented shapes, and the block request's envelope check.

Order requests are validated by ``components.order_entry.parse_order_request``,
the one validator the twin uses too; ``ORDER_REQUEST_SCHEMA`` describes the
same rules for clients and is built from that module's constants so the two
cannot drift apart. A block request (``POST /v1/blocks``) becomes the twin's
``SubmitBlock``: ``parse_block_request`` checks only what is the block's own
(its keys, ``block_ref``, ``policy``, the ``members`` statement lines) and
hands every order field to ``parse_order_request``, as the platform will for
each member. The pydantic models below only document responses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Callable, Literal

from pydantic import BaseModel, Field

from components.blocks import POLICIES
from components.domain.commands import SubmitBlock, member_client_order_id
from components.domain.orders import OrderStatus, OrderType, Side, TimeInForce
from components.config.fields import SYMBOL
from components.order_entry import (
    _ID_PATTERN,
    MAX_QUANTITY,
    PRICE_PATTERN,
    REQUIRED_FIELDS,
    FieldError,
    OrderRequestError,
    json_type,
    parse_order_request,
)

_ID = {"type": "string", "pattern": _ID_PATTERN.pattern, "maxLength": 64}
_PRICE = {
    "type": ["string", "null"], "pattern": PRICE_PATTERN,
    "description": "Decimal dollars as a string: positive, below 1,000,000, at most 4 decimal places on a "
                   "one-cent tick, no sign, exponent or leading zero (\"190.25\", \"0.05\"; not 190.25, "
                   "\"1e2\" nor \"190.001\"). Required for LIMIT; absent or null for MARKET.",
}


def _price_rule(order_type_required: bool) -> dict[str, Any]:
    """LIMIT needs a price string; MARKET (or, for a block, no order_type) takes none."""
    limit: dict[str, Any] = {"properties": {"order_type": {"const": OrderType.LIMIT.value}}}
    if order_type_required:
        limit["required"] = ["order_type"]
    return {"if": limit,
            "then": {"required": ["limit_price"], "properties": {"limit_price": {"type": "string"}}},
            "else": {"properties": {"limit_price": {"type": "null"}}}}


ORDER_REQUEST_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": list(REQUIRED_FIELDS),
    "properties": {
        "account_id": {**_ID, "description": "The client account; the token's advisor must be entitled to it."},
        "symbol": {"type": "string", "pattern": f"^{SYMBOL.regex}$",
                   "description": "A configured symbol, e.g. AAPL (422 for one not configured)."},
        "side": {"type": "string", "enum": [s.value for s in Side]},
        "quantity": {"type": "integer", "minimum": 1, "maximum": MAX_QUANTITY, "description": "Shares."},
        "order_type": {"type": "string", "enum": [t.value for t in OrderType]},
        "limit_price": _PRICE,
        "time_in_force": {"type": "string", "enum": [t.value for t in TimeInForce]},
        "advisor_id": {**_ID, "description": "Must be the advisor the bearer token belongs to."},
        "client_order_id": {**_ID, "description": "Idempotency key per account: a retry with the same body "
                                                  "returns the original order (200); another body is 409."},
    },
    "allOf": [_price_rule(order_type_required=False)],
    "example": {
        "account_id": "AC-00001", "symbol": "AAPL", "side": "BUY", "quantity": 100, "order_type": "LIMIT",
        "limit_price": "190.25", "time_in_force": "DAY", "advisor_id": "ADV-001", "client_order_id": "C-1",
    },
}


MAX_BLOCK_MEMBERS = 1_000
"""Statement lines a block may have."""
MAX_BLOCK_REF = 64 - len(f"-{MAX_BLOCK_MEMBERS}")
"""Longest block_ref: member client order ids (block_ref-N) must stay valid ids."""
BLOCK_POLICIES = tuple(sorted({name for name, _ in POLICIES}))
_BLOCK_FIELDS = ("block_ref", "advisor_id", "symbol", "side", "policy", "order_type", "limit_price",
                 "time_in_force", "members")
_BLOCK_REQUIRED = ("block_ref", "advisor_id", "symbol", "side", "policy", "members")
_BLOCK_DEFAULTS = {"order_type": OrderType.MARKET.value, "time_in_force": TimeInForce.DAY.value}  # SubmitBlock's
_MEMBER_FIELDS = ("account_id", "quantity")
_ORDER_FIELD = ORDER_REQUEST_SCHEMA["properties"]

BLOCK_REQUEST_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": list(_BLOCK_REQUIRED),
    "properties": {
        "block_ref": {"type": "string", "pattern": _ID_PATTERN.pattern, "maxLength": MAX_BLOCK_REF,
                      "description": "The advisor's id for the block; member i's client_order_id is "
                                     "block_ref-i. A retry with the same body returns the block (200)."},
        "advisor_id": _ORDER_FIELD["advisor_id"],
        "symbol": _ORDER_FIELD["symbol"],
        "side": _ORDER_FIELD["side"],
        "policy": {"type": "string", "enum": list(BLOCK_POLICIES),
                   "description": "How the block's fills are allocated to its members."},
        "order_type": {**_ORDER_FIELD["order_type"], "default": _BLOCK_DEFAULTS["order_type"]},
        "limit_price": _ORDER_FIELD["limit_price"],
        "time_in_force": {**_ORDER_FIELD["time_in_force"], "default": _BLOCK_DEFAULTS["time_in_force"]},
        "members": {
            "type": "array", "minItems": 1, "maxItems": MAX_BLOCK_MEMBERS,
            "description": "The allocation statement: one line per account, in order (an account listed "
                           "twice is a 422 naming the second line).",
            "items": {"type": "object", "additionalProperties": False, "required": list(_MEMBER_FIELDS),
                      "properties": {"account_id": _ORDER_FIELD["account_id"],
                                     "quantity": _ORDER_FIELD["quantity"]}},
        },
    },
    "allOf": [_price_rule(order_type_required=True)],
    "example": {
        "block_ref": "BLK-1", "advisor_id": "ADV-001", "symbol": "AAPL", "side": "BUY", "policy": "pro_rata",
        "order_type": "LIMIT", "limit_price": "190.25", "time_in_force": "DAY",
        "members": [{"account_id": "AC-00001", "quantity": 300}, {"account_id": "AC-00002", "quantity": 200}],
    },
}


@dataclass(frozen=True, slots=True)
class BlockRequest:
    """A block request that passed ``parse_block_request``; ``command`` makes the twin's message."""

    block_ref: str
    advisor_id: str
    symbol: str
    side: str
    policy: str
    lines: tuple[tuple[str, int], ...]
    order_type: str
    limit_price: str | None
    time_in_force: str

    def command(self, submitted_ns: int) -> SubmitBlock:
        return SubmitBlock(self.advisor_id, self.symbol, self.side, self.lines, self.policy, self.block_ref,
                           submitted_ns, self.order_type, self.limit_price, self.time_in_force)


def parse_block_request(body: Any, known_symbols: Callable[[str], bool]) -> BlockRequest:
    """Validate a ``POST /v1/blocks`` body; raise ``OrderRequestError`` naming every bad field
    (``members[2].quantity``, ``block_ref``, ``limit_price``...)."""
    if not isinstance(body, Mapping):
        raise OrderRequestError([FieldError("body", f"must be a JSON object, got {json_type(body)}")])
    errors = [FieldError(str(k), "unknown field") for k in sorted(set(body) - set(_BLOCK_FIELDS), key=str)]
    errors += [FieldError(k, "is required") for k in _BLOCK_REQUIRED if k not in body]
    ref, policy, members = body.get("block_ref"), body.get("policy"), body.get("members")
    if "block_ref" in body and not (isinstance(ref, str) and _ID_PATTERN.fullmatch(ref)
                                    and len(ref) <= MAX_BLOCK_REF):
        errors.append(FieldError("block_ref", f"must be 1-{MAX_BLOCK_REF} letters, digits or ._:- "
                                              "starting with a letter or digit"))
        ref = None
    if "policy" in body and policy not in BLOCK_POLICIES:
        errors.append(FieldError("policy", f"must be one of {', '.join(BLOCK_POLICIES)}, got {policy!r}"))
    lines: list[tuple[str, int]] = []
    if not isinstance(members, list) or not 1 <= len(members) <= MAX_BLOCK_MEMBERS:
        if "members" in body:
            errors.append(FieldError("members", f"must be a list of 1 to {MAX_BLOCK_MEMBERS} "
                                                "objects with account_id and quantity"))
        members = []
    errors += _member_errors(body, members, ref, known_symbols, lines)
    if errors:
        raise OrderRequestError(_unique(errors))
    terms = {**_BLOCK_DEFAULTS, **body}
    price = terms.get("limit_price")
    return BlockRequest(ref, terms["advisor_id"], terms["symbol"], terms["side"], policy, tuple(lines),
                        terms["order_type"], None if price is None else str(price), terms["time_in_force"])


def _member_errors(body: Mapping[str, Any], members: list[Any], ref: str | None,
                   known_symbols: Callable[[str], bool], lines: list[tuple[str, int]]) -> list[FieldError]:
    """Each statement line, and the block's order terms, checked as the member order it becomes."""
    errors: list[FieldError] = []
    terms = {k: body[k] for k in ("advisor_id", "symbol", "side", "order_type", "limit_price", "time_in_force")
             if k in body}
    terms = {**_BLOCK_DEFAULTS, **terms}
    if not members:  # no usable line: still check the block's terms, on a placeholder line
        placeholder = {"account_id": "PLACEHOLDER", "quantity": 1, "client_order_id": "PLACEHOLDER"}
        try:
            parse_order_request({**terms, **placeholder}, known_symbols)
        except OrderRequestError as exc:
            errors += [e for e in exc.errors if e.field not in (*_MEMBER_FIELDS, "client_order_id")]
        return errors
    seen: dict[Any, int] = {}
    for i, member in enumerate(members):
        where = f"members[{i}]"
        if not isinstance(member, Mapping):
            errors.append(FieldError(where, f"must be an object with account_id and quantity, got "
                                            f"{json_type(member)}"))
            continue
        errors += [FieldError(f"{where}.{k}", "unknown field")
                   for k in sorted(set(member) - set(_MEMBER_FIELDS), key=str)]
        account = member.get("account_id")
        try:
            if account in seen:
                errors.append(FieldError(f"{where}.account_id", f"duplicate account (first at members[{seen[account]}])"))
            seen.setdefault(account, i)
        except TypeError:
            pass  # unhashable: parse_order_request names it below
        request = {**terms, **{k: member[k] for k in _MEMBER_FIELDS if k in member},
                   "client_order_id": member_client_order_id(ref or "REF", i + 1)}
        try:
            spec = parse_order_request(request, known_symbols)
        except OrderRequestError as exc:
            for e in exc.errors:
                if e.field in _MEMBER_FIELDS:
                    errors.append(FieldError(f"{where}.{e.field}", e.problem))
                elif e.field != "client_order_id":  # a bad block_ref is reported once, above
                    errors.append(e)  # a block term: the same for every member, reported once
            continue
        lines.append((spec.account_id, spec.quantity))
    return errors


def _unique(errors: list[FieldError]) -> list[FieldError]:
    return list(dict.fromkeys(errors))


class RiskDecisionOut(BaseModel):
    policy: str
    version: str
    outcome: str = Field(description="PASS or FAIL")
    reason_code: str = Field(description="Machine-readable reason of a FAIL; on a PASS empty, or a flag such as SANCTIONS_REVIEW (a name close to a listed one, screened below the block threshold)")
    params: dict[str, int | str] = Field(description="What the policy compared; money in units of $0.0001")


class OrderOut(BaseModel):
    order_id: str
    client_order_id: str
    account_id: str
    advisor_id: str
    symbol: str
    side: Side
    quantity: int
    order_type: OrderType
    limit_price: str | None = Field(description="Decimal dollars; null for MARKET")
    time_in_force: TimeInForce
    status: OrderStatus
    status_reason: str = Field(description="Why it was rejected, blocked, canceled or expired; else empty")
    filled_quantity: int
    average_price: str | None = Field(description="Decimal dollars; null before the first fill")
    fees: str = Field(description="Venue fees net of rebates, decimal dollars")
    accepted_at: str = Field(description="ISO-8601 UTC time the order was accepted")
    trace_id: str
    risk_decisions: list[RiskDecisionOut]
    cancel_rejections: list[str] = Field(description="Why a venue refused our cancel (OrderCancelReject or "
                                                     "BusinessMessageReject), oldest first; the order works on")
    flags: list[str] = Field(description="Why the order was flagged for attention (stuck, an exec id reused, "
                                         "a status request unanswered: manual review), oldest first")
    refused_messages: list[str] = Field(description="Why venue messages about the order could not be applied "
                                                    "(recorded as VenueMessageRefused events with the raw FIX)")


class BlockOut(BaseModel):
    block_ref: str
    advisor_id: str
    symbol: str
    side: Side
    policy: str = Field(description="The allocation policy the block is allocated with")
    parent_order_id: str | None = Field(description="The order the venues trade (the firm's average-price "
                                                    "account); null when no member passed risk")
    members: list[OrderOut] = Field(description="One order per statement line, in statement order")


class FieldProblem(BaseModel):
    field: str
    problem: str


class ProblemOut(BaseModel):
    error: str = Field(description="A short machine-readable code, e.g. invalid_order")
    detail: str = Field(description="What is wrong, for people")
    errors: list[FieldProblem] = Field(default=[], description="Each bad field and its problem")


class PositionOut(BaseModel):
    symbol: str
    quantity: int


class PositionsOut(BaseModel):
    account_id: str
    cash: str = Field(description="Decimal dollars")
    positions: list[PositionOut]
    as_of: str = Field(description="ISO-8601 UTC")


class TradingStateOut(BaseModel):
    state: str = Field(description="ACTIVE, REDUCING (only orders that reduce a position) or HALTED (no new orders)")
    previous: str | None = Field(default=None, description="The state before this request (POST only)")
    changed: bool | None = Field(default=None, description="Whether this request changed it (POST only)")


TRADING_STATE_REQUEST_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False, "required": ["state"],
    "properties": {
        "state": {"type": "string", "enum": ["ACTIVE", "REDUCING", "HALTED"]},
        "reason": {"type": "string", "maxLength": 500, "description": "Why (recorded with the change)"},
    },
}


class HealthOut(BaseModel):
    """What ``/healthz`` answers (issue 10's full schema): liveness, venues, refusals and flags, reference
    prices, and the event log's integrity."""

    status: Literal["ok", "degraded", "read_only"] = Field(
        description="ok; degraded when degraded_venues is not empty (a refused venue message or a flagged "
                    "order) or when no venue is UP (nothing can be routed); read_only when the process accepts "
                    "no change (read_only_reason says why)")
    venues: dict[str, str] = Field(description="Venue name -> UP or DOWN")
    handler_failures: int = Field(description="Messages whose handler raised since start (a bug; see the log)")
    lost_fills: int = Field(description="Executions a venue reported in an order status but never as fills "
                                        "(recorded as ExecutionDiscrepancy events; they need booking by hand)")
    refused_messages: dict[str, int] = Field(description="Venue -> inbound messages the FIX gateway could not "
                                                         "apply (VenueMessageRefused events, logged at ERROR)")
    flagged_orders: dict[str, int] = Field(description="Venue -> orders flagged (OrderFlagged events: stuck, "
                                                       "exec id reused, status request unanswered)")
    flagged_working: int = Field(description="Flagged child orders still working")
    degraded_venues: list[str] = Field(description="Venues with a refused message or a flagged order; "
                                                   "status is then \"degraded\"")
    reference_sources: dict[str, Literal["venue_quotes", "last_good_mid", "configured"]] = Field(
        description="Symbol -> where its reference price (what risk marks orders at) comes from now: the venues' "
                    "quotes, the last good mid (no two-sided market now), or the configured fallback (no quote "
                    "yet: e.g. a venue without market data). Empty with in-process venues (direct mode)")
    reference_warnings: list[str] = Field(
        description="Symbols priced from the configured fallback for longer than [venue_link] "
                    "reference_fallback_warn_s, each with how long (also logged once at WARNING)")
    read_only: bool = Field(description="Whether the process accepts no change (started --read-only or on a "
                                        "tampered event log)")
    read_only_reason: str | None = Field(description="Why the process is read-only; null when it is not")
    anchors: str = Field(description="Event log anchors: keyed (HMAC-SHA-256), unkeyed (SHA-256) or off")
    log_verified: bool | None = Field(description="Whether the start's check of the event log passed; null "
                                                  "without a durable log")
    tamper_finding: str | None = Field(description="What the start's check found wrong (offset and reason); "
                                                   "null when nothing")


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for error statuses."""
    text = {
        400: "The body is not JSON",
        401: "Missing, unknown, expired or otherwise invalid bearer token (WWW-Authenticate says why)",
        403: "The token's role or scope does not allow this, or the advisor may not act on this account",
        404: "No such order",
        409: "Conflict (client_order_id reused with another body; order not cancelable)",
        413: "Body too large",
        415: "The body is not declared as JSON (Content-Type must be application/json)",
        422: "Invalid fields, each named in errors",
        429: "Rate limit exceeded (per token, or per client address without a valid token); see Retry-After",
    }
    return {s: {"model": ProblemOut, "description": text[s]} for s in statuses}
