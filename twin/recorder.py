"""Run recorder: the event log and the order table as parquet (via pyarrow)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

import pandas as pd

from components.domain.events import OrderEvent
from components.domain.orders import Order


def events_frame(events: Iterable[OrderEvent]) -> pd.DataFrame:
    """One row per event; decisions and details as sorted-key JSON strings."""
    rows = []
    for event in events:
        row = event.to_record()
        row["policy_decisions"] = json.dumps(row["policy_decisions"], sort_keys=True)
        row["details"] = json.dumps(row["details"], sort_keys=True)
        rows.append(row)
    frame = pd.DataFrame(rows)
    if not frame.empty:
        frame["limit_price"] = frame["limit_price"].astype("Int64")
    return frame


def orders_frame(orders: Iterable[Order]) -> pd.DataFrame:
    rows = [
        {
            "order_id": o.order_id,
            "account_id": o.spec.account_id,
            "advisor_id": o.spec.advisor_id,
            "client_order_id": o.spec.client_order_id,
            "symbol": o.spec.symbol,
            "side": o.spec.side.value,
            "quantity": o.spec.quantity,
            "order_type": o.spec.order_type.value,
            "limit_price": o.spec.limit_price,
            "time_in_force": o.spec.time_in_force.value,
            "final_status": o.status.value,
            "filled_qty": o.filled_qty,
            "avg_price": o.avg_price,
            "fees": o.fees,
            "created_ns": o.created_ns,
            "trace_id": o.trace_id,
        }
        for o in orders
    ]
    frame = pd.DataFrame(rows)
    if not frame.empty:
        frame["limit_price"] = frame["limit_price"].astype("Int64")
    return frame


def write_parquet(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_parquet(path, engine="pyarrow", index=False)
    return path
