"""The order API's documented shapes (OpenAPI only; nothing is validated here).

Requests are validated by ``components.order_entry.parse_order_request``,
the one validator the twin uses too; ``ORDER_REQUEST_SCHEMA`` describes the
same rules for clients and is built from that module's constants so the two
cannot drift apart. The pydantic models below only document responses.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from components.domain.orders import OrderStatus, OrderType, Side, TimeInForce
from components.order_entry import _ID_PATTERN, MAX_QUANTITY, REQUIRED_FIELDS

_ID = {"type": "string", "pattern": _ID_PATTERN.pattern, "maxLength": 64}

ORDER_REQUEST_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": list(REQUIRED_FIELDS),
    "properties": {
        "account_id": {**_ID, "description": "The client account; the token's advisor must be entitled to it."},
        "symbol": {"type": "string", "description": "A configured symbol, e.g. AAPL."},
        "side": {"type": "string", "enum": [s.value for s in Side]},
        "quantity": {"type": "integer", "minimum": 1, "maximum": MAX_QUANTITY, "description": "Shares."},
        "order_type": {"type": "string", "enum": [t.value for t in OrderType]},
        "limit_price": {
            "type": ["string", "number"],
            "description": "Decimal dollars on a one-cent tick, e.g. \"190.25\"; required for LIMIT, "
                           "absent for MARKET.",
        },
        "time_in_force": {"type": "string", "enum": [t.value for t in TimeInForce]},
        "advisor_id": {**_ID, "description": "Must be the advisor the bearer token belongs to."},
        "client_order_id": {**_ID, "description": "Idempotency key per account: a retry with the same body "
                                                  "returns the original order (200); another body is 409."},
    },
    "example": {
        "account_id": "AC-00001", "symbol": "AAPL", "side": "BUY", "quantity": 100, "order_type": "LIMIT",
        "limit_price": "190.25", "time_in_force": "DAY", "advisor_id": "ADV-001", "client_order_id": "C-1",
    },
}


class RiskDecisionOut(BaseModel):
    policy: str
    version: str
    outcome: str = Field(description="PASS or FAIL")
    reason_code: str = Field(description="Machine-readable reason of a FAIL; empty on PASS")
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


class HealthOut(BaseModel):
    status: str
    venues: dict[str, str] = Field(description="Venue name -> UP or DOWN")
    handler_failures: int = Field(description="Messages whose handler raised since start (a bug; see the log)")


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for error statuses."""
    text = {
        400: "The body is not JSON",
        401: "Missing or invalid bearer token",
        403: "The advisor may not act on this account",
        404: "No such order",
        409: "Conflict (client_order_id reused with another body; order not cancelable)",
        413: "Body too large",
        422: "Invalid fields, each named in errors",
        429: "Rate limit exceeded; see Retry-After",
    }
    return {s: {"model": ProblemOut, "description": text[s]} for s in statuses}
