"""Venue stress in the twin: scenario entries -> conditions applied at their times.

Each ``venues[i].stress[j]`` entry of the scenario becomes one
``venues_sim.stress`` condition and the windows it is active in: one window at
``at`` for ``duration_s``, or Poisson-random windows over the session drawn
from the named stream ``stress:<venue>:<j>`` (so adding an entry never moves
another entry's draws). At a window's start the condition is added to the
venue, at its end removed; a SLOW condition also degrades the venue's links
in the gateway. Scenarios without stress schedule nothing, so their runs
(and fingerprints) are unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from components.config.market import VenueStress
from components.config.session import NEW_YORK, to_ns
from venues_sim.stress import (
    Down,
    RejectStorm,
    Slow,
    StaleBook,
    SubmitOnlyDown,
    VenueCondition,
    Window,
    poisson_windows,
)

NS = 1_000_000_000


@dataclass(frozen=True, slots=True)
class StressWindow:
    """One scheduled application of a condition, for reports and tests."""

    venue: str
    kind: str
    window: Window


def condition_for(entry: VenueStress, rng) -> VenueCondition:
    """A fresh condition object for one window of ``entry``."""
    kind = entry.kind
    if kind == "DOWN":
        return Down()
    if kind == "SLOW":
        return Slow(entry.extra_ms)
    if kind == "STALE_BOOK":
        return StaleBook()
    if kind == "REJECT_STORM":
        return RejectStorm(entry.fraction, rng)
    if kind == "SUBMIT_ONLY_DOWN":
        return SubmitOnlyDown()
    raise ValueError(f"unknown stress kind {kind!r}")  # the scenario schema refuses it first


def windows_for(entry: VenueStress, rng, session) -> list[Window]:
    """When ``entry`` is active during the session."""
    open_ns, close_ns = session.open_ns(), session.close_ns()
    if entry.at is not None:
        start = to_ns(datetime.combine(session.date, entry.at, NEW_YORK))
        return [Window(start, start + int(entry.duration_s * NS))]
    return poisson_windows(rng, open_ns, close_ns, entry.rate_per_hour, entry.duration_s)


def schedule_venue_stress(world) -> list[StressWindow]:
    """Schedule every stress window of the scenario on ``world``'s clock."""
    scenario, clock, gateway = world.scenario, world.clock, world.gateway
    scheduled: list[StressWindow] = []
    for venue_cfg in scenario.venues:
        venue = world.venues[venue_cfg.name]
        for j, entry in enumerate(venue_cfg.stress):
            rng = world.streams.stream(f"stress:{venue.name}:{j}")
            for window in windows_for(entry, rng, scenario.session):
                condition = condition_for(entry, rng)
                scheduled.append(StressWindow(venue.name, entry.kind, window))
                clock.call_at(window.start_ns, _starter(venue, condition, clock, gateway))
                clock.call_at(window.end_ns, _ender(venue, condition, clock, gateway))
    return scheduled


def _starter(venue, condition, clock, gateway):
    def start() -> None:
        venue.add_condition(condition, clock.now_ns())
        _relink(venue, gateway)
    return start


def _ender(venue, condition, clock, gateway):
    def end() -> None:
        venue.remove_condition(condition, clock.now_ns())
        _relink(venue, gateway)
    return end


def _relink(venue, gateway) -> None:
    """Links carry the extra latency of every SLOW condition now active."""
    gateway.set_extra_latency(venue.name, sum(c.extra_latency_ns for c in venue.conditions))

