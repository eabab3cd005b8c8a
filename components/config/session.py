"""The trading session (``session``): trade date and hours in New York, and the settlement cycle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Annotated, Iterator
from zoneinfo import ZoneInfo

from components.business_days import BusinessCalendar

from .schema import Range

NEW_YORK = ZoneInfo("America/New_York")
"""The exchange time zone: session times and settlement time are wall-clock here."""


def session_time(ns: int, ms: bool = False) -> str:
    """Epoch ns as the New York time of day sessions are written in: "HH:MM:SS", or "HH:MM:SS.mmm" with ``ms``
    (milliseconds cut, not rounded). ``ValueError`` or ``OverflowError`` for a time no clock can show."""
    moment = datetime.fromtimestamp(ns // 1_000_000_000, NEW_YORK).strftime("%H:%M:%S")
    return f"{moment}.{ns % 1_000_000_000 // 1_000_000:03d}" if ms else moment

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
SETTLEMENT_TIME = time(9, 0)
"""Settlement runs at 09:00 New York on the settlement date."""


def to_ns(moment: datetime) -> int:
    """An aware datetime to integer UTC nanoseconds since the epoch, exactly."""
    return (moment - _EPOCH) // timedelta(microseconds=1) * 1_000


def settlement_run_ns(day: date) -> int:
    """UTC nanoseconds of the settlement run on ``day``: 09:00 New York (``components.settlement_time``)."""
    return to_ns(datetime.combine(day, SETTLEMENT_TIME, NEW_YORK))


@dataclass(frozen=True, slots=True)
class Session:
    """The trading session, in New York wall-clock time."""

    date: date = date(2026, 11, 24)
    """Trade date (ISO, a weekday). Default: Tuesday 2026-11-24."""
    open: time = time(9, 30)
    """Session open, "HH:MM" New York time. Default 09:30."""
    close: time = time(16, 0)
    """Session close, "HH:MM" New York time, after ``open``. Default 16:00."""
    settlement_days: Annotated[int, Range(ge=1, le=10)] = 1
    """Settlement cycle in business days (T+1 in the US since May 2024). Default 1."""

    def _problems(self) -> Iterator[tuple[str, str]]:
        if self.close <= self.open:
            yield "close", f"must be after open ({self.open:%H:%M}), got {self.close:%H:%M}"
        if self.date.weekday() >= 5:
            yield "date", f"must be a weekday, got {self.date:%A} {self.date.isoformat()}"

    def at_ns(self, moment: time) -> int:
        """UTC nanoseconds of ``moment`` (New York time) on ``date``."""
        return to_ns(datetime.combine(self.date, moment, NEW_YORK))

    def open_ns(self) -> int:
        """UTC nanoseconds of the open on ``date`` in New York."""
        return self.at_ns(self.open)

    def close_ns(self) -> int:
        """UTC nanoseconds of the close on ``date`` in New York."""
        return self.at_ns(self.close)

    def settlement_date(self) -> date:
        """``date`` plus ``settlement_days`` business days (weekends skipped; no holiday calendar)."""
        return BusinessCalendar().add_business_days(self.date, self.settlement_days)

    def settlement_ns(self) -> int:
        """UTC nanoseconds of 09:00 New York on the settlement date."""
        return settlement_run_ns(self.settlement_date())
