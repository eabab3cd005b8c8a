"""The ``bad_actors`` section of a scenario: agents that inject labelled abusive episodes.

Typed, frozen and validated like the rest of ``scenarios.config`` (which
imports it). Default: every actor off (0 episodes) and no extra links, so a
scenario without the section runs exactly as before. ``scenarios.bad_actors``
plans the episodes; the twin runner sends their orders like client orders and
writes ``labels.json`` and ``links.json`` beside the run's events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from components.config.schema import Range

Episodes = Annotated[int, Range(ge=0, le=1_000)]
Aggressiveness = Annotated[float, Range(gt=0.0, le=5.0)]


@dataclass(frozen=True, slots=True)
class BadActor:
    """One kind of bad actor: how many episodes a day, and how hard it pushes."""

    episodes: Episodes = 0
    """Labelled episodes injected over the day; 0 = off. Default 0."""
    aggressiveness: Aggressiveness = 1.0
    """Scales the episode: more layers and faster cancels (spoofer), larger size (wash trader, front-runner),
    more orders further through the touch (closer). Default 1."""
    actors: Annotated[int, Range(ge=1, le=100)] = 2
    """Distinct accounts that carry this actor's episodes (episodes rotate over them). Default 2."""


@dataclass(frozen=True, slots=True)
class BadActors:
    """Spoofer, wash trader, closer and front-runner. Default: all off."""

    spoofer: BadActor = field(default_factory=BadActor)
    """Layers passive orders near the touch on one side, executes on the other, cancels the layers. Default off."""
    wash_trader: BadActor = field(default_factory=BadActor)
    """Buys and sells the same symbol across two linked accounts seconds apart. Default off."""
    closer: BadActor = field(default_factory=BadActor)
    """Buys aggressively through the touch in the last minutes of the session (one symbol per episode). Default off."""
    front_runner: BadActor = field(default_factory=BadActor)
    """An account tied to an advisor buys ahead of that advisor's client blocks (needs ``blocks``). Default off."""
    benign_links: Annotated[int, Range(ge=0, le=10_000)] = 0
    """Ordinary accounts given a shared identifier with another client's account, and as many tied to an
    advisor, that trade normally (so linkage is not a label in itself). Default 0."""
    closing_window_minutes: Annotated[float, Range(gt=0.0, le=60.0)] = 4.0
    """The closer trades inside this many minutes before the close. Default 4."""

    @property
    def active(self) -> bool:
        """Does this section change the run at all?"""
        return bool(self.spoofer.episodes or self.wash_trader.episodes or self.closer.episodes
                    or self.front_runner.episodes or self.benign_links)
