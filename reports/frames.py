"""Helpers for reading the run recorder's DataFrames.

The recorder stores ``details`` and ``policy_decisions`` as JSON strings
(``json.dumps(..., sort_keys=True)``). These helpers decode them leniently
(already-decoded dicts and lists pass through; missing values become empty) and
select event rows by type without assuming the frame has any rows or columns.
"""

from __future__ import annotations

import json
import math
from typing import Any, Iterable, Sequence

import pandas as pd


def decode_json(value: Any, empty: Any) -> Any:
    """One JSON cell to a Python object; ``empty`` for None, NaN or ''."""
    if value is None:
        return empty
    if isinstance(value, (dict, list)):
        return value
    if isinstance(value, float) and math.isnan(value):
        return empty
    if isinstance(value, (str, bytes)):
        if not value:
            return empty
        return json.loads(value)
    # numpy arrays and the like (e.g. a list column read back from parquet).
    try:
        return list(value)
    except TypeError:
        return empty


def decode_details(series: pd.Series) -> list[dict[str, Any]]:
    """The ``details`` column as a list of dicts, in row order."""
    return [decode_json(v, {}) for v in series.tolist()]


def decode_decisions(series: pd.Series) -> list[list[dict[str, Any]]]:
    """The ``policy_decisions`` column as a list of lists of dicts, in row order."""
    return [decode_json(v, []) for v in series.tolist()]


_EVENT_COLUMNS = ["event_type", "order_id", "timestamp_utc", "details", "policy_decisions"]


def events_of(events: pd.DataFrame | None, types: Iterable[str],
              columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Rows of ``events`` whose ``event_type`` is one of ``types`` (maybe empty); only ``columns`` of them
    when given: the rows are copied, and the JSON columns are most of an event's bytes (a 50,000-order
    day's frame is ~160 MiB, and every column copied made its summary's peak)."""
    if events is None or events.empty or "event_type" not in events.columns:
        return pd.DataFrame(columns=list(columns or _EVENT_COLUMNS))
    wanted = [str(t) for t in types]
    mask = events["event_type"].astype(str).isin(wanted)
    if columns is None:
        return events[mask]
    return events.loc[mask, [c for c in columns if c in events.columns]]  # a missing one: as the whole rows
