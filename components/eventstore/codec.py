"""Canonical bytes for one event, and the way back.

``encode`` is the one canonical form of an event: its ``to_record()`` as JSON
with sorted keys, no whitespace, UTF-8. The run fingerprint, the hash chain and
the stored payloads all use it, so the same event is the same bytes everywhere.

``decode`` rebuilds the ``OrderEvent``. Two things the canonical form does not
keep, by design of ``to_record()``: a policy decision's ``params`` come back in
key order (the record holds them as a mapping), and empty ``details`` come back
as ``None`` (the record writes both as ``{}``). ``encode(decode(b)) == b``
always holds.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

from components.domain.events import EventType, OrderEvent, Outcome, PolicyDecision

_dumps = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode
_EVENT_TYPES = {t.value: t for t in EventType}
_OUTCOMES = {o.value: o for o in Outcome}
# Decisions are frozen and most repeat exactly (ten PASS verdicts per approval),
# so sharing one instance per distinct decision makes decoding a long log cheaper.
_DECISIONS: dict[tuple, PolicyDecision] = {}


def encode(event: OrderEvent) -> bytes:
    """Canonical JSON of ``event.to_record()``: sorted keys, compact, UTF-8."""
    return _dumps(event.to_record()).encode("utf-8")


def decode(data: bytes | str) -> OrderEvent:
    """The event whose canonical bytes are ``data``."""
    return from_record(json.loads(data))


def from_record(record: Mapping[str, Any]) -> OrderEvent:
    """Rebuild an event from its ``to_record()`` form (or the JSON of it)."""
    details = record.get("details")
    return OrderEvent(
        event_type=_EVENT_TYPES[record["event_type"]],
        event_id=record["event_id"],
        trace_id=record["trace_id"],
        timestamp_utc=record["timestamp_utc"],
        recorded_at=record["recorded_at"],
        order_id=record["order_id"],
        stream_seq=record["stream_seq"],
        account_id=record["account_id"],
        symbol=record["symbol"],
        side=record["side"],
        quantity=record["quantity"],
        order_type=record["order_type"],
        limit_price=record["limit_price"],
        time_in_force=record["time_in_force"],
        actor=record["actor"],
        policy_decisions=tuple(_decision(d) for d in record.get("policy_decisions") or ()),
        details=dict(details) if details else None,
        event_version=record["event_version"],
    )


def _decision(d: Mapping[str, Any]) -> PolicyDecision:
    params = d.get("params") or {}
    try:
        key = (d["policy"], d["version"], d["outcome"], d.get("reason_code", ""), tuple(params.items()))
        cached = _DECISIONS.get(key)
    except TypeError:  # an unhashable parameter value: build it fresh
        key, cached = None, None
    if cached is not None:
        return cached
    decision = PolicyDecision(
        policy=d["policy"],
        version=d["version"],
        outcome=_OUTCOMES[d["outcome"]],
        reason_code=d.get("reason_code", ""),
        params=tuple(params.items()),
    )
    if key is not None and len(_DECISIONS) < 65_536:  # bounded: params carry per-order values
        _DECISIONS[key] = decision
    return decision
