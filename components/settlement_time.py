"""When a trade settles, the one rule both runtimes use: 09:00 New York, T+N business days.

A trade's date is its New York calendar date (``trade_date``); it settles at the
settlement run (``settlement_run_ns``: 09:00 New York) ``days`` business days
later (``components.business_days``: weekends skipped, plus any injected
holidays). ``settlement_calendar(days)`` is the ``trade time -> settlement
time`` function ``PostTrade`` takes; ``new_york_rail`` gives a clearing adapter
the same two conversions. For a trade on a session's date the instant is that
session's ``Session.settlement_ns()`` (the twin's settlement, checked by a test).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Callable

from .business_days import BusinessCalendar
from .clearing import ClearingAdapter
from .config.session import NEW_YORK, settlement_run_ns
from .settlement_rail import SettlementRail

_NS = 1_000_000_000
_NS_PER_HOUR = 3600 * _NS


def trade_date(ns: int) -> date:
    """The New York calendar date of a UTC nanosecond time."""
    return datetime.fromtimestamp(ns // _NS, NEW_YORK).date()


def settlement_calendar(days: int, calendar: BusinessCalendar = BusinessCalendar()) -> Callable[[int], int]:
    """trade time -> 09:00 New York, ``days`` business days after the trade's New York date."""
    settlement_date = calendar.settlement_date_fn(days)
    runs: dict[date, int] = {}  # trade date -> settlement time: a day's trades share one run
    # UTC hour -> settlement time. New York's midnight (and its clock changes) fall on whole UTC
    # hours, so every instant of one UTC hour has the same New York date: one time-zone
    # conversion per hour of trades rather than one per trade.
    by_hour: dict[int, int] = {}

    def settlement_ns(trade_ns: int) -> int:
        hour = trade_ns // _NS_PER_HOUR
        run = by_hour.get(hour)
        if run is not None:
            return run
        day = trade_date(trade_ns)
        run = runs.get(day)
        if run is None:
            run = runs[day] = settlement_run_ns(settlement_date(day))
        by_hour[hour] = run
        return run

    return settlement_ns


def new_york_rail(clearing: ClearingAdapter) -> SettlementRail:
    """Settlement through ``clearing`` on New York business dates, run at 09:00 New York."""
    return SettlementRail(clearing, day_of=trade_date, run_ns=settlement_run_ns)
