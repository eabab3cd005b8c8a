"""The run summary: one JSON-able dict per run, written as ``summary.json``.

``build_summary`` gathers the run's identity (scenario, seed, fingerprint), the
invariant verdicts, order counts by final status, the latency table against
the blueprint's budgets, fills and fees by venue, risk blocks by reason code
and the lifecycle funnel. Money is summed exactly in integer units and printed
as decimal dollar strings (four places); only latencies are floats.
"""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from components.domain.events import EventType
from components.domain.money import format_price
from components.domain.orders import OrderStatus

from .frames import decode_decisions, decode_details, events_of
from .latency import latency_table

E = EventType

FILL_EVENTS = (E.ORDER_PARTIALLY_FILLED.value, E.ORDER_FILLED.value)

FUNNEL_STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (OrderStatus.NEW.value, (E.ORDER_RECEIVED.value,)),
    (OrderStatus.VALIDATED.value, (E.ORDER_VALIDATED.value,)),
    (OrderStatus.RISK_APPROVED.value, (E.ORDER_RISK_APPROVED.value,)),
    (OrderStatus.ROUTED.value, (E.ORDER_ROUTED.value,)),
    (OrderStatus.FILLED.value, FILL_EVENTS),
    (OrderStatus.ALLOCATED.value, (E.ORDER_ALLOCATED.value,)),
    (OrderStatus.CONFIRMED.value, (E.ORDER_CONFIRMED.value,)),
    (OrderStatus.SETTLED.value, (E.ORDER_SETTLED.value,)),
)
"""Main-path stages in lifecycle order; FILLED counts partial fills too."""

FUNNEL_EXITS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (OrderStatus.BLOCKED.value, (E.ORDER_BLOCKED.value,)),
    (OrderStatus.REJECTED.value, (E.ORDER_REJECTED.value,)),
    (OrderStatus.CANCELED.value, (E.ORDER_CANCELED.value,)),
    (OrderStatus.EXPIRED.value, (E.ORDER_EXPIRED.value,)),
)
"""Side exits from the main path."""

_STATUS_ORDER = {s.value: i for i, s in enumerate(OrderStatus)}


def order_counts(orders: pd.DataFrame | None) -> dict[str, int]:
    """Number of orders per ``final_status``, in lifecycle order."""
    if orders is None or orders.empty or "final_status" not in orders.columns:
        return {}
    counts = orders["final_status"].astype(str).value_counts()
    keys = sorted(counts.index, key=lambda s: (_STATUS_ORDER.get(s, len(_STATUS_ORDER)), s))
    return {k: int(counts[k]) for k in keys}


def lifecycle_funnel(events: pd.DataFrame | None) -> dict[str, dict[str, int]]:
    """Distinct orders that reached each stage: {"stages": {...}, "exits": {...}}.

    An order counts once per stage however many events of that kind it has.
    """
    stage_of = {t: name for name, ts in FUNNEL_STAGES + FUNNEL_EXITS for t in ts}
    rows = events_of(events, stage_of, ("order_id", "event_type"))
    reached: dict[str, int] = {}
    if not rows.empty:
        rows = rows[rows["order_id"].astype(str) != ""]
        pairs = pd.DataFrame({"stage": rows["event_type"].astype(str).map(stage_of),
                              "order_id": rows["order_id"].astype(str)})
        sizes = pairs.drop_duplicates().groupby("stage").size()
        reached = {str(k): int(v) for k, v in sizes.items()}
    return {
        "stages": {name: reached.get(name, 0) for name, _ in FUNNEL_STAGES},
        "exits": {name: reached.get(name, 0) for name, _ in FUNNEL_EXITS},
    }


def fills_by_venue(events: pd.DataFrame | None) -> dict[str, dict[str, Any]]:
    """Per venue: fills, shares, notional_usd, fees_usd (decimal strings), maker/taker fills.

    Notional and fees are summed exactly in integer units (Python ints), then
    printed with four decimals. Fees are what the venue charged; a net rebate is
    negative.
    """
    rows = events_of(events, FILL_EVENTS, ("details",))
    acc: dict[str, dict[str, int]] = {}
    if not rows.empty:
        for d in decode_details(rows["details"]):
            venue = str(d.get("venue") or "UNKNOWN")
            a = acc.setdefault(venue, {"fills": 0, "shares": 0, "notional": 0, "fees": 0,
                                       "maker_fills": 0, "taker_fills": 0})
            qty = int(d.get("last_qty") or 0)
            a["fills"] += 1
            a["shares"] += qty
            a["notional"] += qty * int(d.get("last_px") or 0)
            a["fees"] += int(d.get("fee") or 0)
            liquidity = str(d.get("liquidity") or "").upper()
            if liquidity == "MAKER":
                a["maker_fills"] += 1
            elif liquidity == "TAKER":
                a["taker_fills"] += 1
    return {
        venue: {
            "fills": a["fills"],
            "shares": a["shares"],
            "notional_usd": format_price(a["notional"]),
            "fees_usd": format_price(a["fees"]),
            "maker_fills": a["maker_fills"],
            "taker_fills": a["taker_fills"],
        }
        for venue, a in sorted(acc.items())
    }


def risk_blocks_by_reason(events: pd.DataFrame | None) -> dict[str, int]:
    """Count of FAIL policy decisions on OrderBlocked events, by reason_code.

    A block that failed two policies counts under both reasons; a block with no
    FAIL decision recorded counts under ``UNSPECIFIED``. Sorted by count, then
    reason.
    """
    rows = events_of(events, (E.ORDER_BLOCKED.value,), ("policy_decisions",))
    counts: Counter[str] = Counter()
    if not rows.empty:
        for decisions in decode_decisions(rows["policy_decisions"]):
            reasons = [str(d.get("reason_code") or d.get("policy") or "UNSPECIFIED")
                       for d in decisions if str(d.get("outcome", "")).upper() == "FAIL"]
            counts.update(reasons or ["UNSPECIFIED"])
    return {k: v for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))}


def build_summary(
    *,
    scenario: str,
    seed: int,
    fingerprint: str,
    invariants: list[dict],
    events: pd.DataFrame,
    orders: pd.DataFrame,
    wall_seconds: float,
    sim_seconds: float,
    extra: dict | None = None,
) -> dict[str, Any]:
    """The summary dict of one run (JSON-able; see ``write_summary``).

    ``all_invariants_passed`` is true when every invariant passed (vacuously
    true for an empty list). ``extra`` is carried under the ``extra`` key.
    """
    checked = [
        {"name": str(i.get("name", "")), "passed": bool(i.get("passed")),
         "detail": "" if i.get("detail") is None else str(i.get("detail"))}
        for i in invariants
    ]
    return {
        "scenario": scenario,
        "seed": int(seed),
        "fingerprint": fingerprint,
        "invariants": checked,
        "all_invariants_passed": all(i["passed"] for i in checked),
        "order_counts": order_counts(orders),
        "event_count": 0 if events is None else int(len(events)),
        "latency": latency_table(events),
        "fills_by_venue": fills_by_venue(events),
        "risk_blocks_by_reason": risk_blocks_by_reason(events),
        "funnel": lifecycle_funnel(events),
        "wall_seconds": float(wall_seconds),
        "sim_seconds": float(sim_seconds),
        "extra": dict(extra) if extra else {},
    }


def _json_default(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (Decimal, Path)):
        return str(value)
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value) if isinstance(value, (set, frozenset)) else list(value)
    raise TypeError(f"not JSON-serialisable in a summary: {type(value).__name__}")


def write_summary(summary: dict[str, Any], path: str | Path) -> Path:
    """Write ``summary`` as JSON (indent 2, sorted keys); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(summary, indent=2, sort_keys=True, default=_json_default)
    path.write_text(text + "\n", encoding="utf-8")
    return path
