"""``settlement_calendar`` caches per UTC hour: it must give what the New York date rule gives,
at every instant, including around midnights and the clock changes."""

from __future__ import annotations

from datetime import datetime, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from components.business_days import BusinessCalendar
from components.config.session import settlement_run_ns
from components.settlement_time import settlement_calendar, trade_date

_NS = 1_000_000_000
_START = int(datetime(2026, 1, 1, tzinfo=timezone.utc).timestamp()) * _NS
_END = int(datetime(2028, 1, 1, tzinfo=timezone.utc).timestamp()) * _NS


def uncached(trade_ns: int, days: int = 1) -> int:
    return settlement_run_ns(BusinessCalendar().settlement_date_fn(days)(trade_date(trade_ns)))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(_START, _END), min_size=1, max_size=40))
def test_every_instant_settles_as_its_new_york_date_says(instants):
    settle = settlement_calendar(1)
    for t in instants:  # one calendar, many instants: later ones hit the per-hour cache
        assert settle(t) == uncached(t), t


def test_the_instants_either_side_of_new_york_midnight_and_the_clock_changes():
    settle = settlement_calendar(2)
    for when in ("2026-11-24T04:59:59.999999999", "2026-11-24T05:00:00", "2026-03-08T06:59:59", "2026-03-08T07:00:00",
                 "2026-11-01T05:59:59", "2026-11-01T06:00:00", "2026-11-01T04:00:00"):  # UTC
        base = datetime.fromisoformat(when[:19]).replace(tzinfo=timezone.utc)
        t = int(base.timestamp()) * _NS + (999_999_999 if when.endswith(".999999999") else 0)
        assert settle(t) == uncached(t, 2), when
        assert settle(t) == uncached(t, 2), when  # the cached answer too
