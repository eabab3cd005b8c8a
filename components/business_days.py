"""Business-day arithmetic for settlement: weekends and an injected holiday set.

Pure date arithmetic (no clock, no time zones): the caller decides which
calendar date a trade belongs to. ``settlement_date_fn`` gives the T+N
function the confirmation and clearing code take as a parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Callable


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """Monday to Friday, minus ``holidays``."""

    holidays: frozenset[date] = frozenset()

    def is_business_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def next_business_day(self, day: date) -> date:
        """The first business day strictly after ``day``."""
        day += timedelta(days=1)
        while not self.is_business_day(day):
            day += timedelta(days=1)
        return day

    def add_business_days(self, day: date, n: int) -> date:
        """``day`` plus ``n`` >= 0 business days (T+n). ``n == 0`` returns ``day`` itself."""
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        for _ in range(n):
            day = self.next_business_day(day)
        return day

    def settlement_date_fn(self, n: int) -> Callable[[date], date]:
        """The T+n settlement date function for this calendar."""
        if n < 0:
            raise ValueError(f"settlement cycle must be >= 0 business days, got {n}")
        return lambda trade_date: self.add_business_days(trade_date, n)
