"""The live session close: when it falls (New York business days, DST), its config, and how it is armed."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from components.business_days import BusinessCalendar
from components.config.live import LiveConfigError, SessionConfig, parse_live_config
from components.config.session import NEW_YORK
from components.domain.commands import ExpireDay
from live.session_close import SessionCloser

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def ns(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1) * 1_000


def ny(*args: int) -> int:
    return ns(datetime(*args, tzinfo=NEW_YORK))


@pytest.mark.parametrize("now, expected", [
    (ny(2026, 11, 24, 10, 0), ny(2026, 11, 24, 16, 0)),   # Tuesday morning: today's close
    (ny(2026, 11, 24, 16, 0), ny(2026, 11, 25, 16, 0)),   # at the close: it has happened; tomorrow's
    (ny(2026, 11, 24, 17, 0), ny(2026, 11, 25, 16, 0)),   # after the close: the next day's
    (ny(2026, 11, 27, 16, 30), ny(2026, 11, 30, 16, 0)),  # Friday evening: Monday's
    (ny(2026, 11, 28, 12, 0), ny(2026, 11, 30, 16, 0)),   # Saturday: Monday's
    (ny(2026, 3, 6, 17, 0), ny(2026, 3, 9, 16, 0)),       # across the DST change: still 16:00 New York
])
def test_the_next_close_is_the_first_business_day_close_after_now(now, expected):
    assert SessionConfig().next_close_ns(now) == expected


def test_the_close_is_new_york_time_whatever_the_utc_offset():
    winter = SessionConfig().next_close_ns(ny(2026, 1, 6, 9, 0))
    summer = SessionConfig().next_close_ns(ny(2026, 7, 7, 9, 0))
    assert datetime.fromtimestamp(winter / 1e9, timezone.utc).hour == 21  # EST: UTC-5
    assert datetime.fromtimestamp(summer / 1e9, timezone.utc).hour == 20  # EDT: UTC-4


def test_holidays_of_the_calendar_are_skipped():
    thanksgiving = BusinessCalendar(frozenset({datetime(2026, 11, 26).date()}))
    assert SessionConfig().next_close_ns(ny(2026, 11, 25, 16, 1), thanksgiving) == ny(2026, 11, 27, 16, 0)


def test_seconds_are_allowed_and_the_default_is_four_pm():
    config = parse_live_config('[session]\nclose = "13:05:30"\n')
    assert config.session.next_close_ns(ny(2026, 11, 24, 9, 0)) == ny(2026, 11, 24, 13, 5, 30)
    assert parse_live_config("").session == SessionConfig(close="16:00", enabled=True)


@pytest.mark.parametrize("text, field", [
    ('[session]\nclose = "24:00"', "session.close"),
    ('[session]\nclose = "4pm"', "session.close"),
    ("[session]\nclose = 1600", "session.close"),
    ('[session]\nenabled = "no"', "session.enabled"),
    ('[session]\nopen = "09:30"', "session.open"),
])
def test_bad_session_settings_name_the_field(text, field):
    with pytest.raises(LiveConfigError) as err:
        parse_live_config(text, "live.toml")
    assert err.value.field == field


class FakeClock:
    """Timers held in a list; ``fire`` runs the due ones (the WallClock runs them through the runtime)."""

    def __init__(self, now: int) -> None:
        self.now = now
        self.timers: list[tuple[int, object]] = []

    def now_ns(self) -> int:
        return self.now

    def call_at(self, when_ns: int, callback) -> None:
        self.timers.append((when_ns, callback))

    def advance(self, to_ns: int) -> None:
        due = sorted((t for t in self.timers if t[0] <= to_ns), key=lambda t: t[0])
        self.timers = [t for t in self.timers if t[0] > to_ns]
        for when, callback in due:
            self.now = max(self.now, when)  # each timer runs at its own time
            callback()
        self.now = to_ns


def test_the_closer_ends_the_venues_day_then_expires_and_arms_the_next_close():
    clock = FakeClock(ny(2026, 11, 27, 15, 0))  # a Friday afternoon
    calls: list[object] = []
    closer = SessionCloser(clock, calls.append, lambda now: calls.append(("venues", now)),
                           SessionConfig().next_close_ns)
    assert closer.arm() == ny(2026, 11, 27, 16, 0)
    clock.advance(ny(2026, 11, 27, 15, 59))
    assert calls == []
    clock.advance(ny(2026, 11, 27, 16, 0))
    assert calls == [("venues", ny(2026, 11, 27, 16, 0)), ExpireDay()]  # venues first, as in the twin
    assert closer.closes == [ny(2026, 11, 27, 16, 0)]
    assert closer.next_ns == ny(2026, 11, 30, 16, 0) and [t for t, _ in clock.timers] == [closer.next_ns]


def test_a_rearmed_closer_runs_only_the_latest_close():
    clock = FakeClock(ny(2026, 11, 24, 9, 0))
    calls: list[object] = []
    closer = SessionCloser(clock, calls.append, lambda now: None, SessionConfig().next_close_ns)
    closer.arm()
    closer.arm(ny(2026, 11, 24, 10, 0))
    clock.advance(ny(2026, 11, 24, 16, 0))
    assert calls == [ExpireDay()] and closer.closes == [ny(2026, 11, 24, 10, 0)]
