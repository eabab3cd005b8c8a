"""Storage faults: bytes of one stored event flipped on the medium.

``stored_event_corruption``: at ``at_ns`` the stored copy of one event already in the log (the
one at ``position`` of the log's length then, 0 = the first, 1 = the last) has ``flips`` bytes
changed. The platform must detect it through the hash chain (``components.eventstore.chain``)
and must never use the corrupted event silently: a recovery that reads it either fails loudly
or takes the event from a copy that verifies against the chain (and repairs the stored one);
the run reports every corruption and how it was detected (the ``stored_events_verified``
invariant). The mechanism is ``StorageMechanism`` (``twin.stored_log.StoredLog`` in the twin).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol

import numpy as np

from .catalogue import Fault, FaultWorld, WorldShape, register


class StorageMechanism(Protocol):
    """How a world corrupts its stored events (``twin.stored_log.StoredLog``)."""

    def corrupt(self, position: float, flips: int, stream: str) -> int | None:
        """Flip ``flips`` bytes (chosen from the named random stream ``stream``) of the stored event
        at ``position`` of the log now; returns its offset, or None when the log is empty."""
        ...


@register
@dataclass(frozen=True, slots=True)
class StoredEventCorruption(Fault):
    """One stored event's bytes are flipped at ``at_ns``; the hash chain must catch it."""

    kind: ClassVar[str] = "stored_event_corruption"
    family: ClassVar[str] = "storage"

    at_ns: int
    """When the medium corrupts it, simulated epoch ns."""
    position: float = 0.5
    """Which event: its place in the log at that time, 0 (first) .. 1 (last)."""
    flips: int = 1
    """How many bytes of its stored payload change (1..64)."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.position <= 1.0:
            raise ValueError(f"position: must be in [0, 1], got {self.position!r}")
        if not 1 <= self.flips <= 64:
            raise ValueError(f"flips: must be in [1, 64], got {self.flips!r}")

    def schedule(self, world: FaultWorld) -> None:
        mechanism = world.mechanism(StorageMechanism)
        stream = f"fault:{self.kind}:{self.at_ns}"
        world.schedule_at(self.at_ns, lambda: mechanism.corrupt(self.position, self.flips, stream))

    @classmethod
    def draw(cls, rng: np.random.Generator, shape: WorldShape) -> "StoredEventCorruption":
        # After the first tenth of the session, so there is something stored to corrupt.
        span = shape.close_ns - shape.open_ns
        at = shape.open_ns + span // 10 + int(rng.integers(0, max(1, span * 9 // 10)))
        return cls(at, float(rng.random()), int(rng.integers(1, 9)))
