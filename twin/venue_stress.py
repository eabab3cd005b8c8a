"""Venue stress in the twin: scenario entries -> conditions applied at their times.

Each ``venues[i].stress[j]`` entry of the scenario becomes one
``venues_sim.stress`` condition and the windows it is active in: one window at
``at`` for ``duration_s``, or Poisson-random windows over the session drawn
from the named stream ``stress:<venue>:<j>`` (so adding an entry never moves
another entry's draws). At a window's start the condition is added to the
venue, at its end removed; a SLOW condition also degrades the venue's links
in the gateway. Scenarios without stress schedule nothing, so their runs
(and fingerprints) are unchanged.

Each window is one fault of the catalogue (``chaos.faults.venues``: ``venue_down``,
``venue_slow``, ... one class per condition kind), scheduled like any other fault, so the
``stress`` section is sugar for them; ``VenueStresser`` is the world's ``VenueMechanism``, the
one place that attaches and detaches conditions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chaos.faults.venues import BY_CONDITION, Impairment, VenueFault
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


def windows_for(entry: VenueStress, rng, session) -> list[Window]:
    """When ``entry`` is active during the session."""
    open_ns, close_ns = session.open_ns(), session.close_ns()
    if entry.at is not None:
        start = to_ns(datetime.combine(session.date, entry.at, NEW_YORK))
        return [Window(start, start + int(entry.duration_s * NS))]
    return poisson_windows(rng, open_ns, close_ns, entry.rate_per_hour, entry.duration_s)


def stress_faults(world) -> list[tuple[StressWindow, VenueFault]]:
    """Every window of the scenario's ``stress`` entries as a venue fault, with its window.

    Windows come from each entry's own stream ``stress:<venue>:<j>``; a reject storm keeps drawing
    from that same stream (after the windows), as it always did."""
    scenario = world.scenario
    out: list[tuple[StressWindow, VenueFault]] = []
    for venue_cfg in scenario.venues:
        for j, entry in enumerate(venue_cfg.stress):
            stream = f"stress:{venue_cfg.name}:{j}"
            rng = world.streams.stream(stream)
            cls = BY_CONDITION[entry.kind]
            for window in windows_for(entry, rng, scenario.session):
                params: dict = {}
                if entry.kind == "SLOW":
                    params["extra_ms"] = entry.extra_ms
                elif entry.kind == "REJECT_STORM":
                    params.update(fraction=entry.fraction, stream=stream)
                fault = cls(venue_cfg.name, window.start_ns, window.end_ns - window.start_ns, **params)
                out.append((StressWindow(venue_cfg.name, entry.kind, window), fault))
    return out


class VenueStresser:
    """The twin's ``chaos.faults.venues.VenueMechanism``: attaches ``venues_sim.stress`` conditions to
    the world's venues; a SLOW condition also degrades the venue's links in the gateway."""

    def __init__(self, world):
        self.world = world

    def impair(self, venue: str, impairment: Impairment) -> tuple[str, VenueCondition]:
        condition = self.condition(impairment)
        target = self.world.venues[venue]
        target.add_condition(condition, self.world.clock.now_ns())
        _relink(target, self.world.gateway)
        return venue, condition

    def heal(self, token: object) -> None:
        venue, condition = token  # type: ignore[misc]
        target = self.world.venues[venue]
        target.remove_condition(condition, self.world.clock.now_ns())
        _relink(target, self.world.gateway)

    def condition(self, impairment: Impairment) -> VenueCondition:
        """A fresh condition object for one window."""
        kind = impairment.condition
        if kind == "DOWN":
            return Down()
        if kind == "SLOW":
            return Slow(impairment.extra_ms)
        if kind == "STALE_BOOK":
            return StaleBook()
        if kind == "REJECT_STORM":
            return RejectStorm(impairment.fraction, self.world.streams.stream(impairment.stream))
        if kind == "SUBMIT_ONLY_DOWN":
            return SubmitOnlyDown()
        raise ValueError(f"unknown venue condition {kind!r}")


def _relink(venue, gateway) -> None:
    """Links carry the extra latency of every SLOW condition now active."""
    gateway.set_extra_latency(venue.name, sum(c.extra_latency_ns for c in venue.conditions))
