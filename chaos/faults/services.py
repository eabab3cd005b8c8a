"""Service faults: a hosted service's process dies mid-day and restarts.

The mechanism (``ServiceMechanism``, implemented by ``twin.fault_target`` on ``twin.services`` and
``twin.crashes.Recovery``) owns *how* a process dies and comes back; these classes say *which*
service dies, *when*, and *where in its work*:

* ``service_crash``: the process dies at ``at_ns`` whatever it is doing. The message in service
  and its queue are lost from memory; the bus redelivers every unacknowledged message on restart
  (so consumers dedupe), and the components it hosts are rebuilt from their newest snapshot plus
  the event log.
* ``service_crash_mid_append``: the process dies while a handler's events are being appended:
  the first handler after ``at_ns`` that appends more than ``stored`` events has exactly
  ``stored`` of them stored, then the process dies. The rebuilt components see the stored ones;
  the redelivered message must complete the rest. The platform must neither lose an event nor
  store one twice (the ``no_lost_or_duplicated_events`` invariant).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol

import numpy as np

from .catalogue import MS, Fault, FaultWorld, WorldShape, register

SERVICES = ("gateway", "oms", "risk", "router", "post_trade")
"""Services a world can crash (``twin.crashes.HOSTED``)."""
SURVIVES_MID_APPEND = ("gateway", "risk", "router", "post_trade")
"""Services the swarm crashes mid-append: the platform recovers from a partial append in their handlers."""


class ServiceMechanism(Protocol):
    """How a world crashes its hosted services (``twin.fault_target.TwinServices``)."""

    def crash(self, service: str, down_ns: int) -> None:
        """Kill ``service`` now; it is down ``down_ns``, then restarts and recovers."""
        ...

    def crash_mid_append(self, service: str, stored: int, down_ns: int) -> None:
        """Arm ``service``: its next handler that appends more than ``stored`` events dies after
        the ``stored``-th append; it is down ``down_ns``, then restarts and recovers."""
        ...


def _check(service: str, restart_ms: float) -> None:
    if not service:
        raise ValueError("service: is required")
    if not 0 < restart_ms <= 600_000:
        raise ValueError(f"restart_ms: must be in (0, 600000], got {restart_ms!r}")


@register
@dataclass(frozen=True, slots=True)
class ServiceCrash(Fault):
    """``service`` dies at ``at_ns`` (the message in service is lost and redelivered) and restarts
    ``restart_ms`` later from its snapshot plus the log."""

    kind: ClassVar[str] = "service_crash"
    family: ClassVar[str] = "services"

    service: str
    """gateway, oms, risk, router or post_trade."""
    at_ns: int
    """When it dies, simulated epoch ns."""
    restart_ms: float = 500.0
    """How long it is down, ms."""

    def __post_init__(self) -> None:
        _check(self.service, self.restart_ms)

    def schedule(self, world: FaultWorld) -> None:
        mechanism = world.mechanism(ServiceMechanism)
        down_ns = int(self.restart_ms * MS)
        world.schedule_at(self.at_ns, lambda: mechanism.crash(self.service, down_ns))

    @classmethod
    def draw(cls, rng: np.random.Generator, shape: WorldShape) -> "ServiceCrash | None":
        if not shape.services:
            return None
        service = shape.services[int(rng.integers(len(shape.services)))]
        at = int(rng.integers(shape.open_ns, shape.close_ns))
        return cls(service, at, float(rng.uniform(50.0, 3_000.0)))


@register
@dataclass(frozen=True, slots=True)
class ServiceCrashMidAppend(Fault):
    """``service`` dies in the middle of appending a handler's events: ``stored`` of them are in
    the log, the rest are not; restarted ``restart_ms`` later."""

    kind: ClassVar[str] = "service_crash_mid_append"
    family: ClassVar[str] = "services"

    service: str
    """gateway, oms, risk, router or post_trade. In the platform, post-trade appends several events
    per message (allocated, confirmed) and the oms several at the close (expiries); the other
    services one each. If none of its handlers after ``at_ns`` appends more than ``stored``
    events, it never dies (the fault stays armed to the end of the run)."""
    at_ns: int
    """From when the next handler appending more than ``stored`` events is caught, epoch ns."""
    stored: int = 1
    """Events of that handler stored before the crash (>= 1)."""
    restart_ms: float = 500.0
    """How long it is down, ms."""

    def __post_init__(self) -> None:
        _check(self.service, self.restart_ms)
        if self.stored < 1:
            raise ValueError(f"stored: must be >= 1, got {self.stored!r}")

    def schedule(self, world: FaultWorld) -> None:
        mechanism = world.mechanism(ServiceMechanism)
        down_ns = int(self.restart_ms * MS)
        world.schedule_at(self.at_ns, lambda: mechanism.crash_mid_append(self.service, self.stored, down_ns))

    @classmethod
    def draw(cls, rng: np.random.Generator, shape: WorldShape) -> "ServiceCrashMidAppend | None":
        # Services whose multi-event handlers are known to recover from a mid-append crash
        # (docs/faults.md); the OMS's close-time expiries are not drawn yet.
        services = [s for s in SURVIVES_MID_APPEND if s in shape.services]
        if not services:
            return None
        service = services[int(rng.integers(len(services)))]
        at = int(rng.integers(shape.open_ns, shape.close_ns))
        return cls(service, at, 1, float(rng.uniform(50.0, 3_000.0)))
