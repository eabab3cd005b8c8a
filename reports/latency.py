"""Per-order latency of each path segment, and percentiles against the budgets.

Segments (from the platform blueprint), each measured from business-time event
stamps (``timestamp_utc``, int ns) of one order:

- ``gateway``: OrderReceived - details.submitted_ns (advisor send to receipt,
  gateway and auth);
- ``oms``: OrderValidated - OrderReceived;
- ``risk``: (OrderRiskApproved, else OrderBlocked) - OrderValidated;
- ``routing``: OrderRouted - OrderRiskApproved.

A segment an order never completed is NaN. When an event type repeats for an
order (an at-least-once redelivery, a re-route) its first stamp counts.
Differences are taken on exact integers and only then converted to float
milliseconds. Percentiles use linear interpolation (pandas' default).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from components.domain.events import EventType
from components.observability.catalogue import LATENCY_BUDGETS_MS

from .frames import decode_details, events_of

SEGMENTS: tuple[str, ...] = ("gateway", "oms", "risk", "routing")

BUDGETS_MS: dict[str, tuple[int, int]] = LATENCY_BUDGETS_MS
"""(p50, p99) budgets in ms per segment, from the platform blueprint: the metric catalogue's, so the
report's budget lines and the histograms' bucket edges are one set of numbers."""

PERCENTILES: tuple[tuple[str, float], ...] = (("p50", 0.50), ("p95", 0.95), ("p99", 0.99))

_RECEIVED = EventType.ORDER_RECEIVED.value
_VALIDATED = EventType.ORDER_VALIDATED.value
_APPROVED = EventType.ORDER_RISK_APPROVED.value
_BLOCKED = EventType.ORDER_BLOCKED.value
_ROUTED = EventType.ORDER_ROUTED.value
_STAMPED = (_RECEIVED, _VALIDATED, _APPROVED, _BLOCKED, _ROUTED)

_NS_PER_MS = 1_000_000


def _submitted_ns(received: pd.DataFrame) -> pd.Series:
    """details.submitted_ns of each OrderReceived row, by order_id (first wins)."""
    if received.empty:
        return pd.Series([], dtype="Int64", index=pd.Index([], name="order_id"))
    values = [d.get("submitted_ns") for d in decode_details(received["details"])]
    submitted = pd.Series(
        pd.array([None if v is None else int(v) for v in values], dtype="Int64"),
        index=pd.Index(received["order_id"].to_numpy(), name="order_id"),
    )
    # Earliest receipt per order: align with the stamp chosen for OrderReceived.
    order = np.argsort(received["timestamp_utc"].to_numpy(), kind="stable")
    submitted = submitted.iloc[order]
    return submitted[~submitted.index.duplicated(keep="first")]


def segment_latencies(events: pd.DataFrame) -> pd.DataFrame:
    """One row per order (index ``order_id``, sorted), columns ``SEGMENTS`` in ms.

    Orders are those with at least one stamped lifecycle event (received,
    validated, risk-approved, blocked, routed); platform events with an empty
    ``order_id`` are ignored.
    """
    rows = events_of(events, _STAMPED, ("order_id", "event_type", "timestamp_utc", "details"))
    if not rows.empty:
        rows = rows[rows["order_id"].astype(str) != ""]
    if rows.empty:
        empty = pd.DataFrame({s: pd.Series([], dtype="float64") for s in SEGMENTS})
        empty.index = pd.Index([], name="order_id", dtype=object)
        return empty

    stamps = (
        rows.assign(
            event_type=rows["event_type"].astype(str),
            timestamp_utc=rows["timestamp_utc"].astype("int64"),
        )
        .groupby(["order_id", "event_type"], sort=True)["timestamp_utc"]
        .min()
        .astype("Int64")
        .unstack("event_type")
        .reindex(columns=list(_STAMPED))
        .astype("Int64")
    )
    stamps.index.name = "order_id"
    stamps.columns.name = None

    submitted = _submitted_ns(rows[rows["event_type"].astype(str) == _RECEIVED])
    submitted = submitted.reindex(stamps.index)

    risk_end = stamps[_APPROVED].fillna(stamps[_BLOCKED])
    diffs_ns = {
        "gateway": stamps[_RECEIVED] - submitted,
        "oms": stamps[_VALIDATED] - stamps[_RECEIVED],
        "risk": risk_end - stamps[_VALIDATED],
        "routing": stamps[_ROUTED] - stamps[_APPROVED],
    }
    out = pd.DataFrame(
        {name: d.astype("float64") / _NS_PER_MS for name, d in diffs_ns.items()},
        index=stamps.index,
    )
    return out[list(SEGMENTS)]


def _ms(value: float) -> float:
    """Round to the nanosecond so JSON output is short and stable."""
    return round(float(value), 6)


def latency_table(events: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Per segment: count, p50, p95, p99 (ms), budget_p50, budget_p99, within_budget.

    ``within_budget`` is true when p50 <= budget_p50 and p99 <= budget_p99. A
    segment with no measurement has ``count`` 0, percentiles ``None`` and
    ``within_budget`` true (nothing exceeded the budget).
    """
    per_order = segment_latencies(events)
    table: dict[str, dict[str, Any]] = {}
    for segment in SEGMENTS:
        values = per_order[segment].dropna()
        budget_p50, budget_p99 = BUDGETS_MS[segment]
        row: dict[str, Any] = {
            "count": int(values.size),
            "budget_p50": float(budget_p50),
            "budget_p99": float(budget_p99),
        }
        if values.empty:
            row.update({name: None for name, _ in PERCENTILES})
            row["within_budget"] = True
        else:
            qs = values.quantile([q for _, q in PERCENTILES]).to_numpy()
            row.update({name: _ms(v) for (name, _), v in zip(PERCENTILES, qs)})
            row["within_budget"] = bool(row["p50"] <= budget_p50 and row["p99"] <= budget_p99)
        table[segment] = row
    return table
