"""TCA's time columns keep every nanosecond, also when some orders have no value."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import given, strategies as st

from reports.tca import _Rows, _to_table

EPOCH_NS = st.integers(min_value=1_600_000_000 * 10**9, max_value=2_200_000_000 * 10**9)


@given(st.lists(st.one_of(st.none(), EPOCH_NS), min_size=1, max_size=12), st.booleans())
def test_a_time_column_with_gaps_is_written_exactly(times, uniform):
    rows = _Rows(len(times))
    for k, t in enumerate(times):
        record = {"order_id": f"O{k}", "decision_ns": t, "fill_rate": 0.5}
        if not uniform and k % 2:
            record = {"fill_rate": 0.5, "order_id": f"O{k}", "decision_ns": t}  # another key order: dict rows
        rows.put(k, record)
    table = _to_table(rows.frame(), {})
    assert table.schema.field("decision_ns").type == pa.int64()
    assert table.column("decision_ns").to_pylist() == times


def test_the_rounding_this_guards_against_is_real():
    # float64 holds 53 bits: a 2026 timestamp in ns needs 61, so pandas' float column would move it.
    t = 1_795_530_600_123_456_789
    assert int(float(t)) != t
    rows = _Rows(2)
    rows.put(0, {"order_id": "A", "decision_ns": t})
    rows.put(1, {"order_id": "B", "decision_ns": None})
    assert _to_table(rows.frame(), {}).column("decision_ns").to_pylist() == [t, None]
