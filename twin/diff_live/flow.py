"""A live session's order flow, read back from its event log as a twin script.

Each ``OrderReceived`` event holds the whole request (account, symbol, side,
quantity, type, limit price, time in force, the advisor as its actor, the
client order id and the time the advisor sent it), so the submissions are
replayed exactly, at their offsets from the first one. A client cancel is
replayed when it was asked for: an ``OrderCancelRequested`` for an order at
a venue, or the ``OrderCanceled`` (reason CLIENT_REQUEST) of one that had not
reached a venue yet, which is recorded as the request arrives. A block is
replayed as one block request: its members' ``OrderReceived`` events name
their block and policy and hold the statement's lines; the parent, which the
desk opens, is not a request. (Logs from
before ``OrderCancelRequested`` existed replay such cancels at their
``OrderCanceled``, a venue round trip late.)
Requests refused at the door (403, 409, 422) were never stored and are not
replayed; neither is anything other participants did at the venues.

``books_from_json`` reads resting participant orders to seed the twin's
books with, when the live venues' books are known.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Iterable

from components.block_desk import BLOCK_ACCOUNT
from components.domain.commands import SubmitBlock
from components.domain.events import EventType, OrderEvent
from components.domain.money import PRICE_SCALE, to_units
from components.domain.orders import Side, TimeInForce

from twin.scripted import AgentOrder, Block, Cancel, Step, Submit

LEAD_NS = 1_000_000_000
"""The first request comes this long after the script starts (after seeded books)."""


def _price_text(units: int) -> str:
    return f"{Decimal(units) / PRICE_SCALE:f}"


def request_of(event: OrderEvent) -> dict:
    """The order request an ``OrderReceived`` event recorded."""
    body = {
        "account_id": event.account_id, "symbol": event.symbol, "side": event.side, "quantity": event.quantity,
        "order_type": event.order_type, "time_in_force": event.time_in_force,
        "advisor_id": event.actor.split(":", 1)[1] if event.actor.startswith("advisor:") else event.actor,
        "client_order_id": event.detail("client_order_id", ""),
    }
    if event.limit_price is not None:
        body["limit_price"] = _price_text(event.limit_price)
    return body


def session_start_ns(events: Iterable[OrderEvent]) -> int | None:
    """When the first request of the session was sent (None if there was none)."""
    sent = [int(e.detail("submitted_ns", e.timestamp_utc)) for e in events if e.event_type is EventType.ORDER_RECEIVED]
    return min(sent) if sent else None


def script_of(events: Iterable[OrderEvent]) -> list[Step]:
    """Submissions and client cancels of a live session, as script steps in time order."""
    events = list(events)
    start = session_start_ns(events)
    if start is None:
        return []
    keys: dict[str, tuple[str, str]] = {}
    cancels: set[str] = set()  # orders whose cancel request is already a step
    steps: list[Step] = []
    blocks: dict[str, tuple[int, list[tuple[str, int]], dict]] = {}  # block ref -> (at, lines, first member)
    for event in events:
        if event.event_type is EventType.ORDER_RECEIVED and event.order_id not in keys:
            if event.account_id == BLOCK_ACCOUNT:
                continue  # a block's parent: the desk opens it, the replayed block will too
            body = request_of(event)
            keys[event.order_id] = (body["account_id"], body["client_order_id"])
            at = int(event.detail("submitted_ns", event.timestamp_utc)) - start
            ref = event.detail("block_ref")
            if ref:  # a block member: its lines make one block request
                if ref not in blocks:
                    blocks[ref] = (LEAD_NS + at, [], {**body, "block_policy": event.detail("block_policy")})
                blocks[ref][1].append((body["account_id"], body["quantity"]))
                continue
            steps.append(Submit(LEAD_NS + at, body))
        elif event.order_id in keys and event.order_id not in cancels and (
                event.event_type is EventType.ORDER_CANCEL_REQUESTED
                or (event.event_type is EventType.ORDER_CANCELED and event.detail("reason") == "CLIENT_REQUEST")):
            cancels.add(event.order_id)
            account_id, client_order_id = keys[event.order_id]
            steps.append(Cancel(LEAD_NS + event.timestamp_utc - start, account_id, client_order_id))
    for ref, (at, lines, first) in blocks.items():
        steps.append(Block(at, SubmitBlock(first["advisor_id"], first["symbol"], first["side"], tuple(lines),
                                           first["block_policy"], ref, 0, first["order_type"],
                                           first.get("limit_price"), first["time_in_force"])))
    return sorted(steps, key=lambda s: s.at_ns)


def books_from_json(path: str | Path) -> list[AgentOrder]:
    """Resting participant orders from a JSON list of
    ``{"venue", "symbol", "side", "quantity", "price"[, "owner"]}``; ValueError naming a bad entry."""
    try:
        entries = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not JSON: {exc}") from None
    if not isinstance(entries, list):
        raise ValueError(f"{path}: expected a list of orders")
    orders = []
    for i, entry in enumerate(entries):
        try:
            orders.append(AgentOrder(0, str(entry["venue"]), str(entry["symbol"]), Side(entry["side"]),
                                     int(entry["quantity"]), to_units(str(entry["price"])), TimeInForce.DAY,
                                     owner=str(entry.get("owner", "BOOK"))))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{path}: entry {i}: {exc!r}") from None
    return orders
